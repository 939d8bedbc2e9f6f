import Testing
import HasimKernel
import HasimScenario
import HasimResults

/// Issue 9: commit latency against hand-computed cases. Constant 1 ms links, so each step of a
/// commit is a known number of one-way trips plus the configured costs; each test flips one
/// cause and shows the latency move by exactly that cause. (Async and semi-sync:
/// HasimResultsTests/MeasurementScenarioTests.commitLatencyHandComputed.)
@Suite struct CommitLatencyHandComputedTests {
    static func p50(_ yaml: String) throws -> Double {
        let r = MetricsCalculator.report(try ScenarioRunner.run(try ScenarioLoader.load(text: yaml, file: "hand.yaml"), seed: 1))
        return try #require(r.metric("commit_latency_p50"))
    }

    static func drbd(_ options: String) -> String {
        """
        name: drbd hand-computed
        duration: 20s
        quiesce: 1s
        topology:
          sites:
            idc1: [db1, db2, app1]
          latency:
            same_site: {constant: 1ms}
          databases:
            db1: {role: primary}
            db2: {role: replica, source: db1}
        front_door:
          vip: {address: 10.0.0.100, site: idc1, holder: db1}
        architecture:
          strategy: drbd
          options: \(options)
        workload: {client: app1, writes_per_second: 50}
        """
    }

    @Test("DRBD: protocol C = app RTT + commit + replication RTT + peer disk write; B skips the disk, A the round trip")
    func drbdProtocols() throws {
        // app -> db1 (1 ms) + mysql.commit_latency (800 µs) + DRBD data to db2 (1 ms) + db2's disk
        // write (peer_disk_write 500 µs) + ack (1 ms) + reply (1 ms) = 5.3 ms.
        let c = try Self.p50(Self.drbd("{protocol: C}"))
        #expect(abs(c - 0.0053) < 0.0053 * 0.02, "p50 \(c)")
        // Flip the peer's disk: protocol C follows it exactly.
        let slowDisk = try Self.p50(Self.drbd("{protocol: C, peer_disk_write: 2500us}"))
        #expect(abs(slowDisk - 0.0073) < 0.0073 * 0.02, "p50 \(slowDisk)")
        // B acknowledges when db2 has the block in memory: no disk write, 4.8 ms.
        let b = try Self.p50(Self.drbd("{protocol: B}"))
        #expect(abs(b - 0.0048) < 0.0048 * 0.02, "p50 \(b)")
        // A when the block is in db1's send buffer: a local commit, 2.8 ms.
        let a = try Self.p50(Self.drbd("{protocol: A}"))
        #expect(abs(a - 0.0028) < 0.0028 * 0.02, "p50 \(a)")
    }

    /// `far`: db3 in a second site whose links are 3 ms each way.
    static func galera(nodes: Int = 3, options: String = "{}", far: Bool = false) -> String {
        let names = (1...nodes).map { "db\($0)" }
        let near = far ? names.filter { $0 != "db3" } : names
        return """
        name: galera hand-computed
        duration: 20s
        quiesce: 1s
        topology:
          sites:
            idc1: [app1, \(near.joined(separator: ", "))]
        \(far ? "    idc2: [db3]" : "")
          latency:
            same_site: {constant: 1ms}
            cross_site: {constant: 3ms}
          databases:
        \(names.map { "    \($0): {role: primary}" }.joined(separator: "\n"))
        architecture:
          strategy: galera
          options: \(options)
        workload: {client: app1, address: db1, writes_per_second: 20, update_fraction: 0}
        """
    }

    @Test("Galera: app RTT + execution + safe delivery (three one-way trips) + ordered commit + redo fsync")
    func galeraCommit() throws {
        // app -> db1 (1 ms) + execution (local_commit/2 = 250 µs) + safe delivery: the write-set to
        // every member (1 ms), their acknowledgements to every member (1 ms), then each member's
        // "I have everything up to it" (evs's aru in a gap message, 1 ms) + ordered commit
        // (250 µs) + one redo-log fsync (disk_fsync 300 µs, no spread) + reply (1 ms) = 5.8 ms.
        let fixed = "disk_fsync_sigma: 0"
        let three = try Self.p50(Self.galera(options: "{\(fixed)}"))
        #expect(abs(three - 0.0058) < 0.0058 * 0.01, "p50 \(three)")
        // Five members: every trip goes to every member at once, so the same 5.8 ms (the
        // origin's per-member send cost, 15 µs each, ends before the acks are back).
        let five = try Self.p50(Self.galera(nodes: 5, options: "{\(fixed)}"))
        #expect(abs(five - 0.0058) < 0.0058 * 0.01, "p50 \(five)")
        // Flip the disk: innodb_flush_log_at_trx_commit=2 takes the fsync off the commit: 5.5 ms.
        let noFsync = try Self.p50(Self.galera(options: "{\(fixed), innodb_flush_log_at_trx_commit: 2}"))
        #expect(abs(noFsync - 0.0055) < 0.0055 * 0.01, "p50 \(noFsync)")
        // Flip one member's distance: db3 at 3 ms each way. db1 and db2 have db3's acknowledgement
        // at 6 ms, db3 has db2's at 4 ms; the reports reach db1 at 6 + 1 and 4 + 3 ms: 7 ms of
        // delivery, 9.8 ms in all.
        let far = try Self.p50(Self.galera(options: "{\(fixed)}", far: true))
        #expect(abs(far - 0.0098) < 0.0098 * 0.01, "p50 \(far)")
    }

    /// A Galera cluster with db3 behind a link of `delay` each way, the rest 0.1 ms apart.
    static func galeraFar(nodes: Int, delay: SimTime) -> String {
        let near = (1...nodes).map { "db\($0)" }.filter { $0 != "db3" }
        return """
        name: galera far member
        duration: 20s
        quiesce: 1s
        topology:
          sites:
            idc1: [app1, \(near.joined(separator: ", "))]
            idc2: [db3]
          latency:
            same_site: {constant: 100us}
            cross_site: {constant: \(delay / 1000)us}
          databases:
        \((1...nodes).map { "    db\($0): {role: primary}" }.joined(separator: "\n"))
        architecture:
          strategy: galera
          options: {disk_fsync_sigma: 0}
        workload: {client: app1, address: db1, writes_per_second: 20, update_fraction: 0}
        """
    }

    /// Link delay to one far member: EVS delivers a write-set once it is safe (every member has
    /// reported receiving everything up to it, galera gcomm/src/evs_proto.cpp `is_safe`). The far
    /// member's acknowledgement reaches the near ones after a round trip to it (2 x delay); the far
    /// member learns the near ones' acknowledgements after one trip, so its report reaches the
    /// origin at the same 2 x delay + one near hop. With near links of 0.1 ms: app RTT 0.2 ms +
    /// execution 0.25 ms + 2 x delay + 0.1 ms + ordered commit 0.25 ms + fsync 0.3 ms ("each COMMIT
    /// costs one round trip to the farthest node", MariaDB KB "Tips on Converting to Galera"; the
    /// real sweep with every link delayed is validation/experiments/galera_delay.py: three trips).
    /// Three and five nodes give the same figure: the farthest member sets it.
    @Test("Galera: link delay to one far member, 0.1 / 1 / 5 / 20 ms, 3 and 5 nodes = one round to it + a near hop + local commit",
          arguments: [3, 5])
    func galeraLinkDelaySweep(nodes: Int) throws {
        for delay in [Time.us(100), Time.ms(1), Time.ms(5), Time.ms(20)] {
            let expected = Double(Time.us(200) + Time.us(250) + 2 * max(Time.us(100), delay) + Time.us(100) + Time.us(250) + Time.us(300)) / 1e9
            let p50 = try Self.p50(Self.galeraFar(nodes: nodes, delay: delay))
            #expect(abs(p50 - expected) < expected * 0.02, "\(nodes) nodes, delay \(Time.format(delay)): p50 \(p50) vs \(expected)")
        }
    }
}
