import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// The gaps the audit of issue 12 found (docs/processes.md): a tool's hand-off travels as a
/// message that a cut link loses, the manual runbook's monitoring is a process on its host,
/// and no strategy can read a host's power state or a path's state behind the network's back.
@Suite struct ProcessAuditTests {
    /// The scenario loader and runner of the daemon tests (regression files with an edit).
    let d = DaemonProcessTests()

    /// Heartbeat: Mon finds db1's mysqld dead and runs hb_standby, which gives the resources
    /// up and asks db2's heartbeat to take them: a message on the heartbeat link. With the
    /// link cut (shorter than deadtime, so neither declares the other dead) the request is
    /// lost and resent with each heartbeat; db2 takes over only once the link heals. Flip:
    /// with the link up db2 takes over seconds after Mon's alert.
    @Test func heartbeatStandbyIsAMessageTheCutLinkLoses() throws {
        func run(_ cut: Bool) throws -> RunReport {
            try d.report(d.load("managers", "heartbeat-failover-loses-unreplicated.yaml") {
                $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1}", with: (cut
                    ? "  - {at: 55s, partition: {between: [db1], and: [db2]}, recover_after: 25s}\n" : "")
                    + "  - {at: 60s, process_crash: db1}")
            })
        }
        func takeover(_ r: RunReport) throws -> SimTime {
            try #require(r.timeline.first { $0.kind == "failover_start" && $0.detail.contains("hb_standby") }?.time)
        }
        let linked = try run(false)
        let alert = try #require(linked.timeline.first { $0.kind == "alert" && $0.detail.hasPrefix("mon:") }?.time)
        #expect(try takeover(linked) - alert < Time.s(2), "the standby message arrives at once")
        let cut = try run(true)
        #expect(try takeover(cut) >= Time.s(80), "taken over only after the heal at 80 s")
        #expect(!cut.timeline.contains { $0.kind == "alert" && $0.detail.contains("status dead") },
                "the cut is shorter than deadtime: no node is declared dead")
    }

    /// The manual runbook's monitoring runs on an ops host (monitor_host): while that host is
    /// down nothing is checked and nobody is paged, and after its boot the checks start again
    /// from its configuration. db1 dies while mon1 is down, so the alert comes only after
    /// mon1's boot. Flip: mon1 up, the alert comes two failed checks after the crash.
    @Test func theManualMonitoringDiesWithItsHost() throws {
        func run(_ monitorDown: Bool) throws -> RunReport {
            try d.report(d.load("replication", "three-replicas-wrong-promotion.yaml") {
                $0.replacingOccurrences(of: "idc1: [db1, db2, app1]", with: "idc1: [db1, db2, app1, mon1]")
                    .replacingOccurrences(of: "options: {target: db3,", with: "options: {monitor_host: mon1, target: db3,")
                    .replacingOccurrences(of: "  - {at: 60s, host_crash: db1}", with: (monitorDown
                        ? "  - {at: 55s, host_crash: mon1, recover_after: 60s}\n" : "") + "  - {at: 60s, host_crash: db1}")
            })
        }
        func alert(_ r: RunReport) throws -> SimTime {
            try #require(r.timeline.first { $0.kind == "alert" && $0.node == "monitoring" }?.time)
        }
        let up = try run(false)
        #expect(try alert(up) < Time.s(90))
        let down = try run(true)
        let boot = try #require(down.timeline.first { $0.kind == "host_restart" && $0.node == "mon1" }?.time)
        #expect(try alert(down) >= boot + Time.s(10), "two failed checks after the boot, none counted while down")
        #expect(down.metric("write_downtime")! > up.metric("write_downtime")!)
    }

    /// The monitoring's first check comes at a seeded phase of check_interval (as any daemon's
    /// loop here), so where in the cycle db1 dies varies with the seed: the alert comes
    /// alert_after failed checks after the crash, anywhere within one interval. Flip: before
    /// the phase was seeded, every seed alerted at the same instant (the loop began at t = 0).
    @Test func theManualMonitoringsChecksStartAtASeededPhase() throws {
        let s = try d.load("replication", "three-replicas-wrong-promotion.yaml")
        var alerts: [SimTime] = []
        for seed in UInt64(1)...6 {
            let r = try d.report(s, seed: seed)
            alerts.append(try #require(r.timeline.first { $0.kind == "alert" && $0.node == "monitoring" }?.time))
        }
        // check_interval 5 s, alert_after 2, crash at 60 s: the second failed check starts 5-10 s
        // after the crash and fails at its 10 s connect timeout (check_timeout's default).
        for a in alerts { #expect(a > Time.s(60 + 5 + 10) && a <= Time.s(60 + 10 + 10) + Time.ms(50), "alert at \(Time.format(a))") }
        #expect(Set(alerts).count >= 3, "seeds give different phases: \(alerts.map(Time.format))")
    }

    /// keepalived after its host's power cycle starts from keepalived.conf: state BACKUP (the
    /// MASTER state was memory), so the returning db1 takes the VIP back only through its
    /// higher priority with preempt (a second move of the writer), and keeps out with
    /// nopreempt. Flip: preempt off.
    @Test func keepalivedRestartsAsBackupFromItsConfiguration() throws {
        func run(_ options: String) throws -> RunReport {
            try d.report(d.load("managers", "keepalived-real.yaml") {
                $0.replacingOccurrences(of: "  strategy: keepalived", with: "  strategy: keepalived\n  options: {\(options)}")
                    .replacingOccurrences(of: "{at: 10s, host_crash: db1}", with: "{at: 10s, host_crash: db1, recover_after: 10s}")
            })
        }
        let preempt = try run("preempt: true")
        let boot = try #require(preempt.timeline.first { $0.kind == "host_restart" && $0.node == "db1" }?.time)
        #expect(preempt.timeline.contains { $0.node == "db1" && $0.time >= boot && $0.kind == "vip_acquire" })
        let nopreempt = try run("preempt: false")
        #expect(!nopreempt.timeline.contains { $0.node == "db1" && $0.time >= boot && $0.kind == "vip_acquire" })
        #expect(nopreempt.timeline.contains { $0.node == "db2" && $0.kind == "vip_acquire" })
    }

    /// `Host.isUp` and `Network.canReach` are the world's truth (SPI Oracle): the fault
    /// injector, the measurements and the database layer import them, and no HA tool does, so
    /// a strategy that reads them does not compile. Flip: the runner does import them.
    @Test func noStrategyImportsTheOracle() throws {
        func sources(_ dir: String) throws -> [(path: String, text: String)] {
            let root = repoRoot + "/Sources/" + dir
            let files = try #require(FileManager.default.enumerator(atPath: root)?.allObjects as? [String])
            return try files.filter { $0.hasSuffix(".swift") }.sorted().map { f in
                (f, try String(contentsOfFile: root + "/" + f, encoding: .utf8))
            }
        }
        let strategies = try sources("HasimStrategies")
        #expect(!strategies.isEmpty)
        for (path, text) in strategies {
            #expect(!text.contains("@_spi(Oracle)"), "\(path) opts into the oracle")
        }
        #expect(try sources("HasimScenario").contains { $0.text.contains("@_spi(Oracle) import HasimNetwork") })
    }
}
