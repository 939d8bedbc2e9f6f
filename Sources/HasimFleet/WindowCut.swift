import HasimKernel
import HasimScenario

/// Where a transaction-level window ends, for both levels. The composer decides what happens
/// after the window from the failures' repair times (`Composer.add`: writes still down at the
/// window's end wait for the repair or a DBA); the window must therefore not simulate a repair
/// that ends after it. A scenario run goes on for its `quiesce` after the window (the workload
/// stopped, replication draining, then the final state is read): a host that booted there
/// would be measured in mid-recovery — Heartbeat's auto_failback moving the VIP to a server
/// that has not yet fetched the 30 minutes of writes its peer took, read as every one of them
/// lost (docs/fleet.md, "What drives each figure"). Such a repair is left out of the window:
/// the server stays down to its end, as the composer assumes.
enum WindowCut {
    /// A repair that no window reaches (100 years after its failure).
    static let never: SimTime = 100 * FaultProcessSpec.year

    /// The failures as the window simulates them: a repair ending after the window's end
    /// (the last failure + `config.window`, the composer's `windowEnd`) never comes.
    static func simulated(_ failures: [SampledFailure], window: SimTime) -> [SampledFailure] {
        let windowEnd = (failures.last?.at ?? 0) + window
        return failures.map { f in
            var g = f
            if f.at + f.repair > windowEnd { g.repair = never }
            return g
        }
    }

    /// One incident window at transaction level, with the repairs after its end left out.
    static func simulate(_ scenario: Scenario, failures: [SampledFailure], targets: FaultTargets,
                         config: FleetConfig, seed: UInt64) throws -> IncidentResult {
        try IncidentLevel.simulate(scenario, failures: simulated(failures, window: config.window), targets: targets,
                                   config: config, seed: seed)
    }
}
