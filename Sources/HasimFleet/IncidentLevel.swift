import HasimKernel
import HasimScenario
import HasimResults

/// What one incident window measured at transaction level, from the run's own ledger,
/// probes and final state (MetricsCalculator), never from the strategy's word.
public struct IncidentResult: Sendable, Equatable {
    public var downtime: Double
    public var lostTransactions: Double
    public var replicationCrashes: Double
    public var splitBrainTime: Double
    public var divergentRows: Double
    /// Transactions a server executed that the final primary lacks (errant GTIDs): without
    /// them the rows that differ are a stale copy's, not two histories to reconcile.
    public var errantTransactions: Double = 0
    public var failovers: Double
    /// The last probe write of the window failed: writes were still down when it ended.
    public var downAtEnd: Bool
    /// mysqld start-up of the scenario, the least a repaired server needs before writes.
    public var startupTime: SimTime
}

/// The transaction level: an incident window simulated with the architecture's own
/// scenario (topology, strategy, workload), its faults replaced by the incident's.
public enum IncidentLevel {
    public static func windowScenario(_ base: Scenario, failures: [SampledFailure], targets: FaultTargets,
                                      config: FleetConfig) -> Scenario {
        var s = base
        s.faults = failures.flatMap { targets.faults($0, at: config.warmup + $0.at) }
        s.faultProcesses = []
        s.expectations = []
        s.duration = config.warmup + (failures.last?.at ?? 0) + config.window
        if let w = config.writesPerSecond {
            for i in s.workloads.indices where s.workloads[i].writesPerSecond > 0 { s.workloads[i].writesPerSecond = w }
        }
        for i in s.workloads.indices where s.workloads[i].start >= s.duration { s.workloads[i].start = 0 }
        return s
    }

    public static func simulate(_ base: Scenario, failures: [SampledFailure], targets: FaultTargets,
                                config: FleetConfig, seed: UInt64) throws -> IncidentResult {
        let s = windowScenario(base, failures: failures, targets: targets, config: config)
        let outcome = try ScenarioRunner.run(s, seed: seed)
        // Only what the composition reads (MetricsCalculator.Scope.incidentWindow).
        let report = MetricsCalculator.report(outcome, scope: .incidentWindow)
        func metric(_ name: String) -> Double {
            // Absent means the scope left it out, not zero: a figure read here must be computed there.
            guard let m = report.metrics.first(where: { $0.name == name }) else {
                preconditionFailure("\(name) is not computed for an incident window (MetricsCalculator.Scope)")
            }
            return m.value
        }
        return IncidentResult(downtime: metric("write_downtime"), lostTransactions: metric("lost_transactions"),
                              replicationCrashes: metric("replication_crashes"),
                              splitBrainTime: metric("split_brain_time"),
                              divergentRows: metric("divergence") + metric("split_brain_divergence"),
                              errantTransactions: metric("errant_transactions"),
                              failovers: metric("failovers"),
                              downAtEnd: outcome.probes.last.map { !$0.ok } ?? false,
                              startupTime: base.mysql.startupTime)
    }
}
