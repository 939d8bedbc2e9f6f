import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// Every tool knows a database only by what it could ask over the network (strategies hold
/// handles, not server objects): a partition between the tool and one node hides that node,
/// and the tool takes the path the real tool takes then. MHA's case is
/// DaemonProcessTests.mhaStopsWhenItCannotReachAConfiguredSlave; Heartbeat's and DRBD's
/// (the peers' own link) are the split-brain regressions.
@Suite struct NetworkOnlyKnowledgeTests {
    let daemons = DaemonProcessTests()
    func load(_ folder: String, _ name: String, _ edit: ((String) -> String)? = nil) throws -> Scenario {
        try daemons.load(folder, name, edit)
    }
    func report(_ s: Scenario, seed: UInt64 = 1) throws -> RunReport { try daemons.report(s, seed: seed) }

    /// MMM: the monitor cannot reach s2 (its checks fail), so after trap_period it marks s2
    /// HARD_OFFLINE, and at the writer's failover s2's agent cannot be told set_active_master:
    /// s2 stays on the dead master and never sees db2's reused ids. Flip: s2 reachable, it is
    /// re-pointed like s1.
    @Test func mmmMarksASlaveItCannotReachHardOfflineAndCannotRepointIt() throws {
        let hidden = try report(load("managers", "mmm-semi-sync-1062.yaml") {
            $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1}",
                                    with: "  - {at: 30s, partition: {between: [mon1], and: [s2]}}\n  - {at: 60s, host_crash: db1}")
        })
        #expect(hidden.timeline.contains { $0.kind == "alert" && $0.detail.hasPrefix("s2: ONLINE -> HARD_OFFLINE") })
        #expect(hidden.timeline.contains { $0.node == "s2" && $0.kind == "failover_step_failed" && $0.detail.contains("set_active_master") })
        #expect(!hidden.timeline.contains { $0.node == "s2" && $0.kind == "failover_step" && $0.detail.contains("set_active_master") })
        let seen = try report(load("managers", "mmm-semi-sync-1062.yaml"))
        #expect(!seen.timeline.contains { $0.detail.hasPrefix("s2: ONLINE -> HARD_OFFLINE") })
        #expect(seen.timeline.contains { $0.node == "s2" && $0.kind == "failover_step" && $0.detail.contains("set_active_master") })
    }

    /// The manual runbook: the DBA cannot reach db2, so cannot read how it replicates nor
    /// re-point it; the runbook goes on without it and comes back every 30 s. While the cut
    /// lasts db2 stays on the dead primary and never applies db3's reused ids (no 1062); once
    /// it heals the DBA re-points db2 and its SQL thread stops on the duplicate key.
    @Test func theDBASkipsAReplicaTheyCannotReach() throws {
        func run(_ fault: String?) throws -> RunReport {
            try report(load("replication", "three-replicas-wrong-promotion.yaml", fault.map { f in
                { $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1}", with: "  - \(f)\n  - {at: 60s, host_crash: db1}") }
            }))
        }
        let seen = try run(nil)
        #expect(seen.replicationErrors.contains { $0.code == 1062 && $0.node == "db2" })
        let cut = try run("{at: 50s, partition: {between: [app1], and: [db2]}}")
        #expect(cut.timeline.contains { $0.node == "db2" && $0.kind == "failover_step_failed" && $0.detail.contains("skipped for now") })
        #expect(!cut.timeline.contains { $0.node == "db2" && $0.kind == "failover_step" && $0.detail.hasPrefix("CHANGE MASTER TO db3") })
        #expect(!cut.replicationErrors.contains { $0.node == "db2" })
        let healed = try run("{at: 50s, partition: {between: [app1], and: [db2]}, recover_after: 80s}")
        let heal = Time.s(130)
        let repointed = try #require(healed.timeline.first { $0.node == "db2" && $0.kind == "failover_step" && $0.detail.hasPrefix("CHANGE MASTER TO db3") })
        #expect(repointed.time >= heal)
        #expect(healed.replicationErrors.contains { $0.code == 1062 && $0.node == "db2" })
    }

    /// The Galera operator sees only the nodes that answer its SQL: cut off from db1, the only
    /// survivor, it sees no node at all, is never paged and bootstraps nothing; the cluster
    /// stays non-Primary to the end. Flip: db1 visible, pc.bootstrap=YES on db1.
    @Test func theGaleraOperatorCannotBootstrapANodeItCannotSee() throws {
        let seen = try report(load("galera", "galera-two-of-three-die.yaml"))
        #expect(seen.timeline.contains { $0.kind == "galera_bootstrap" && $0.node == "db1" })
        let hidden = try report(load("galera", "galera-two-of-three-die.yaml") {
            $0.replacingOccurrences(of: "  - {at: 30s, host_crash: db2}",
                                    with: "  - {at: 20s, partition: {between: [app1], and: [db1]}}\n  - {at: 30s, host_crash: db2}")
        })
        #expect(!hidden.timeline.contains { $0.kind == "galera_bootstrap" })
        #expect(hidden.metric("write_downtime")! > 110)
        #expect(seen.metric("write_downtime")! < 90)
    }

    /// RHCS on a shared LUN: a cut cluster link looks to each node like a dead peer (neither
    /// can see the other's true power state); both fence, and the first fence agent to answer
    /// wins: the active node, which saw the silence first, powers the standby off, so nothing is
    /// mounted and nothing acknowledged is lost. Each node keeps its own view of the DC: both
    /// lose theirs and elect themselves. Flip: a fence that cannot finish within
    /// stonith_timeout blocks both sides; nobody is powered off, nothing is mounted.
    @Test func theSharedDiskStandbyFencesWhatItCannotHear() throws {
        func run(_ options: String?) throws -> RunReport {
            try report(load("disk", "shared-disk-vs-primary-crash.yaml") {
                let t = $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1}",
                                                with: "  - {at: 60s, partition: {between: [db1], and: [db2]}}")
                guard let options else { return t }
                return t.replacingOccurrences(of: "  strategy: shared-disk", with: "  strategy: shared-disk\n  options: {\(options)}")
            })
        }
        let fenced = try run(nil)
        #expect(fenced.timeline.contains { $0.node == "db2" && $0.kind == "failover_step" && $0.detail == "stonith: fencing db1 (off)" })
        #expect(fenced.timeline.contains { $0.node == "db1" && $0.kind == "failover_step" && $0.detail == "stonith: db2 fenced (powered off)" })
        #expect(!fenced.timeline.contains { $0.detail.hasPrefix("fs: shared LUN mounted") })
        #expect(!fenced.timeline.contains { $0.detail == "stonith: db1 fenced (powered off)" })
        #expect(fenced.metric("lost_transactions") == 0)
        #expect(fenced.timeline.filter { $0.detail.hasSuffix("is elected DC") }.count == 1,
                "only the node that believed its peer was DC holds an election")
        let blocked = try run("fence_time: 90s, stonith_timeout: 60s")
        #expect(blocked.timeline.contains { $0.kind == "failover_step_failed" && $0.detail.contains("resources blocked") })
        #expect(!blocked.timeline.contains { $0.detail.hasSuffix("fenced (powered off)") })
        #expect(!blocked.timeline.contains { $0.detail.hasPrefix("fs: shared LUN mounted") })
    }

    /// A killed host makes its daemon forget what it held in memory; the tools with no such
    /// test yet. MMM's monitor: the checks' failure history (the trap_period clock) is the
    /// checker threads' memory, so after a power cycle of the monitor's host a master whose
    /// mysqld died before it needs a whole new trap_period (10 s) from the first check after the
    /// boot. Flip: had it kept the history, the first failing check after the boot (at most
    /// check_period + check_timeout, 7 s) would have moved the writer. And Monitor.pm init: an
    /// agent that cannot be asked its status at start-up (db1's whole host is down) puts the
    /// monitor in PASSIVE mode, and it moves nothing.
    @Test func theMMMMonitorForgetsItsChecksWithItsHost() throws {
        func run(_ faults: String) throws -> RunReport {
            try report(load("managers", "mmm-semi-sync-1062.yaml") {
                $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1}", with: faults)
            })
        }
        func writerMoved(_ r: RunReport) throws -> SimTime {
            try #require(r.timeline.first { $0.kind == "failover_start" }?.time)
        }
        let base = try run("  - {at: 60s, process_crash: db1}")
        let rebooted = try run("  - {at: 60s, process_crash: db1}\n  - {at: 68s, host_crash: mon1, recover_after: 1s}")
        let restart = try #require(rebooted.timeline.first { $0.kind == "host_restart" && $0.node == "mon1" }?.time)
        #expect(rebooted.timeline.contains { $0.detail == "Monitor started in active mode." })
        #expect(try writerMoved(rebooted) >= restart + Time.s(10), "a new trap_period after the boot")
        #expect(try writerMoved(base) < writerMoved(rebooted))
        let agentDown = try run("  - {at: 60s, host_crash: db1}\n  - {at: 68s, host_crash: mon1, recover_after: 1s}")
        #expect(agentDown.timeline.contains { $0.kind == "alert" && $0.detail.hasPrefix("Switching to passive mode") })
        #expect(agentDown.metric("failovers") == 0)
    }

    /// masterha_manager after a power cycle has its configuration and its workdir, nothing
    /// else: it finds the current master as the server the live slaves replicate from (SHOW
    /// SLAVE STATUS). Rebooted after the failover it monitors db2; rebooted before the crash
    /// it monitors db1 (the flip: the same restart, a different answer from the slaves).
    @Test func theMHAManagerAsksTheSlavesForTheMasterAfterItsReboot() throws {
        func run(_ rebootAt: String) throws -> RunReport {
            try report(load("managers", "mha-semi-sync-recovers.yaml") {
                $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1}",
                                        with: "  - {at: 60s, host_crash: db1}\n  - {at: \(rebootAt), host_crash: mha1, recover_after: 1s}")
            })
        }
        let after = try run("150s")
        #expect(after.timeline.contains { $0.detail == "masterha_manager started: master db2" })
        #expect(after.metric("failovers") == 1)
        let before = try run("40s")
        #expect(before.timeline.contains { $0.detail == "masterha_manager started: master db1" })
        #expect(before.timeline.contains { $0.kind == "failover_complete" })
    }

    /// The Galera operator's page is in the pager and the DBA's head, gone with the admin box:
    /// after its power cycle the monitoring must see the non-Primary cluster again and page
    /// anew, so the bootstrap comes bootstrap_delay after the reboot. Flip: without the reboot
    /// it comes bootstrap_delay after the first page, before that.
    @Test func theGaleraOperatorForgetsItsPageWithItsHost() throws {
        func run(_ extra: String) throws -> RunReport {
            try report(load("galera", "galera-two-of-three-die.yaml") {
                $0.replacingOccurrences(of: "idc1: [lb1, app1, db1, db2, db3]", with: "idc1: [lb1, app1, ops1, db1, db2, db3]")
                    .replacingOccurrences(of: "options: {bootstrap_delay: 60s}", with: "options: {bootstrap_delay: 60s, operator_host: ops1}")
                    .replacingOccurrences(of: "  - {at: 30s, host_crash: db3}", with: "  - {at: 30s, host_crash: db3}" + extra)
            })
        }
        func bootstrap(_ r: RunReport) throws -> SimTime {
            try #require(r.timeline.first { $0.kind == "galera_bootstrap" }?.time)
        }
        let base = try run("")
        let rebooted = try run("\n  - {at: 60s, host_crash: ops1, recover_after: 1s}")
        let restart = try #require(rebooted.timeline.first { $0.kind == "host_restart" && $0.node == "ops1" }?.time)
        #expect(try bootstrap(rebooted) >= restart + Time.s(60))
        #expect(try bootstrap(base) < restart + Time.s(60))
    }

    /// MHA by file and position: the other slaves start at the new master's SHOW MASTER STATUS
    /// read after Phase 3.5 applied its diff, so they skip the events their own diff already
    /// gave them. Read before the apply (new_master_position: before_apply), the position is
    /// older: db2 receives db3's applied diff again and its SQL thread stops on 1062.
    @Test func mhaRepointsTheSlavesAtTheNewMastersPositionAfterItsApply() throws {
        let lagging = MHALaggingTests()
        let after = try lagging.lagging(options: "manager_host: mha1, candidate_master: db3")
        #expect(lagging.newMaster(after) == "db3")
        #expect(after.metric("replication_crashes") == 0)
        #expect(after.metric("lost_transactions") == 0)
        let before = try lagging.lagging(options: "manager_host: mha1, candidate_master: db3, new_master_position: before_apply")
        #expect(lagging.newMaster(before) == "db3")
        #expect(before.replicationErrors.contains { $0.code == 1062 && $0.node == "db2" })
    }
}
