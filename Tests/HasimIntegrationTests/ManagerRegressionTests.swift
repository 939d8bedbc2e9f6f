import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// The replication managers' known failure cases, each with its cause flipped.
@Suite struct ManagerRegressionTests {
    /// Loads a regression scenario; an edit that does not change the file fails the test
    /// (a flip that silently did nothing would prove nothing).
    func scenario(_ name: String, _ edit: ((String) -> String)? = nil) throws -> Scenario {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/regressions/managers/" + name, encoding: .utf8)
        let edited = edit?(text) ?? text
        if edit != nil { #expect(edited != text, "the edit did not apply to \(name)") }
        return try ScenarioLoader.load(text: edited, file: name)
    }

    func report(_ s: Scenario, seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(s, seed: seed))
    }

    @Test func mmmFixedTargetCrashesReplicationWhereMHADoesNot() throws {
        let mmm = try report(scenario("mmm-semi-sync-1062.yaml"))
        #expect(mmm.metric("lost_transactions")! >= 1)
        #expect(mmm.replicationErrors.contains { $0.code == 1062 && $0.node == "s1" })
        // Flip the cause: MMM's target is the slave that has the acknowledged events.
        let rightTarget = try report(scenario("mmm-semi-sync-1062.yaml") {
            $0.replacingOccurrences(of: "options: {monitor_host: mon1}", with: "options: {monitor_host: mon1, standby_master: s1}")
        })
        #expect(rightTarget.metric("lost_transactions") == 0)
        #expect(rightTarget.metric("replication_crashes") == 0)
        // MHA on the same timeline, even promoting the same db2, recovers the events.
        let mha = try report(scenario("mha-semi-sync-recovers.yaml"))
        #expect(mha.metric("lost_transactions") == 0)
        #expect(mha.metric("replication_crashes") == 0)
        #expect(mha.timeline.contains { $0.kind == "failover_step" && $0.detail.contains("apply_diff_relay_logs") })
    }

    @Test func secondaryCheckPreventsTheFalseFailover() throws {
        let with = try report(scenario("mha-monitor-partition.yaml"))
        #expect(with.metric("failovers") == 0)
        let without = try report(scenario("mha-monitor-partition.yaml") {
            $0.replacingOccurrences(of: "options: {manager_host: mha1, secondary_check_hosts: db2}", with: "options: {manager_host: mha1}")
        })
        #expect(without.metric("false_failovers") == 1)
        // MMM has no secondary check: the same kind of partition fails it over falsely,
        // and db1 keeps a VIP nobody could tell it to drop.
        let mmm = try report(scenario("mmm-monitor-partition.yaml"))
        #expect(mmm.metric("false_failovers") == 1)
        #expect(mmm.metric("duplicate_vip_time")! > 60)
        // A partition shorter than trap_period is not a failure at all.
        let brief = try report(scenario("mmm-monitor-partition.yaml") {
            $0.replacingOccurrences(of: "{at: 60s, partition: {between: [mon1], and: [db1]}}",
                                    with: "{at: 60s, partition: {between: [mon1], and: [db1]}, recover_after: 4s}")
        })
        #expect(brief.metric("failovers") == 0)
        #expect(brief.metric("duplicate_vip_time") == 0)
    }

    @Test func heartbeatLossComesFromTheLagAndDowntimeFromDeadtime() throws {
        let base = try report(scenario("heartbeat-failover-loses-unreplicated.yaml"))
        #expect(base.metric("lost_transactions")! >= 1)
        let noLag = try report(scenario("heartbeat-failover-loses-unreplicated.yaml") {
            $0.replacingOccurrences(of: "  - {at: 50s, latency_spike: {between: [db1], and: [db2], add: 30ms}}\n", with: "")
        })
        #expect(noLag.metric("lost_transactions")! < base.metric("lost_transactions")!)
        let fast = try report(scenario("heartbeat-failover-loses-unreplicated.yaml") {
            $0.replacingOccurrences(of: "strategy: heartbeat-mon", with: "strategy: heartbeat-mon\n  options: {deadtime: 10s, warntime: 5s}")
        })
        let d30 = base.metric("write_downtime")!, d10 = fast.metric("write_downtime")!
        #expect(d30 > 28 && d10 < 13 && d10 > 8)
    }

    @Test func dnsFailoverDowntimeFollowsCaching() throws {
        let cached = try report(scenario("mha-dns-cross-site.yaml"))
        let uncached = try report(scenario("mha-dns-cross-site.yaml") {
            $0.replacingOccurrences(of: "ttl: 60s", with: "ttl: 0s").replacingOccurrences(of: "client_cache: 30s", with: "client_cache: 0s")
        })
        let a = cached.metric("write_downtime")!, b = uncached.metric("write_downtime")!
        #expect(b < a - 20, "TTL 0 and no JVM cache: the client follows the record as soon as the API has changed it")
        // Still at least MHA's detection + recovery + the DNS API call.
        #expect(b > 15)
    }

    @Test func dualMasterWritesOnBothDivergeButNotWithOneWriter() throws {
        let both = try report(scenario("dual-master-concurrent-update.yaml"))
        #expect(both.metric("divergence")! >= 1)
        #expect(both.metric("replication_crashes") == 0, "row images replace each other without an error")
        let oneWriter = try report(scenario("dual-master-concurrent-update.yaml") {
            $0.replacingOccurrences(of: "{client: app2, address: db2,", with: "{client: app2, address: db1,")
        })
        #expect(oneWriter.metric("divergence") == 0)
    }

    @Test func heartbeatSplitBrainNeedsTheLinkDownLongerThanDeadtime() throws {
        let long = try report(scenario("heartbeat-link-split-brain.yaml"))
        #expect(long.metric("split_brain_time")! > 40)
        #expect(long.metric("split_brain_writes")! >= 1)
        let short = try report(scenario("heartbeat-link-split-brain.yaml") {
            $0.replacingOccurrences(of: "recover_after: 90s", with: "recover_after: 20s")
        })
        #expect(short.metric("failovers") == 0)
        #expect(short.metric("split_brain_time") == 0)
        #expect(short.metric("duplicate_vip_time") == 0)
    }

    @Test func mhaRefusesASecondFailoverWithinLastFailoverMinute() throws {
        let guarded = try report(scenario("mha-second-failure-within-8h.yaml"))
        #expect(guarded.metric("failovers") == 1)
        #expect(guarded.timeline.contains { $0.kind == "failover_step_failed" && $0.detail.contains("last failover") })
        // Flip the guard: with last_failover_minute 1, the second failure fails over to db3.
        let unguarded = try report(scenario("mha-second-failure-within-8h.yaml") {
            $0.replacingOccurrences(of: "options: {manager_host: mha1, candidate_master: db2}",
                                    with: "options: {manager_host: mha1, candidate_master: db2, last_failover_minute: 1}")
        })
        #expect(unguarded.metric("failovers") == 2)
        #expect(unguarded.metric("write_downtime")! < guarded.metric("write_downtime")! - 60)
    }

    /// mysql-mmm 2.2.1 as its source does it: a REPLICATION_DELAY master becomes ONLINE
    /// once its peer is not, takes the orphaned writer role, and its agent drains the
    /// relay log (MASTER_POS_WAIT) before read_only=0.
    @Test func mmmPromotesALaggingStandbyOnlyAfterItDrainsItsRelayLog() throws {
        let lagging = try report(scenario("mmm-lagging-standby.yaml"))
        #expect(lagging.metric("failovers") == 1)
        #expect(lagging.metric("lost_transactions") == 0)
        #expect(lagging.timeline.contains { $0.detail.contains("REPLICATION_DELAY -> ONLINE") })
        // Flip the cause: a standby whose SQL thread keeps up has nothing to drain.
        let keepsUp = try report(scenario("mmm-lagging-standby.yaml") {
            $0.replacingOccurrences(of: "sql_thread_rate: 200", with: "sql_thread_rate: 2000")
        })
        #expect(keepsUp.metric("failovers") == 1)
        #expect(!keepsUp.timeline.contains { $0.detail.contains("REPLICATION_DELAY") })
        #expect(keepsUp.metric("write_downtime")! < 30)
        #expect(lagging.metric("write_downtime")! > keepsUp.metric("write_downtime")! + 90)
    }

    @Test func mmmReaderRolesLeaveAFailedSlave() throws {
        let text = """
        name: MMM reader roles
        duration: 2m
        quiesce: 10s
        topology:
          sites:
            idc1: [db1, db2, s1, s2, mon1, app1, app2]
          databases:
            db1: {role: primary, source: db2}
            db2: {role: replica, source: db1}
            s1: {role: replica, source: db1}
            s2: {role: replica, source: db1}
        front_door:
          vip: {address: 10.0.0.100, site: idc1, holder: db1}
        architecture:
          strategy: mmm
          options: {monitor_host: mon1, reader_vips: "10.0.0.101, 10.0.0.102, 10.0.0.103, 10.0.0.104"}
        workload:
          - {client: app1, writes_per_second: 100}
          - {client: app2, address: 10.0.0.103, writes_per_second: 0, reads_per_second: 50}
        faults:
          - {at: 40s, host_crash: s1}
        """
        let s = try ScenarioLoader.load(text: text, file: "readers.yaml")
        let outcome = try ScenarioRunner.run(s, seed: 1)
        let moves = outcome.trace.filter { $0.kind.name == "role_change" }
        // One reader VIP per host at the start (balanced), then s1's moves away.
        #expect(moves.filter { $0.time == 0 }.count == 4)
        let moved = try #require(moves.first { $0.time > 0 })
        #expect(moved.detail.hasPrefix("reader(10.0.0.103): s1 -> "))
        // Reads through the reader VIP went to s1, then continue on its new holder.
        #expect(outcome.reads.contains { $0.server == "s1" && $0.at < 40 * 1_000_000_000 })
        #expect(outcome.reads.contains { $0.server != "s1" && $0.at > moved.time })
        // The read-only group sent no probe writes; the writer was never disturbed.
        #expect(outcome.probeGroups[1].isEmpty)
        #expect(MetricsCalculator.report(outcome).metric("write_downtime") == 0)
    }
}

extension ManagerRegressionTests {
    @Test func mhaInsertPingSeesADiskThatStoppedCommittingWhereSelectDoesNot() throws {
        let insert = try report(scenario("mha-ping-insert-disk-stall.yaml"))
        #expect(insert.metric("failovers") == 1)
        #expect(insert.metric("write_downtime")! < 40)
        // Flip: the default SELECT 1 answers from a master whose commits hang.
        let select = try report(scenario("mha-ping-insert-disk-stall.yaml") {
            $0.replacingOccurrences(of: ", ping_type: insert}", with: "}")
        })
        #expect(select.metric("failovers") == 0)
        #expect(select.metric("write_downtime")! > 80)
    }
}

/// MHA 0.58's health check (HealthCheck.pm wait_until_unreachable): the SSH check of the
/// master is forked at the first failed ping and waited for after the fourth, so with
/// ping_interval 1 s the master is dead only when that check has timed out.
@Suite struct MHACheckOrderingTests {
    func run(_ edit: (String) -> String = { $0 }) throws -> (dead: Double, done: Double) {
        let name = "mha-failover-ping1.yaml"
        let text = try String(contentsOfFile: repoRoot + "/validation/scenarios/" + name, encoding: .utf8)
        let edited = edit(text)
        let r = MetricsCalculator.report(try ScenarioRunner.run(try ScenarioLoader.load(text: edited, file: name), seed: 1))
        let fault = try #require(r.timeline.first { $0.kind == "fault" }).time
        let dead = try #require(r.timeline.first { $0.kind == "failover_start" }).time
        let done = try #require(r.timeline.first { $0.kind == "failover_complete" }).time
        return (Double(dead - fault) / 1e9, Double(done - fault) / 1e9)
    }

    @Test func theMastersSSHCheckBoundsDetectionAtPingInterval1s() throws {
        // First failed ping within 1-2 s of the fault, SSH check 5 s: dead after 6-7 s + reload.
        let real = try run()
        #expect(real.dead > 6 && real.dead < 8)
        #expect(real.done > real.dead)
        // Flip: an SSH check that gives up after 1 s no longer holds detection back; the
        // four failed pings (4-5 s) decide.
        let quick = try run { $0.replacingOccurrences(of: "ping_interval: 1s,", with: "ping_interval: 1s, ssh_connection_timeout: 1s,") }
        #expect(quick.dead < 5.5)
        #expect(real.dead - quick.dead > 1.5)
    }
}

/// Partial failures of the master that a manager's check sees or misses: a paused mysqld
/// (SIGSTOP) and a forgotten FLUSH TABLES WITH READ LOCK.
extension ManagerRegressionTests {
    @Test func mhaFailsOverFromAPausedMasterThatThenResumesWritable() throws {
        let long = try report(scenario("mha-pause-old-master-resumes.yaml"))
        #expect(long.metric("failovers") == 1)
        #expect(long.metric("lost_transactions") == 0, "a pause loses nothing db1 acknowledged")
        // What queued on db1 while it was stopped commits at SIGCONT, after db2 took over.
        #expect(long.metric("errant_transactions")! >= 1)
        #expect(long.errantTransactions.contains { $0.server == "db1" })
        #expect(long.metric("two_writable_primaries_time")! >= 20)
        // Flip: a pause shorter than MHA's detection (4 x 3 s pings): no failover, no divergence,
        // the queued writes are served at SIGCONT, so writes are down for the pause only.
        let short = try report(scenario("mha-pause-old-master-resumes.yaml") {
            $0.replacingOccurrences(of: "recover_after: 60s", with: "recover_after: 5s")
        })
        #expect(short.metric("failovers") == 0)
        #expect(short.metric("errant_transactions") == 0)
        #expect(short.metric("two_writable_primaries_time") == 0)
        #expect(short.metric("lost_transactions") == 0)
        #expect(short.metric("write_downtime")! >= 4 && short.metric("write_downtime")! <= 6.5)
        // The clients' socket timeout decides whether "still connected" clients see those writes
        // acknowledged: with none shorter than the pause (JDBC's socketTimeout defaults to 0,
        // none), the writes in flight wait on db1 and at SIGCONT db1 acknowledges them - after
        // db2 took over, so they are lost; with 10 s they were abandoned and are only errant.
        #expect(long.metric("lost_transactions") == 0)
        let patient = try report(scenario("mha-pause-old-master-resumes.yaml") {
            $0.replacingOccurrences(of: "  writes_per_second: 100", with: "  writes_per_second: 100\n  query_timeout: 10m")
        })
        #expect(patient.metric("failovers")! >= 1)
        #expect(patient.metric("lost_transactions")! >= 1, "db1 acknowledged at SIGCONT what db2 never got")
        #expect(patient.metric("errant_transactions")! >= 1)
    }

    /// keepalived's lost transactions and replication crashes in the fleet view (docs/fleet.md,
    /// "What drives each figure"): preemption takes the VIP back to db1 a few seconds after its
    /// mysqld restarted, and db1 never replicates from db2. Flip: nopreempt leaves the VIP on
    /// db2 (one failover, nothing lost, replication intact).
    @Test func keepalivedPreemptFailbackLoses() throws {
        for seed: UInt64 in [1, 2] {
            let r = try report(scenario("keepalived-preempt-failback-loses.yaml"), seed: seed)
            #expect(r.metric("failovers") == 2, "seed \(seed)")
            #expect(r.metric("lost_transactions")! >= 500, "seed \(seed): db2's writes between its takeover and the preemption")
            #expect(r.replicationErrors.contains { $0.code == 1062 && $0.node == "db2" }, "seed \(seed)")
            #expect(r.timeline.contains { $0.node == "db2" && $0.detail.contains("higher priority advert from db1") })
        }
        let nopreempt = try report(scenario("keepalived-preempt-failback-loses.yaml") {
            $0.replacingOccurrences(of: "  strategy: keepalived\n", with: "  strategy: keepalived\n  options: {preempt: false}\n")
        })
        #expect(nopreempt.metric("failovers") == 1)
        #expect(nopreempt.metric("lost_transactions") == 0)
        #expect(nopreempt.metric("replication_crashes") == 0)
    }

    @Test func mmmPausedWriterResumesAndBreaksReplicationWithoutInterleavedKeys() throws {
        let paused = try report(scenario("mmm-pause-old-writer-resumes.yaml"))
        #expect(paused.metric("failovers") == 1)
        #expect(paused.replicationErrors.filter { $0.code == 1062 }.count == 2, "each SQL thread on the other's rows")
        #expect(paused.metric("divergence")! >= 1)
        // Flip the keys: interleaved auto-increments, db1's late writes replicate to db2 cleanly.
        let interleaved = try report(scenario("mmm-pause-old-writer-resumes.yaml") {
            $0.replacingOccurrences(of: "    db1: {role: primary, source: db2}",
                                    with: "    db1: {role: primary, source: db2, auto_increment_increment: 2, auto_increment_offset: 1}")
              .replacingOccurrences(of: "    db2: {role: replica, source: db1}",
                                    with: "    db2: {role: replica, source: db1, auto_increment_increment: 2, auto_increment_offset: 2}")
        })
        #expect(interleaved.metric("failovers") == 1)
        #expect(interleaved.metric("replication_crashes") == 0)
        #expect(interleaved.metric("divergence") == 0)
        // Flip the length: a pause within MMM's checks moves nothing and breaks nothing.
        let short = try report(scenario("mmm-pause-old-writer-resumes.yaml") {
            $0.replacingOccurrences(of: "recover_after: 60s", with: "recover_after: 5s")
        })
        #expect(short.metric("failovers") == 0)
        #expect(short.metric("replication_crashes") == 0)
        #expect(short.metric("divergence") == 0)
    }

    /// mmm_agentd keeps its roles in memory: a power cycle of the writer's host shorter than
    /// trap_period leaves the monitor's status unchanged (db1 keeps the writer role, no
    /// failover), but the rebooted agent holds no role and db1 has no VIP until the monitor's
    /// next send_status_to_agents gives the role back (sync, read_only=0, ip addr add + ARP).
    /// Flip: the monitor in PASSIVE mode sends nothing, so writes stay down until set_active.
    /// Flip 2: a power cycle longer than trap_period moves the role to db2 instead.
    @Test func mmmRebootedWriterGetsItsRoleBackFromTheMonitorsStatus() throws {
        let crash = Time.s(60), boot = Time.s(63)
        for seed: UInt64 in [1, 2] {
            let r = try report(scenario("mmm-writer-power-cycle.yaml"), seed: seed)
            #expect(r.metric("failovers") == 0)
            let down = r.metric("write_downtime")!
            #expect(down >= 4 && down <= 15, "seed \(seed): \(down) s")
            let raised = try #require(r.timeline.first { $0.kind == "vip_acquire" && $0.node == "db1" && $0.time > boot })
            #expect(raised.time <= boot + Time.s(12))
            #expect(r.timeline.contains { $0.node == "db1" && $0.time > boot && $0.detail.hasPrefix("agent: ip addr add 10.0.0.100") })
        }
        let passive = try report(scenario("mmm-writer-power-cycle.yaml") {
            $0.replacingOccurrences(of: "  - {at: 60s, host_crash: db1, recover_after: 3s}",
                                    with: "  - {at: 20s, maintenance: manager, recover_after: 80s}\n  - {at: 60s, host_crash: db1, recover_after: 3s}")
        })
        #expect(passive.metric("failovers") == 0)
        let stuck = passive.metric("write_downtime")!
        #expect(stuck >= 30 && stuck <= 100, "\(stuck) s")
        #expect(!passive.timeline.contains { $0.kind == "vip_acquire" && $0.node == "db1" && $0.time > boot && $0.time < Time.s(100) })
        let long = try report(scenario("mmm-writer-power-cycle.yaml") {
            $0.replacingOccurrences(of: "recover_after: 3s", with: "recover_after: 40s")
        })
        #expect(long.metric("failovers") == 1)
        #expect(long.timeline.contains { $0.kind == "vip_acquire" && $0.node == "db2" && $0.time > crash })
        #expect(!long.timeline.contains { $0.kind == "vip_acquire" && $0.node == "db1" && $0.time > crash })
    }

    @Test func mhaInsertPingSeesAReadLockedMasterWhereSelectDoesNot() throws {
        let insert = try report(scenario("mha-ping-insert-read-lock.yaml"))
        #expect(insert.metric("failovers") == 1)
        #expect(insert.metric("write_downtime")! < 40)
        // Flip: SELECT 1 answers from a master whose writes all wait for the global read lock.
        let select = try report(scenario("mha-ping-insert-read-lock.yaml") {
            $0.replacingOccurrences(of: ", ping_type: insert}", with: "}")
        })
        #expect(select.metric("failovers") == 0)
        #expect(select.metric("write_downtime")! > 80)
        // The writes waited: none failed with 1205 within MySQL's year of lock_wait_timeout.
        #expect(!select.failedWrites.contains { $0.code == 1205 })
        // With a short lock_wait_timeout they fail with 1205 instead of waiting.
        let short = try report(scenario("mha-ping-insert-read-lock.yaml") {
            $0.replacingOccurrences(of: ", ping_type: insert}", with: "}")
              .replacingOccurrences(of: "architecture:", with: "mysql: {lock_wait_timeout: 2s}\narchitecture:")
        })
        #expect(short.failedWrites.contains { $0.code == 1205 })
        #expect(short.metric("failovers") == 0)
    }

    // A replica far behind when its source dies, under each manager's own policy (manual, MHA
    // and MMM: mysql/replica-behind-when-source-dies, mha-lagging-slave, mmm-lagging-standby).

    @Test func keepalivedPromotesALaggingReplica() throws {
        let lagging = try report(scenario("keepalived-lagging-replica.yaml"))
        #expect(lagging.metric("failovers") == 1)
        #expect(lagging.metric("write_downtime")! < 10, "VRRP does not wait for the relay log")
        #expect(lagging.replicationErrors.contains { $0.code == 1062 && $0.node == "db2" })
        #expect(lagging.metric("lost_transactions")! >= 3000, "the backlog behind the 1062 is never applied")
        // Flip: a replica that keeps up has nothing waiting when it takes the VIP.
        let keepsUp = try report(scenario("keepalived-lagging-replica.yaml") {
            $0.replacingOccurrences(of: "sql_thread_rate: 150", with: "sql_thread_rate: 2000")
        })
        #expect(keepsUp.metric("replication_crashes") == 0)
        #expect(keepsUp.metric("lost_transactions")! <= 5)
    }

    @Test func heartbeatTakesOverALaggingPeer() throws {
        let offsets = try report(scenario("heartbeat-lagging-peer.yaml"))
        #expect(offsets.metric("failovers") == 1)
        #expect(offsets.metric("write_downtime")! >= 29, "deadtime, not the drain, sets the outage")
        #expect(offsets.metric("replication_crashes") == 0)
        #expect(offsets.metric("lost_transactions")! <= 5, "the backlog applies behind the new writes")
        // Flip: the same pair without auto-increment offsets: db2's new rows take db1's keys.
        let noOffsets = try report(scenario("heartbeat-lagging-peer.yaml") {
            $0.replacingOccurrences(of: ", auto_increment_increment: 2, auto_increment_offset: 1", with: "")
                .replacingOccurrences(of: ", auto_increment_increment: 2, auto_increment_offset: 2", with: "")
        })
        #expect(noOffsets.replicationErrors.contains { $0.code == 1062 && $0.node == "db2" })
        #expect(noOffsets.metric("lost_transactions")! >= 1000)
    }
}
