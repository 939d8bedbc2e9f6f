import Foundation
import HasimKernel
import HasimScenario
import HasimResults
import Testing
@testable import HasimFleet

/// The incident windows of a fleet study compute metrics only (issue 15): no commit latency
/// per sample bucket, no throughput series. Every metric must stay what the full report says.
@Suite struct IncidentMetricsTests {
    private static let yaml = """
        name: failover window
        duration: 2m
        quiesce: 10s
        topology:
          sites:
            idc1: [db1, db2, app1, mon1]
          latency:
            same_site: {lognormal: {median: 0.2ms, sigma: 0.25}}
          databases:
            db1: {role: primary}
            db2: {role: replica, source: db1}
        architecture:
          strategy: mha
          options: {manager_host: mon1}
        workload:
          client: app1
          writes_per_second: 200
        faults:
          - {at: 1m, host_crash: db1}
        """

    /// Same metrics with and without the series; the series rows are what differs. Flip: the
    /// full report has the bucket rows the metrics-only one leaves out.
    @Test func metricsOnlyReportHasTheSameMetrics() throws {
        let s = try ScenarioLoader.load(text: Self.yaml, file: "incident-metrics.yaml")
        for seed: UInt64 in [1, 2] {
            let outcome = try ScenarioRunner.run(s, seed: seed)
            let full = MetricsCalculator.report(outcome)
            let lean = MetricsCalculator.report(outcome, scope: .metrics)
            #expect(lean.metrics == full.metrics)
            #expect(lean.incidents == full.incidents)
            #expect(full.latency.contains { $0.bucketStart != nil })
            #expect(!lean.latency.contains { $0.bucketStart != nil })
            #expect(lean.latency.filter { $0.bucketStart == nil } == full.latency.filter { $0.bucketStart == nil })
            #expect(full.series.contains { $0.name == "throughput" })
            #expect(!lean.series.contains { $0.name == "throughput" })
        }
    }

    /// An incident window's scope computes fewer metrics, each the value the full report gives,
    /// and among them every figure the fleet composes (IncidentLevel would stop otherwise). Flip:
    /// the full report has the incident rows and commit latency the window leaves out.
    @Test func incidentWindowScopeKeepsTheFiguresTheFleetReads() throws {
        let s = try ScenarioLoader.load(text: Self.yaml, file: "incident-metrics.yaml")
        let outcome = try ScenarioRunner.run(s, seed: 1)
        let full = MetricsCalculator.report(outcome)
        let window = MetricsCalculator.report(outcome, scope: .incidentWindow)
        for m in window.metrics { #expect(full.metrics.contains(m), "\(m.name)") }
        for name in ["write_downtime", "lost_transactions", "replication_crashes", "split_brain_time", "divergence",
                     "split_brain_divergence", "errant_transactions", "failovers"] {
            #expect(window.metrics.contains { $0.name == name }, "\(name)")
        }
        #expect(full.metrics.contains { $0.name == "commit_latency_p99" } && !window.metrics.contains { $0.name == "commit_latency_p99" })
        #expect(!full.incidents.isEmpty && window.incidents.isEmpty)
        // The fleet's own reading of a window (a short one, with no failure) finds each figure.
        var c = FleetConfig()
        c.window = Time.s(20)
        c.warmup = Time.s(10)
        let quiet = try WindowCut.simulate(s, failures: [], targets: FaultTargets(s), config: c, seed: 1)
        #expect(quiet.failovers == 0 && quiet.downtime == 0)
    }

    /// The ledger is sized from the workload once (no fault here: every write is acknowledged).
    /// Flip: without the reservation the array grows by doubling, and ~24,000 entries end in a
    /// buffer of 32 Ki, a third more than they need.
    @Test func ledgerIsSizedFromTheWorkload() throws {
        let text = Self.yaml.replacingOccurrences(of: "faults:\n  - {at: 1m, host_crash: db1}", with: "")
        let s = try ScenarioLoader.load(text: text, file: "incident-metrics.yaml")
        #expect(s.faults.isEmpty)
        let outcome = try ScenarioRunner.run(s, seed: 1)
        let n = outcome.ledger.count
        #expect(n > 15_000)
        #expect(outcome.ledger.capacity >= n)
        #expect(Double(outcome.ledger.capacity) < Double(n) * 1.1, "capacity \(outcome.ledger.capacity) for \(n) entries")
    }
}
