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
                             hasimVersion: HasimVersion.string, metrics: metrics, values: replications,
                             replicationIDs: replicationIDs)
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
        // Listed only when on, so the settings of studies without it read as before.
        var all = libraryBootstrap ? pairs + [("library_bootstrap", "true")] : pairs
        if maintenancePerYear > 0 { all += [("maintenance_per_year", "\(maintenancePerYear)"), ("maintenance_h", "\(h.maintenance)")] }
        return "{" + all.sorted { $0.0 < $1.0 }.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
}

extension FleetStudyRow {
    /// The study `shards` make together: their replications in study-wide order, every
    /// estimate recomputed from them, compound incidents summed (each shard simulated its
    /// own). The library is the same in every shard (it derives from the seed alone).
    /// Nil when the shards are not parts of one study (scenario, strategy, settings).
    public static func merging(_ shards: [FleetStudyRow]) -> FleetStudyRow? {
        guard var out = shards.first else { return nil }
        for s in shards.dropFirst() {
            guard s.scenarioFile == out.scenarioFile, s.strategy == out.strategy, s.configJSON == out.configJSON,
                  s.clusters == out.clusters, s.metrics.map(\.name) == out.metrics.map(\.name) else { return nil }
        }
        let rows = shards.flatMap { s in zip(s.replicationIDs, s.values).map { ($0, $1) } }.sorted { $0.0 < $1.0 }
        guard Set(rows.map(\.0)).count == rows.count else { return nil }
        out.replicationIDs = rows.map(\.0)
        out.values = rows.map(\.1)
        out.compoundIncidents = shards.reduce(0) { $0 + $1.compoundIncidents }
        let estimates = FleetMetric.estimates(out.metrics.map(\.name), out.values)
        out.metrics = zip(out.metrics, estimates).map { m, e in
            FleetMetricRow(name: m.name, unit: m.unit, mean: e.mean, low: e.low, high: e.high)
        }
        return out
    }
}
