import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// HA daemons are processes on hosts: they forget what they held in memory when their
/// host loses power, learn only over the network, and every step costs its time.
@Suite struct DaemonProcessTests {
    func load(_ folder: String, _ name: String, _ edit: ((String) -> String)? = nil) throws -> Scenario {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/regressions/\(folder)/" + name, encoding: .utf8)
        let edited = edit?(text) ?? text
        if edit != nil { #expect(edited != text, "the edit did not apply to \(name)") }
        return try ScenarioLoader.load(text: edited, file: name)
    }

    func report(_ s: Scenario, seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(s, seed: seed))
    }

    /// HeartBeat: the rebooted preferred node does not remember holding the resources, so
    /// it takes them back through auto_failback, and its mysqld resource script raises the
    /// VIP only once mysqld answers. Only while both nodes live (a cut heartbeat link) do
    /// both hold the resources and the preferred node announce the VIP again.
    @Test func heartbeatForgetsItsResourcesWithItsHost() throws {
        let reboot = try report(load("managers", "heartbeat-link-split-brain.yaml") {
            $0.replacingOccurrences(of: "{at: 60s, partition: {between: [db1, app1], and: [db2, app2]}, recover_after: 90s}",
                                    with: "{at: 60s, host_crash: db1, recover_after: 60s}")
        })
        let restart = try #require(reboot.timeline.first { $0.kind == "host_restart" && $0.node == "db1" }?.time)
        let ready = try #require(reboot.timeline.first { $0.kind == "mysql_ready" && $0.node == "db1" && $0.time >= restart }?.time)
        let vipBack = try #require(reboot.timeline.first { $0.kind == "vip_acquire" && $0.node == "db1" && $0.time >= restart }?.time)
        #expect(vipBack >= ready, "the VIP comes back to db1 only after its mysqld answers")
        #expect(!reboot.timeline.contains { $0.detail.contains("announced again") })
        #expect(reboot.metric("split_brain_time") == 0)
        // Flip the cause: the same node keeps its memory when only the link is cut.
        let cut = try report(load("managers", "heartbeat-link-split-brain.yaml"))
        #expect(cut.timeline.contains { $0.detail.contains("announced again") })
    }

    /// Pacemaker without STONITH: the active node's lrmd state dies with its host, so after
    /// the power cycle its monitor does not start a writable mysqld on a DRBD Secondary.
    /// A killed mysqld on a living node is restarted in place by the same monitor.
    @Test func pacemakerForgetsItsResourcesWithItsHost() throws {
        let reboot = try report(load("disk", "drbd-vs-primary-crash.yaml") {
            $0.replacingOccurrences(of: "  strategy: drbd", with: "  strategy: drbd\n  options: {stonith: false}")
                .replacingOccurrences(of: "{at: 60s, host_crash: db1}", with: "{at: 60s, host_crash: db1, recover_after: 20s}")
        })
        let restart = try #require(reboot.timeline.first { $0.kind == "host_restart" && $0.node == "db1" }?.time)
        #expect(!reboot.timeline.contains { $0.node == "db1" && $0.time >= restart && $0.detail.contains("on-fail=restart") })
        #expect(!reboot.timeline.contains { $0.node == "db1" && $0.time >= restart && $0.kind == "mysql_ready" })
        #expect(reboot.metric("failovers") == 1)
        // Flip the cause: the host lives, only mysqld dies; the node still runs the group.
        let killed = try report(load("disk", "drbd-vs-primary-crash.yaml") {
            $0.replacingOccurrences(of: "{at: 60s, host_crash: db1}", with: "{at: 60s, process_crash: db1}")
        })
        #expect(killed.timeline.contains { $0.node == "db1" && $0.detail.contains("on-fail=restart") })
    }

    /// MHA learns the slaves only from SHOW SLAVE STATUS. A partition between the manager
    /// and one slave hides it, and MHA 0.58 then refuses to fail over
    /// (validate_num_alive_servers: "Server s2 is dead, but must be alive!").
    @Test func mhaStopsWhenItCannotReachAConfiguredSlave() throws {
        let hidden = try report(load("managers", "mha-semi-sync-recovers.yaml") {
            $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1}",
                                    with: "  - {at: 55s, partition: {between: [mha1], and: [s2]}}\n  - {at: 60s, host_crash: db1}")
        })
        #expect(!hidden.timeline.contains { $0.kind == "failover_complete" })
        #expect(hidden.timeline.contains { $0.kind == "failover_step_failed" && $0.detail.contains("s2 is dead, but must be alive") })
        #expect(hidden.metric("write_downtime")! > 110, "writes stay down from the crash at 60 s to the end at 3 min")
        let seen = try report(load("managers", "mha-semi-sync-recovers.yaml"))
        #expect(seen.timeline.contains { $0.kind == "failover_complete" })
        #expect(seen.metric("write_downtime")! < 40)
    }

    /// MHA's recovery costs time per event: the events the new master lacks are shipped
    /// and replayed through the mysql client (apply_events_per_second).
    @Test func mhaFailoverTimeGrowsWithTheEventsToApply() throws {
        func recovery(_ r: RunReport) throws -> SimTime {
            let start = try #require(r.timeline.first { $0.kind == "failover_start" }?.time)
            let done = try #require(r.timeline.first { $0.kind == "failover_complete" }?.time)
            return done - start
        }
        let base = try report(load("managers", "mha-semi-sync-recovers.yaml"))
        let slowApply = try report(load("managers", "mha-semi-sync-recovers.yaml") {
            $0.replacingOccurrences(of: "candidate_master: db2}", with: "candidate_master: db2, apply_events_per_second: 5}")
        })
        let diff = try #require(base.timeline.first { $0.detail.hasPrefix("apply_diff_relay_logs --command=generate_and_send:") }?.detail)
        let events = Int(diff.split(separator: " ")[2]) ?? 0
        #expect(events >= 5, "the new master lacks events the latest slave has")
        // Each event at 5/s instead of 2000/s: about 0.2 s more per event.
        let extra = Double(try recovery(slowApply) - recovery(base)) / 1e9
        #expect(extra > Double(events) * 0.15 && extra < Double(events) * 0.25 + 1)
        #expect(slowApply.metric("lost_transactions") == 0)
        // Without SSH step costs MHA would fail over in milliseconds after detection.
        #expect(try recovery(base) > Time.ms(800))
    }

    /// keepalived: a BACKUP takes over the master-down interval (3 x advert_int + skew)
    /// after the last advert it heard, so doubling advert_int doubles the outage (real run:
    /// 3.6 s at advert_int 1).
    @Test func keepalivedTakesOverAfterTheMasterDownInterval() throws {
        let base = try report(load("managers", "keepalived-real.yaml"))
        let rto = base.metric("max_rto")!
        #expect(rto > 2.6 && rto < 3.7)
        let slow = try report(load("managers", "keepalived-real.yaml") {
            $0.replacingOccurrences(of: "  strategy: keepalived", with: "  strategy: keepalived\n  options: {advert_int: 2s}")
        })
        #expect(slow.metric("max_rto")! > 5.2 && slow.metric("max_rto")! < 7.3)
    }

    /// keepalived after a cut VRRP link: two MASTERs, the client follows the last GARP it
    /// heard (db2's), then db1's higher priority and its GARPs win at the heal, and what the
    /// client wrote on db2 is lost. A cut shorter than the master-down interval changes nothing.
    @Test func keepalivedHealedPartitionLosesTheWritesOfTheLowerPriority() throws {
        let cut = try report(load("managers", "keepalived-partition-heal.yaml"))
        #expect(cut.metric("lost_transactions")! >= 100)
        #expect(cut.timeline.contains { $0.node == "db2" && $0.detail.contains("Entering BACKUP STATE") })
        let blip = try report(load("managers", "keepalived-partition-heal.yaml") {
            $0.replacingOccurrences(of: "recover_after: 60s", with: "recover_after: 2s")
        })
        #expect(blip.metric("lost_transactions") == 0)
        #expect(blip.metric("failovers") == 0)
    }

    /// Monitors start at a seeded phase of their check cycle: seeds give a spread of RTOs.
    @Test func seedsGiveASpreadOfRTOs() throws {
        let s = try load("disk", "mha-vs-primary-crash.yaml")
        let rtos = try (1...4).map { try report(s, seed: UInt64($0)).metric("max_rto")! }
        #expect(Set(rtos).count >= 3, "RTOs \(rtos)")
        #expect(rtos.allSatisfy { $0 > 9 && $0 < 30 })
    }

    /// `at: {uniform: [a, b]}`: each seed draws its own instant in the window, the same
    /// instant every time for the same seed.
    @Test func faultTimeDrawnFromAWindow() throws {
        let s = try load("disk", "mha-vs-primary-crash.yaml") {
            $0.replacingOccurrences(of: "{at: 60s, host_crash: db1}", with: "{at: {uniform: [50s, 70s]}, host_crash: db1}")
        }
        #expect(s.faults[1].at == Time.s(50) && s.faults[1].atLatest == Time.s(70))
        func crashAt(_ seed: UInt64) throws -> SimTime {
            try #require(try ScenarioRunner.run(s, seed: seed).trace.first { $0.kind.name == "host_crash" }?.time)
        }
        let times = try (1...4).map(crashAt)
        #expect(times.allSatisfy { $0 >= Time.s(50) && $0 <= Time.s(70) })
        #expect(Set(times).count == 4)
        #expect(try crashAt(2) == times[1])
        #expect(throws: (any Error).self) {
            try ScenarioLoader.load(text: (try String(contentsOfFile: repoRoot + "/scenarios/regressions/disk/mha-vs-primary-crash.yaml", encoding: .utf8))
                .replacingOccurrences(of: "{at: 60s, host_crash: db1}", with: "{at: {uniform: [70s, 50s]}, host_crash: db1}"), file: "x.yaml")
        }
    }
}
