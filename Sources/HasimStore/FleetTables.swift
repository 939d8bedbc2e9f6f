import Foundation
import GRDB

/// One architecture's fleet study as stored (tables `fleet_studies`, `fleet_metrics`,
/// `fleet_replications`, schema v3).
public struct FleetStudyRow: Sendable, Equatable {
    public var scenarioName: String
    public var scenarioFile: String
    public var strategy: String
    public var clusters: Int
    public var serversPerCluster: Int
    public var horizon: Int64
    public var replications: Int
    public var seed: UInt64
    /// The study's settings (clusters, window, library size, human model), sorted keys.
    public var configJSON: String
    public var libraryRuns: Int
    public var compoundIncidents: Int
    public var hasimVersion: String
    /// Per metric: name, unit, mean, 95 % CI.
    public var metrics: [FleetMetricRow]
    /// Per replication, values in `metrics` order.
    public var values: [[Double]]
    /// The study-wide index of each row of `values` (a shard holds some of them).
    public var replicationIDs: [Int]

    public init(scenarioName: String, scenarioFile: String, strategy: String, clusters: Int, serversPerCluster: Int,
                horizon: Int64, replications: Int, seed: UInt64, configJSON: String, libraryRuns: Int,
                compoundIncidents: Int, hasimVersion: String, metrics: [FleetMetricRow], values: [[Double]],
                replicationIDs: [Int]? = nil) {
        self.scenarioName = scenarioName
        self.scenarioFile = scenarioFile
        self.strategy = strategy
        self.clusters = clusters
        self.serversPerCluster = serversPerCluster
        self.horizon = horizon
        self.replications = replications
        self.seed = seed
        self.configJSON = configJSON
        self.libraryRuns = libraryRuns
        self.compoundIncidents = compoundIncidents
        self.hasimVersion = hasimVersion
        self.metrics = metrics
        self.values = values
        self.replicationIDs = replicationIDs ?? Array(values.indices)
    }

    public func metric(_ name: String) -> FleetMetricRow? { metrics.first { $0.name == name } }
}

public struct FleetMetricRow: Sendable, Equatable {
    public var name: String
    public var unit: String
    public var mean: Double
    public var low: Double
    public var high: Double
    public init(name: String, unit: String, mean: Double, low: Double, high: Double) {
        self.name = name
        self.unit = unit
        self.mean = mean
        self.low = low
        self.high = high
    }
}

extension ResultsStore {
    /// Writes one study with its metrics and every replication's values in one transaction.
    @discardableResult
    public func writeFleet(_ s: FleetStudyRow, invocation: Int64) throws -> Int64 {
        try dbQueue.write { db in
            try db.execute(sql: """
                INSERT INTO fleet_studies (invocation_id, scenario_name, scenario_file, strategy, clusters,
                    servers_per_cluster, horizon_ns, replications, seed, config_json, library_runs,
                    compound_incidents, hasim_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [invocation, s.scenarioName, s.scenarioFile, s.strategy, s.clusters, s.serversPerCluster,
                                 s.horizon, s.replications, Int64(bitPattern: s.seed), s.configJSON, s.libraryRuns,
                                 s.compoundIncidents, s.hasimVersion])
            let id = db.lastInsertedRowID
            for m in s.metrics {
                try db.execute(sql: "INSERT INTO fleet_metrics (study_id, name, unit, mean, ci_low, ci_high) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [id, m.name, m.unit, m.mean, m.low, m.high])
            }
            for (r, row) in zip(s.replicationIDs, s.values) {
                for (m, v) in zip(s.metrics, row) {
                    try db.execute(sql: "INSERT INTO fleet_replications (study_id, replication, name, value) VALUES (?, ?, ?, ?)",
                                   arguments: [id, r, m.name, v])
                }
            }
            return id
        }
    }

    /// Every stored study in id order, with its metrics and replication values.
    public func fleetStudies() throws -> [FleetStudyRow] {
        try dbQueue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, scenario_name, scenario_file, strategy, clusters, servers_per_cluster, horizon_ns,
                       replications, seed, config_json, library_runs, compound_incidents, hasim_version
                FROM fleet_studies ORDER BY id
                """).map { r in
                let id: Int64 = r[0]
                let metrics = try Row.fetchAll(db, sql: "SELECT name, unit, mean, ci_low, ci_high FROM fleet_metrics WHERE study_id = ? ORDER BY rowid",
                                               arguments: [id]).map { FleetMetricRow(name: $0[0], unit: $0[1], mean: $0[2], low: $0[3], high: $0[4]) }
                var values: [[Double]] = []
                var ids: [Int] = []
                for v in try Row.fetchAll(db, sql: "SELECT replication, value FROM fleet_replications WHERE study_id = ? ORDER BY rowid",
                                          arguments: [id]) {
                    let rep: Int = v[0]
                    if ids.last != rep { ids.append(rep); values.append([]) }
                    values[values.count - 1].append(v[1])
                }
                return FleetStudyRow(scenarioName: r[1], scenarioFile: r[2], strategy: r[3], clusters: r[4],
                                     serversPerCluster: r[5], horizon: r[6], replications: r[7],
                                     seed: UInt64(bitPattern: r[8] as Int64), configJSON: r[9], libraryRuns: r[10],
                                     compoundIncidents: r[11], hasimVersion: r[12], metrics: metrics, values: values,
                                     replicationIDs: ids)
            }
        }
    }
}
