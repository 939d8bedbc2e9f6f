import Foundation
import GRDB
import HasimCLI
import Testing

/// `hasim run|compare --shard K/N` + `hasim merge` (issue 15): a sweep (`--set`, several seeds)
/// sharded three ways and merged equals the unsharded sweep row for row, in every table.
@Suite struct RunShardMergeTests {
    static let yaml = """
        name: single server restarts
        duration: 30s
        topology:
          sites:
            idc1: [db1, app1]
          latency:
            same_site: {lognormal: {median: 200us, sigma: 0.5}}
          databases:
            db1: {role: primary}
        architecture:
          strategy: single
        workload:
          client: app1
          writes_per_second: 20
          probe_interval: 500ms
        faults:
          - {at: 10s, process_crash: db1}
        """

    /// Every row of every table the runs wrote (the invocation's own row aside: its arguments
    /// name the output file), in rowid order.
    static func dump(_ path: String) throws -> [String] {
        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        return try db.read { db in
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('invocations', 'grdb_migrations')
                AND name NOT LIKE 'sqlite_%' ORDER BY name
                """)
            var out: [String] = []
            for t in tables {
                out += try Row.fetchAll(db, sql: "SELECT * FROM \(t) ORDER BY rowid").map { "\(t) \($0)" }
            }
            out += try Row.fetchAll(db, sql: "SELECT command, status, runs_planned FROM invocations").map { "\($0)" }
            return out
        }
    }

    /// Runs a command in-process with the arguments it records, as `hasim ARGS` would.
    func hasim(_ args: [String]) throws {
        var c = try Hasim.parseAsRoot(args)
        try InvocationArguments.$override.withValue(args) { try c.run() }
    }

    @Test func aSweepShardedThreeWaysAndMergedEqualsTheUnshardedOne() throws {
        let dir = NSTemporaryDirectory() + "hasim-run-shards-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/single.yaml"
        try Self.yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let common = ["run", file, "--seed", "1-4", "--set", "workload.writes_per_second=10,30", "--quiet", "--serial"]
        try hasim(common + ["--out", dir + "/whole.sqlite"])
        for k in 1...3 { try hasim(common + ["--shard", "\(k)/3", "--out", dir + "/shard\(k).sqlite"]) }
        // Given in any order: the merge places each shard's runs by its K.
        try hasim(["merge", "--quiet", "--out", dir + "/merged.sqlite"] + [3, 1, 2].map { dir + "/shard\($0).sqlite" })
        let whole = try Self.dump(dir + "/whole.sqlite")
        #expect(whole.filter { $0.hasPrefix("runs ") }.count == 8)
        #expect(whole.contains { $0.hasPrefix("probes ") } && whole.contains { $0.hasPrefix("timeline ") })
        #expect(try Self.dump(dir + "/merged.sqlite") == whole)
        // Flip: the shards alone are not the whole sweep, and a merge that misses one is refused.
        #expect(try Self.dump(dir + "/shard1.sqlite") != whole)
        #expect(throws: (any Error).self) {
            try hasim(["merge", "--quiet", "--out", dir + "/partial.sqlite", dir + "/shard1.sqlite", dir + "/shard3.sqlite"])
        }
        // Shards of different commands (another seed list) are refused too.
        try hasim(["run", file, "--seed", "5-8", "--set", "workload.writes_per_second=10,30", "--quiet", "--serial",
                   "--shard", "2/3", "--out", dir + "/other2.sqlite"])
        #expect(throws: (any Error).self) {
            try hasim(["merge", "--quiet", "--out", dir + "/mixed.sqlite", dir + "/shard1.sqlite", dir + "/other2.sqlite", dir + "/shard3.sqlite"])
        }
    }

    @Test func shardsSplitTheRunsByIndexModuloN() throws {
        let s = try Shard.parse("2/3")
        #expect(s.select(Array(0..<8)) == [1, 4, 7])
        #expect((1...3).map { Shard(index: $0, count: 3).size(of: 8) } == [3, 3, 2])
        #expect(throws: (any Error).self) { try Shard.parse("4/3") }
        #expect(throws: (any Error).self) { try Shard.parse("0/3") }
    }
}
