import Testing
import HasimKernel
@testable import HasimDatabase
import HasimScenario

/// A binlog event's write time is read only by a host crash (was its page written back?) and
/// by binlog expiry; once neither can read it again it is let go (4 B an event per server).
@Suite struct BinlogWriteTimesTests {
    /// 100 s at 1,000 writes/s with sync_binlog=0 (a host crash reads the write times) and
    /// the primary's host lost at 95 s.
    static func scenario(expire: String?) throws -> Scenario {
        try ScenarioLoader.load(text: """
            name: binlog write times forgotten
            duration: 100s
            quiesce: 5s
            seeds: [1]
            topology:
              sites:
                idc1: [db1, db2, app1]
              databases:
                db1: {role: primary}
                db2: {role: replica, source: db1}
            mysql:
              sync_binlog: 0
            \(expire.map { "  binlog_expire: \($0)" } ?? "")
            architecture:
              strategy: manual
            workload:
              client: app1
              writes_per_second: 1000
            faults:
              - {at: 95s, host_crash: db1}
            """, file: "binlog-write-times.yaml")
    }

    /// With the default 30-day expiry nothing can expire within the run: the times of the
    /// events the flusher has written back are freed, whole chunks of 16,384, on both servers,
    /// and the crash still cuts the binlog where the unforgotten times say. Flip: an expiry of
    /// 80 s could purge events written in the first 25 s before the run ends, so those times are
    /// kept (nothing is freed before the purge point).
    @Test func writtenBackTimesAreFreedUnlessExpiryCouldReadThem() throws {
        let kept = try ScenarioRunner.run(Self.scenario(expire: nil), seed: 1)
        let db1 = try #require(kept.server("db1")).storage, db2 = try #require(kept.server("db2")).storage
        #expect(db1.binlogWrittenAt.forgotten >= 2 * 16_384, "events up to ~50 s are on disk by 82 s")
        #expect(db2.binlogWrittenAt.forgotten >= 2 * 16_384)
        #expect(kept.trace.contains { $0.kind == .durabilityLoss && $0.node == "db1" }, "the crash cuts the unwritten tail")
        #expect(db1.binlog.count >= db1.binlogWrittenAt.forgotten)

        let expiring = try ScenarioRunner.run(Self.scenario(expire: "80s"), seed: 1)
        let e1 = try #require(expiring.server("db1")).storage
        #expect(e1.binlogPurged > 0, "events older than 80 s were purged")
        #expect(e1.binlogWrittenAt.forgotten <= e1.binlogPurged, "no time expiry may still read is freed")
        #expect(e1.binlogWrittenAt.forgotten < db1.binlogWrittenAt.forgotten)
    }
}
