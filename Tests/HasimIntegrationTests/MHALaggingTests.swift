import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// MHA 0.58 with file/position replication (MariaDB): the latest slave by
/// Read_Master_Log_Pos, differential relay logs for the slaves that read less, the new master
/// chosen by candidate_master / no_master / check_repl_delay, the others re-pointed at the new
/// master's binlog position, and the dead master fenced by shutdown_script.
@Suite struct MHALaggingTests {
    /// The managers' regression scenarios, loaded and run as ManagerRegressionTests does.
    let regressions = ManagerRegressionTests()
    func load(_ name: String, _ edit: ((String) -> String)? = nil) throws -> Scenario { try regressions.scenario(name, edit) }
    func report(_ s: Scenario, seed: UInt64 = 1) throws -> RunReport { try regressions.report(s, seed: seed) }

    func lagging(options: String = "manager_host: mha1", _ more: ((String) -> String)? = nil) throws -> RunReport {
        try report(load("mha-lagging-slave.yaml") { text in
            let t = text.replacingOccurrences(of: "options: {manager_host: mha1}", with: "options: {\(options)}")
            return more?(t) ?? t
        })
    }

    func newMaster(_ r: RunReport) -> String? {
        r.timeline.first { $0.kind == "failover_step" && $0.detail.hasPrefix("New master is") }?.node
    }

    /// Seconds from the failover's start to MHA's "completed successfully".
    func failoverTime(_ r: RunReport) throws -> Double {
        let start = try #require(r.timeline.first { $0.kind == "failover_start" }?.time)
        let done = try #require(r.timeline.first { $0.detail.contains("completed successfully") }?.time)
        return Double(done - start) / 1e9
    }

    /// db3 stopped receiving 5 s before the crash: MHA generates its diff from db2's relay
    /// log, applies it and points it at db2's binlog position, so db3 holds every row. With
    /// db2's relay log purged past db3's position (relay_log_purge at 1,000 writes/s) MHA
    /// 0.58 cannot recover db3 and stops: "None of the latest slaves has enough relay logs".
    @Test func theLaggingSlaveIsLevelledFromTheLatestSlavesRelayLog() throws {
        let r = try report(load("mha-lagging-slave.yaml"))
        #expect(newMaster(r) == "db2")
        let applied = try #require(r.timeline.first { $0.node == "db3" && $0.detail.hasPrefix("apply_diff_relay_logs --command=apply:") }?.detail)
        let events = Int(applied.split(separator: " ")[2]) ?? 0
        #expect(events > 400 && events < 600, "db3 lacks the ~5 s at 100 writes/s it did not receive")
        #expect(r.timeline.contains { $0.node == "db3" && $0.detail.contains("MASTER_LOG_POS=") })
        #expect(r.metric("lost_transactions") == 0)
        #expect(r.metric("divergence") == 0)
        #expect(r.metric("replication_crashes") == 0)

        let purged = try report(load("mha-lagging-slave.yaml") { $0.replacingOccurrences(of: "writes_per_second: 100", with: "writes_per_second: 1000") })
        #expect(purged.timeline.contains { $0.detail.contains("None of the latest slaves has enough relay logs") })
        #expect(purged.timeline.contains { $0.kind == "failover_complete" } == false)
    }

    /// select_new_master: a candidate_master that is behind is still chosen (after its diff)
    /// unless its SQL thread is more than 100 MB behind the latest slave's read position
    /// (check_slave_delay); check_repl_delay=0 lifts the rule. no_master keeps a slave out.
    @Test func candidateMasterNoMasterAndThe100MBRule() throws {
        let candidate = try lagging(options: "manager_host: mha1, candidate_master: db3")
        #expect(newMaster(candidate) == "db3")
        #expect(candidate.metric("lost_transactions") == 0)
        #expect(candidate.metric("divergence") == 0)
        // 1 MiB events: db3's ~500 missing events are over 100 MB behind.
        let farBehind = try lagging(options: "manager_host: mha1, candidate_master: db3, binlog_event_bytes: 1048576")
        #expect(farBehind.timeline.contains { $0.node == "db3" && $0.detail.contains("delays too much") })
        #expect(newMaster(farBehind) == "db2")
        let unchecked = try lagging(options: "manager_host: mha1, candidate_master: db3, binlog_event_bytes: 1048576, check_repl_delay: false")
        #expect(newMaster(unchecked) == "db3")
        // Several candidates: the latest of them wins.
        let both = try lagging(options: "manager_host: mha1, candidate_master: \"db3,db2\"")
        #expect(newMaster(both) == "db2")
        let noMaster = try lagging(options: "manager_host: mha1, no_master: db2")
        #expect(newMaster(noMaster) == "db3")
        #expect(noMaster.metric("lost_transactions") == 0)
        #expect(noMaster.timeline.contains { $0.node == "db2" && $0.detail.contains("CHANGE MASTER TO db3") })
    }

    /// The failover takes longer with more events to level (each one read, shipped and
    /// replayed) and with more slaves to level (the latest slave generates each diff).
    @Test func failoverTimeGrowsWithTheEventsAndTheSlavesToLevel() throws {
        let slow = "manager_host: mha1, apply_events_per_second: 100"
        let few = try lagging(options: slow) { $0.replacingOccurrences(of: "{at: 5s, stop_replica", with: "{at: 8s, stop_replica") }
        let many = try lagging(options: slow) { $0.replacingOccurrences(of: "{at: 5s, stop_replica", with: "{at: 2s, stop_replica") }
        // ~600 more events at 100/s: ~6 s more.
        let extra = try failoverTime(many) - failoverTime(few)
        #expect(extra > 4.5 && extra < 7.5, "extra \(extra) s")
        #expect(many.metric("divergence") == 0)

        let one = try report(load("mha-lagging-slave.yaml"))
        let two = try lagging { text in
            text.replacingOccurrences(of: "[app1, mha1, db1, db2, db3]", with: "[app1, mha1, db1, db2, db3, db4]")
                .replacingOccurrences(of: "    db3: {role: replica, source: db1}\n", with: "    db3: {role: replica, source: db1}\n    db4: {role: replica, source: db1}\n")
                .replacingOccurrences(of: "faults:\n", with: "faults:\n  - {at: 5s, stop_replica: {host: db4, thread: io}}\n")
        }
        #expect(try failoverTime(two) > failoverTime(one) + 0.5)
        #expect(two.metric("divergence") == 0)
    }

    /// shutdown_script=power_manager after a false detection (the manager cut from a live
    /// master, no secondary check): the BMC powers db1 off in Phase 2, so no second writable
    /// master and no duplicate VIP remain, but the writes db1 took after the slaves' IO
    /// threads stopped are lost. Without it both masters stay writable.
    @Test func shutdownScriptPowersTheOldMasterOff() throws {
        func partition(_ options: String) throws -> RunReport {
            try report(load("mha-monitor-partition.yaml") {
                $0.replacingOccurrences(of: "options: {manager_host: mha1, secondary_check_hosts: db2}", with: "options: {\(options)}")
            })
        }
        let unfenced = try partition("manager_host: mha1")
        #expect(unfenced.metric("duplicate_vip_time")! > 60)
        #expect(unfenced.metric("two_writable_primaries_time")! > 60)
        let fenced = try partition("manager_host: mha1, shutdown_script: power_manager")
        #expect(fenced.timeline.contains { $0.node == "db1" && $0.detail.contains("Power off done") })
        #expect(fenced.metric("duplicate_vip_time") == 0)
        #expect(fenced.metric("two_writable_primaries_time") == 0)
        #expect(fenced.metric("lost_transactions")! > 100)

        // A mysqld that died on a host that answers SSH: stopssh kills what is left (exit 10),
        // the host stays up and its binlog is saved.
        let crash = try report(load("mha-lagging-slave.yaml") {
            $0.replacingOccurrences(of: "{at: 10s, host_crash: db1}", with: "{at: 10s, process_crash: db1}")
                .replacingOccurrences(of: "options: {manager_host: mha1}", with: "options: {manager_host: mha1, shutdown_script: power_manager}")
        })
        #expect(crash.timeline.contains { $0.detail.contains("SSH reachable. Shutting down mysqld done.") })
        #expect(crash.timeline.contains { $0.detail.hasPrefix("save_binary_logs") })
        #expect(crash.metric("lost_transactions") == 0)
    }
}
