import Testing
import Foundation
import HasimScenario
import HasimResults

/// The operator actions' regressions (scenarios/regressions/operator, and two Galera ones), each
/// with its cause flipped.
@Suite struct OperatorActionTests {
    func scenario(_ path: String, _ edit: ((String) -> String)? = nil) throws -> Scenario {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/regressions/" + path, encoding: .utf8)
        let edited = edit?(text) ?? text
        if edit != nil { #expect(edited != text, "the edit did not apply to \(path)") }
        return try ScenarioLoader.load(text: edited, file: path)
    }

    func report(_ s: Scenario, seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(s, seed: seed))
    }

    @Test func switchoverLosesNothingWhereAFailoverLoses() throws {
        let mha = try report(scenario("operator/mha-switchover-under-load.yaml"))
        #expect(mha.metric("lost_transactions") == 0)
        #expect(mha.metric("failovers") == 1)
        #expect(mha.metric("false_failovers") == 0, "a planned switchover is not a false failover")
        #expect(mha.metric("write_downtime")! < 3)
        #expect(mha.timeline.contains { $0.detail.hasPrefix("Locking all tables on the orig master") })
        // Flip: the same moment as a power loss of db1 is a failover, and it loses what db2 lacked.
        let crash = try report(scenario("operator/mha-switchover-under-load.yaml") {
            $0.replacingOccurrences(of: "{at: 60s, switchover: db2}", with: "{at: 60s, host_crash: db1}")
        })
        #expect(crash.metric("lost_transactions")! >= 1)
        #expect(crash.metric("write_downtime")! > 10)

        let manual = try report(scenario("operator/manual-switchover-runbook.yaml"))
        #expect(manual.metric("lost_transactions") == 0)
        #expect(manual.metric("failovers") == 1)
        #expect(manual.metric("write_downtime")! > 120, "hand-typed: minutes, not MHA's second")
        // (detection_delay 30 s: the alert comes up to a check interval later since the monitoring's
        // first check has a seeded phase, and the promotion must end within the 8-minute run.)
        let manualCrash = try report(scenario("operator/manual-switchover-runbook.yaml") {
            $0.replacingOccurrences(of: "{at: 2m, switchover: db2}", with: "{at: 2m, host_crash: db1}")
                .replacingOccurrences(of: "  strategy: vip-manual\n", with: "  strategy: vip-manual\n  options: {detection_delay: 30s}\n")
        })
        #expect(manualCrash.metric("failovers") == 1)
        #expect(manualCrash.metric("lost_transactions")! >= 1)
    }

    /// The redeploy that ends a switchover without a VIP goes to the server promoted then, not
    /// to whatever the runbook's `target` is when it lands (db1 again, after the switchover).
    @Test func manualSwitchoverEndsWithTheRedeploy() throws {
        let r = try report(scenario("operator/manual-switchover-redeploy.yaml"))
        #expect(r.metric("failovers") == 1)
        #expect(r.metric("lost_transactions") == 0)
        #expect(r.timeline.contains { $0.kind == "app_redeploy" && $0.detail == "DB address db1 -> db2" })
        let slow = try #require(r.metric("write_downtime"))
        #expect(slow > 720 && slow < 810)
        // Flip: the developers redeploy a minute after the promotion instead of ten: the outage
        // ends nine minutes sooner, so it is the redeploy (to db2) that ends it.
        let fast = try report(scenario("operator/manual-switchover-redeploy.yaml") {
            $0.replacingOccurrences(of: "  strategy: manual\n", with: "  strategy: manual\n  options: {response_delay: 1m}\n")
        })
        #expect(fast.metric("failovers") == 1)
        #expect(abs(try #require(fast.metric("write_downtime")) - (slow - 540)) < 5)
    }

    @Test func mmmMoveRoleAndPassiveMode() throws {
        let moved = try report(scenario("operator/mmm-move-role-writer.yaml"))
        #expect(moved.metric("lost_transactions") == 0)
        #expect(moved.metric("failovers") == 1)
        #expect(moved.metric("false_failovers") == 0)
        #expect(moved.metric("write_downtime")! <= 1)
        // Flip: a power loss of db1 at the same moment is a failover after trap_period, and loses.
        let crash = try report(scenario("operator/mmm-move-role-writer.yaml") {
            $0.replacingOccurrences(of: "{at: 60s, switchover: db2}", with: "{at: 60s, host_crash: db1}")
        })
        #expect(crash.metric("lost_transactions")! >= 1)
        #expect(crash.metric("write_downtime")! > 10)
        // set_passive before the crash: the dead writer keeps its role until set_active at 90 s.
        let passive = try report(scenario("operator/mmm-move-role-writer.yaml") {
            $0.replacingOccurrences(of: "  - {at: 60s, switchover: db2}",
                                    with: "  - {at: 20s, maintenance: manager, recover_after: 70s}\n  - {at: 60s, host_crash: db1}")
        })
        #expect(passive.metric("failovers") == 1)
        #expect(passive.metric("write_downtime")! > crash.metric("write_downtime")! + 10)
    }

    @Test func errantCheckRefusesTheReattachThatBreaksReplication() throws {
        let checked = try report(scenario("operator/reattach-old-master-errant.yaml"))
        #expect(checked.metric("errant_transactions")! >= 1)
        #expect(checked.metric("replication_crashes") == 0)
        #expect(checked.timeline.contains { $0.kind == "operator_refused" && $0.detail.contains("errant transactions on db1") })
        // Flip: without the check db1 replicates from db2 and stops on db2's reuse of its keys.
        let unchecked = try report(scenario("operator/reattach-old-master-errant.yaml") {
            $0.replacingOccurrences(of: "check: true", with: "check: false")
        })
        #expect(unchecked.replicationErrors.contains { $0.code == 1062 && $0.node == "db1" })
        #expect(unchecked.metric("divergence")! > 1000)
    }

    @Test func skippingTheErrorRestartsReplicationButLeavesDivergence() throws {
        // The scenario's own seed: one whose crash finds a transaction in flight (see its seeds).
        let story = try scenario("operator/skip-replica-error-diverges.yaml")
        let seed = try #require(story.seeds.first)
        let skipped = try report(story, seed: seed)
        #expect(skipped.metric("lost_transactions")! >= 1, "the premise: db1 died with a transaction its slaves never got")
        #expect(skipped.metric("replication_crashes")! >= 1)
        let divergent = skipped.metric("divergence")!
        #expect(divergent >= 1 && divergent <= 10)
        #expect(skipped.timeline.contains { $0.kind == "event_skipped" })
        // Flip: not repaired, db1 stays stopped and lacks everything written since.
        let stopped = try report(scenario("operator/skip-replica-error-diverges.yaml") {
            $0.replacingOccurrences(of: "  - {at: 6m, skip_replica_error: {host: db1, events: 4}}\n", with: "")
        }, seed: seed)
        #expect(stopped.metric("divergence")! > 1000)
    }

    @Test func maintenanceModeTurnsACrashIntoAnOutage() throws {
        let maintenance = try report(scenario("operator/mha-maintenance-no-failover.yaml"))
        #expect(maintenance.metric("write_downtime")! > 120)
        // Flip: MHA watching fails over in seconds.
        let watched = try report(scenario("operator/mha-maintenance-no-failover.yaml") {
            $0.replacingOccurrences(of: "  - {at: 30s, maintenance: manager, recover_after: 150s}\n", with: "")
        })
        #expect(watched.metric("failovers") == 1)
        #expect(watched.metric("write_downtime")! < 25)
    }

    @Test func killingTheLockHolderEndsTheOutage() throws {
        let killed = try report(scenario("operator/unlock-tables-backup-lock.yaml"))
        let down = killed.metric("write_downtime")!
        #expect(down > 55 && down < 65)
        // Flip: nobody KILLs it: no write until the end.
        let held = try report(scenario("operator/unlock-tables-backup-lock.yaml") {
            $0.replacingOccurrences(of: "  - {at: 40s, unlock_tables: db1}\n", with: "")
        })
        #expect(held.metric("write_downtime")! > 95)
    }

    @Test func bootstrapOnTheLowerSeqnoLosesTheNewerRows() throws {
        let lower = try report(scenario("galera/galera-bootstrap-lower-seqno.yaml"))
        #expect(lower.metric("lost_transactions")! > 2500)
        // Flip: bootstrap the node with the highest seqno.
        let highest = try report(scenario("galera/galera-bootstrap-lower-seqno.yaml") {
            $0.replacingOccurrences(of: "{at: 70s, bootstrap: db3}", with: "{at: 70s, bootstrap: db1}")
        })
        #expect(highest.metric("lost_transactions") == 0)
    }

    @Test func galeraNewClusterOnTheMostAdvancedNodeLosesNothing() throws {
        let path = "galera/galera-new-cluster-after-power-loss.yaml"
        let best = try report(scenario(path))
        #expect(best.metric("lost_transactions") == 0)
        #expect(best.timeline.contains { $0.kind == "operator_action" && $0.detail.hasPrefix("the most advanced node: db1") })
        #expect(best.timeline.filter { $0.detail.hasPrefix("mysqld --wsrep-recover: WSREP: Recovered position") }.count == 3)
        // Flip: the bootstrap forced on db3, 90 s behind: db1 and db2 abort at their start and
        // what they acknowledged after db3 went down is not in the cluster.
        let forced = try report(scenario(path) {
            $0.replacingOccurrences(of: "galera_new_cluster: most_advanced}", with: "galera_new_cluster: {host: db3, force: true}}")
        })
        #expect(forced.metric("lost_transactions")! > 8000)
        #expect(forced.timeline.filter { $0.kind == "process_crash" && $0.detail.contains("states diverged") }.count == 2)
        // Without the edit, mysqld refuses (safe_to_bootstrap: 0) and the cluster stays down.
        let refused = try report(scenario(path) {
            $0.replacingOccurrences(of: "galera_new_cluster: most_advanced}", with: "galera_new_cluster: db3}")
        })
        #expect(refused.timeline.contains { $0.kind == "operator_refused" && $0.detail.contains("It may not be safe to bootstrap the cluster from this node") })
        #expect(refused.metric("write_downtime")! > 11 * 60)
    }

    @Test func aPausedNodeStallsTheClusterUntilItIsEvicted() throws {
        let paused = try report(scenario("galera/galera-pause-node.yaml"))
        let stall = paused.metric("write_downtime")!
        #expect(stall > 4 && stall < 9)
        #expect(paused.timeline.contains { $0.kind == "galera_view" && $0.detail.hasPrefix("view db1,db2 ") })
        // Flip: a freeze shorter than evs.suspect_timeout evicts nobody and stalls only while it lasts.
        let brief = try report(scenario("galera/galera-pause-node.yaml") {
            $0.replacingOccurrences(of: "recover_after: 60s}", with: "recover_after: 2s}")
        })
        #expect(brief.metric("write_downtime")! < 3)
        #expect(!brief.timeline.contains { $0.kind == "galera_view" && $0.time > 29_000_000_000 })
    }

    @Test func binlogReapplyRecoversOnlyWithoutKeyCollisions() throws {
        let collided = try report(scenario("operator/reapply-binlog-stops-on-1062.yaml"))
        #expect(collided.timeline.contains { $0.kind == "operator_refused" && $0.detail.contains("ERROR 1062") })
        #expect(collided.metric("lost_transactions")! >= 1, "the pipe stopped at the first reused key")
        #expect(collided.metric("replication_crashes") == 0)
        // Flip: one auto-increment offset per server: no key db1 gave is reused, all of it applies.
        let offsets = try report(scenario("operator/reapply-binlog-stops-on-1062.yaml") {
            $0.replacingOccurrences(of: "    db1: {role: primary}\n", with: "    db1: {role: primary, auto_increment_increment: 3, auto_increment_offset: 1}\n")
                .replacingOccurrences(of: "    db2: {role: replica, source: db1}\n", with: "    db2: {role: replica, source: db1, auto_increment_increment: 3, auto_increment_offset: 2}\n")
                .replacingOccurrences(of: "    db3: {role: replica, source: db1}\n", with: "    db3: {role: replica, source: db1, auto_increment_increment: 3, auto_increment_offset: 3}\n")
        })
        #expect(offsets.timeline.contains { $0.kind == "operator_action" && $0.detail.hasPrefix("mysql < ") })
        #expect(offsets.metric("lost_transactions") == 0)
    }

    @Test func reattachByPositionNeedsTheCoordinatesOfThePromotion() throws {
        let late = try report(scenario("operator/reattach-by-position.yaml"))
        #expect(late.timeline.contains { $0.kind == "operator_refused" && $0.detail.contains("1777") })
        #expect(late.timeline.contains { $0.kind == "operator_action" && $0.detail.contains("MASTER_LOG_POS=") })
        #expect(late.metric("replication_crashes") == 0, "skipped rows stop nothing")
        #expect(late.metric("divergence")! >= 10000, "db1 lacks what db2 took before the coordinates")
        // Flip: the coordinates noted at the promotion, before db2's first own write.
        let noted = try report(scenario("operator/reattach-by-position.yaml") {
            $0.replacingOccurrences(of: "check: false}", with: "check: false, coordinates_at: 76s}")
        })
        #expect(noted.metric("divergence") == 0)
        #expect(noted.metric("replication_crashes") == 0)
        // Read while db2 still held db1's own events in its binlog: db1 drops them
        // (replicate_same_server_id=0) instead of stopping on 1062.
        let early = try report(scenario("operator/reattach-by-position.yaml") {
            $0.replacingOccurrences(of: "check: false}", with: "check: false, coordinates_at: 30s}")
        })
        #expect(early.metric("replication_crashes") == 0)
        #expect(early.metric("divergence") == 0)
    }
}
