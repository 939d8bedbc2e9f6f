import Testing
import HasimKernel
@testable import HasimScenario
import HasimResults

/// The measurements on real runs, against hand-computed figures; each test flips the
/// cause and shows the figure move.
@Suite("Measurements on runs")
struct MeasurementScenarioTests {
    static func run(_ yaml: String, seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(try ScenarioLoader.load(text: yaml, file: "test.yaml"), seed: seed))
    }

    /// One primary (and optionally a replica) on one site with constant 1 ms links.
    static func single(duration: String = "1s", quiesce: String = "0s", faults: String = "[]",
                       mysql: String = "{}", replica: Bool = false, rate: Int = 100) -> String {
        """
        name: measurement
        duration: \(duration)
        quiesce: \(quiesce)
        topology:
          sites:
            idc1: [db1, db2, app1]
          latency:
            same_site: {constant: 1ms}
          databases:
            db1: {role: primary}
        \(replica ? "    db2: {role: replica, source: db1}" : "")
        mysql: \(mysql)
        architecture: {strategy: \(replica ? "manual" : "single")}
        workload: {client: app1, writes_per_second: \(rate)}
        faults: \(faults)
        """
    }

    @Test("A probe still pending when the run ends is a failure from its issue time")
    func pendingProbeIsDown() throws {
        // The application loses the primary at 50 ms; the run ends at 1 s, before any
        // probe issued after the cut reaches its 1 s timeout.
        let cut = "[{at: 50ms, partition: {between: [app1], and: [db1]}}]"
        let short = try Self.run(Self.single(duration: "1s", quiesce: "0s", faults: cut))
        let downtime = try #require(short.metric("write_downtime"))
        #expect(downtime > 0.89 && downtime < 0.91, "9 of 10 probes unanswered: 0.9 s down, not 0")
        // Flip: a quiesce long enough for every deadline to pass inside the run gives the
        // same downtime: the end of the run no longer decides the figure.
        let long = try Self.run(Self.single(duration: "1s", quiesce: "5s", faults: cut))
        #expect(long.metric("write_downtime") == downtime)
    }

    @Test("Commit latency with constant 1 ms links: async = 1 RTT + commit, semi-sync adds the replica's RTT")
    func commitLatencyHandComputed() throws {
        // async: app -> db1 -> app = 2 ms, plus mysql.commit_latency 800 µs = 2.8 ms.
        let async = try Self.run(Self.single(duration: "20s", replica: true))
        let p50 = try #require(async.metric("commit_latency_p50"))
        #expect(abs(p50 - 0.0028) < 0.0028 * 0.002, "p50 \(p50)")
        // AFTER_SYNC semi-sync waits for db2's ack: + one round trip db1 -> db2 -> db1 (2 ms).
        let semi = try Self.run(Self.single(duration: "20s", mysql: "{semi_sync: {enabled: true}}", replica: true))
        let semiP50 = try #require(semi.metric("commit_latency_p50"))
        #expect(abs(semiP50 - 0.0048) < 0.0048 * 0.002, "p50 \(semiP50)")
        // Per time bucket and per group too.
        #expect(semi.latency.contains { $0.bucketStart == Time.s(10) && $0.count > 50 })
    }

    @Test("Replication lag grows at load minus apply rate, then drains at the apply rate")
    func lagGrowsThenDrains() throws {
        // 100 writes/s + 10 probe writes/s, the replica applies 50/s: +60 transactions per
        // second for 20 s, then -50 per second once the load stops.
        let yaml = Self.single(duration: "20s", quiesce: "40s", mysql: "{sql_thread_rate: 50}", replica: true)
        let r = try Self.run(yaml)
        let lag = r.series.filter { $0.name == "lag_transactions" && $0.subject == "db2" }
        func at(_ s: Int64) throws -> Double { try #require(lag.first { $0.time == Time.s(s) }?.value) }
        let l10 = try at(10), l20 = try at(20)
        #expect(l10 > 500 && l10 < 700, "about 600 behind at 10 s: \(l10)")
        #expect(l20 > 1050 && l20 < 1350, "about 1200 behind at 20 s: \(l20)")
        // Draining: exactly the apply rate per second (the SQL thread's fixed cost).
        let l25 = try at(25), l30 = try at(30)
        #expect(abs((l25 - l30) - 250) <= 1, "drains 50/s: \(l25) -> \(l30)")
        #expect(try at(55) == 0)
        let seconds = r.series.filter { $0.name == "lag_seconds" && $0.subject == "db2" && $0.time == Time.s(20) }
        #expect(try #require(seconds.first?.value) > 8, "Seconds_Behind_Source grows with the backlog")
        // Flip: an apply rate above the load keeps the lag at about zero.
        let fast = try Self.run(Self.single(duration: "20s", quiesce: "40s", mysql: "{sql_thread_rate: 2000}", replica: true))
        #expect(try #require(fast.metric("max_lag_transactions")) < 10)
    }

    static func heartbeatSplit(recover: String?) -> String {
        """
        name: heartbeat link lost
        duration: 3m
        quiesce: 30s
        topology:
          sites:
            idc1: [db1, db2, app1, app2]
          latency:
            same_site: {constant: 200us}
          databases:
            db1: {role: primary, source: db2, auto_increment_increment: 2, auto_increment_offset: 1}
            db2: {role: replica, source: db1, auto_increment_increment: 2, auto_increment_offset: 2}
        front_door:
          vip: {address: 10.0.0.100, site: idc1, holder: db1}
        architecture:
          strategy: heartbeat-mon
        workload:
          - {client: app1, writes_per_second: 50, hot_rows: 5}
          - {client: app2, writes_per_second: 50, hot_rows: 5}
        faults:
          - {at: 30s, partition: {between: [db1, app1], and: [db2, app2]}\(recover.map { ", recover_after: \($0)" } ?? "")}
        """
    }

    @Test("A VIP on two hosts at the end: ambiguous for every seed, with the writes at risk on each side")
    func twoVIPHoldersAtTheEnd() throws {
        for seed: UInt64 in [1, 2, 3, 4] {
            let r = try Self.run(Self.heartbeatSplit(recover: nil), seed: seed)
            #expect(r.metric("final_primary_ambiguous") == 1, "seed \(seed)")
            #expect(try #require(r.metric("split_brain_time")) > 60, "seed \(seed)")
            let risk = r.splitBrainSides.filter { $0.atRisk > 0 }
            #expect(risk.map(\.side) == ["db1", "db2"], "seed \(seed)")
            #expect(r.metric("writes_at_risk") == Double(risk.reduce(0) { $0 + $1.atRisk }))
        }
        // Flip: the link heals before the end: resolved, and one side's writes are the loss.
        let healed = try Self.run(Self.heartbeatSplit(recover: "60s"))
        #expect(healed.metric("final_primary_ambiguous") == 0)
        #expect(healed.metric("writes_at_risk") == 0)
        #expect(try #require(healed.metric("split_brain_time")) > 20)
    }
}

@Suite("expect: keys")
struct ExpectKeysTests {
    static let webMetrics: Set<String> = ["http_requests", "http_ok", "http_errors", "http_no_answer", "http_latency_p50",
                                          "http_latency_p99", "sessions_lost", "http_write_errors", "http_db_mismatch",
                                          "http_tps", "http_tps_min", "session_replication_messages",
                                          // The L4 balancer's, only in runs with `web.l4`.
                                          "l4_bytes_in", "l4_bytes_out", "l4_peak_utilisation", "l4_queue_delay_max", "l4_drops"]
    /// Every metric `expect:` accepts is one a run reports (so a regression can never
    /// expect a name that is never measured), and every metric a run reports can be expected.
    @Test func expectKeysAreTheMeasuredMetrics() throws {
        let yaml = MeasurementScenarioTests.single(duration: "20s", quiesce: "5s",
                                                   faults: "[{at: 5s, process_crash: db1, recover_after: 5s}]", replica: true)
        let r = try MeasurementScenarioTests.run(yaml)
        let measured = Set(r.metrics.map(\.name))
        // udp_silence is measured only in runs with a `protocol: udp` group (UDPClientTests
        // expects it of one); a MySQL-only run reports everything else.
        // The web tier's metrics likewise only in runs with `web:` (WebTierRegressionTests).
        let accepted = Set(ScenarioBuilder.metrics).subtracting(["udp_silence"]).subtracting(Self.webMetrics)
        #expect(measured == accepted, "measured only: \(measured.subtracting(accepted).sorted()); accepted only: \(accepted.subtracting(measured).sorted())")
    }
}

@Suite("Observed failovers on runs")
struct ObservedFailoverTests {
    static func heartbeat(autoFailback: Bool) -> String {
        """
        name: heartbeat failback
        duration: 4m
        quiesce: 30s
        topology:
          sites:
            idc1: [db1, db2, app1]
          latency:
            same_site: {constant: 200us}
          databases:
            db1: {role: primary, source: db2, auto_increment_increment: 2, auto_increment_offset: 1}
            db2: {role: replica, source: db1, auto_increment_increment: 2, auto_increment_offset: 2}
        front_door:
          vip: {address: 10.0.0.100, site: idc1, holder: db1}
        architecture:
          strategy: heartbeat-mon
          options: {auto_failback: \(autoFailback)}
        workload: {client: app1, writes_per_second: 50}
        faults:
          - {at: 30s, host_crash: db1, recover_after: 60s}
        """
    }

    @Test("HeartBeat auto_failback after the reboot moves the writer twice: two failovers")
    func failbackCountsTwo() throws {
        let back = try MeasurementScenarioTests.run(Self.heartbeat(autoFailback: true))
        #expect(back.failovers.map(\.to) == ["db2", "db1"])
        #expect(back.metric("failovers") == 2)
        // Flip: without auto_failback the writer stays on db2.
        let stay = try MeasurementScenarioTests.run(Self.heartbeat(autoFailback: false))
        #expect(stay.failovers.map(\.to) == ["db2"])
        #expect(stay.metric("failovers") == 1)
    }
}
