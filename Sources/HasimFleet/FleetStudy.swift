import Foundation
import HasimKernel
import HasimStore

extension ArchitectureFleet {
    /// The stored form: every metric's estimate plus each replication's values.
    public func row(config: FleetConfig) -> FleetStudyRow {
        let metrics = FleetMetric.all.map { m -> FleetMetricRow in
            let e = estimate(m)
            return FleetMetricRow(name: m.rawValue, unit: m.unit, mean: e.mean, low: e.low, high: e.high)
        }
        return FleetStudyRow(scenarioName: scenarioName, scenarioFile: scenarioFile, strategy: strategy,
                             clusters: clusters, serversPerCluster: serversPerCluster, horizon: config.horizon,
                             replications: config.replications, seed: config.seed, configJSON: config.json,
                             libraryRuns: libraryRuns, compoundIncidents: compoundIncidents,
                             hasimVersion: HasimVersion.string, metrics: metrics, values: replications)
    }
}

extension FleetConfig {
    /// Every setting of the study, sorted keys, so two studies show what differs.
    public var json: String {
        let h = human
        let pairs: [(String, String)] = [
            ("clusters", "\(clusters)"), ("horizon_ns", "\(horizon)"), ("replications", "\(replications)"),
            ("seed", "\(seed)"), ("warmup_ns", "\(warmup)"), ("window_ns", "\(window)"),
            ("library_size", "\(librarySize)"), ("writes_per_second", writesPerSecond.map { "\($0)" } ?? "null"),
            ("page_after_ns", "\(h.pageAfter)"), ("page_response_h", "\(h.pageResponse)"),
            ("manual_failover_h", "\(h.manualFailover)"), ("fix_replication_h", "\(h.fixReplication)"),
            ("reconcile_h", "\(h.reconcile)"), ("reintegrate_h", "\(h.reintegrate)"),
            ("rebuild_server_h", "\(h.rebuildServer)"), ("night", "\"\(h.nightStartHour)-\(h.nightEndHour)\""),
            ("dbas", "\(h.dbas)"), ("hours_per_dba", "\(h.hoursPerDBA)"),
        ]
        return "{" + pairs.sorted { $0.0 < $1.0 }.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}
