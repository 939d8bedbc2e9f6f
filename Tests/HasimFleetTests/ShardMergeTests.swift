import Foundation
import GRDB
import HasimCLI
import Testing

/// `hasim fleet --shard K/N` + `hasim merge` (issue 15): a sweep (`--set`, two studies)
/// sharded three ways and merged equals the unsharded sweep row for row.
@Suite struct ShardMergeTests {
    static let yaml = """
        name: crashing single server
        duration: 1h
        topology:
          sites:
            idc1: [db1, app1]
          databases:
            db1: {role: primary}
        architecture:
          strategy: single
        workload:
          client: app1
          writes_per_second: 5
          probe_interval: 1s
        fault_processes:
          mysqld: {afr: 8760, mttr: 1m, repair_sigma: 0.5}
        """

    /// Every fleet row except the ids that depend on the database it was written into.
    static func dump(_ path: String) throws -> [String] {
        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        return try db.read { db in
            let studies = try Row.fetchAll(db, sql: """
                SELECT scenario_name, scenario_file, strategy, clusters, servers_per_cluster, horizon_ns, replications,
                       seed, config_json, library_runs, compound_incidents, hasim_version FROM fleet_studies ORDER BY id
                """).map { "\($0)" }
            let metrics = try Row.fetchAll(db, sql: "SELECT name, unit, mean, ci_low, ci_high FROM fleet_metrics ORDER BY study_id, rowid")
                .map { "\($0)" }
            let reps = try Row.fetchAll(db, sql: "SELECT replication, name, value FROM fleet_replications ORDER BY study_id, rowid")
                .map { "\($0)" }
            return studies + metrics + reps
        }
    }

    @Test func shardedThreeWaysAndMergedEqualsUnsharded() throws {
        let dir = NSTemporaryDirectory() + "hasim-shards-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/single.yaml"
        try Self.yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let common = [file, "--clusters", "2", "--horizon", "2h", "--replications", "7", "--library", "2",
                      "--window", "5m", "--warmup", "30s", "--quiet", "--serial",
                      "--set", "workload.writes_per_second=5,10"]
        func hasim(_ args: [String]) throws {
            var c = try Hasim.parseAsRoot(args)
            try c.run()
        }
        try hasim(["fleet"] + common + ["--out", dir + "/whole.sqlite"])
        for k in 1...3 { try hasim(["fleet"] + common + ["--shard", "\(k)/3", "--out", dir + "/shard\(k).sqlite"]) }
        try hasim(["merge", "--quiet", "--out", dir + "/merged.sqlite"] + (1...3).map { dir + "/shard\($0).sqlite" })
        let whole = try Self.dump(dir + "/whole.sqlite")
        #expect(whole.count > 2 * 7 * 14, "both swept studies have their replications stored")
        #expect(whole.contains { $0.contains("crashing single server [writes_per_second=10]") })
        #expect(try Self.dump(dir + "/merged.sqlite") == whole)
        // Flip: a merge that misses a shard is not the whole study.
        try hasim(["merge", "--quiet", "--out", dir + "/partial.sqlite", dir + "/shard1.sqlite", dir + "/shard3.sqlite"])
        #expect(try Self.dump(dir + "/partial.sqlite") != whole)
    }
}
