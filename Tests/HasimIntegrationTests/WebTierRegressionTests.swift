import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults
import HasimWeb

/// The web tier's regressions (scenarios/regressions/web), each run again with its cause
/// flipped: the outcome must move the way the mechanism says.
@Suite struct WebTierRegressionTests {
    static let folder = repoRoot + "/scenarios/regressions/web/"

    func scenario(_ file: String, _ edits: [(String, String)] = []) throws -> Scenario {
        try editedScenario(Self.folder + file, edits)
    }

    /// (a) Without session clustering a Tomcat death logs its users out; with DeltaManager
    /// or BackupManager the survivor holds their sessions. Flip: the same run without the
    /// death loses no session in any mode.
    @Test func aTomcatDeathLogsUsersOutOnlyWithoutSessionReplication() throws {
        var lost: [String: Double] = [:]
        for mode in ["none", "delta", "backup"] {
            let s = try scenario("tomcat-death-sessions-\(mode).yaml")
            let r = MetricsCalculator.report(try ScenarioRunner.run(s, seed: 1))
            lost[mode] = r.metric("sessions_lost") ?? .nan
            // Flip: no death, no logout.
            let calm = try scenario("tomcat-death-sessions-\(mode).yaml", [("  - {at: 30s, host_crash: was1}\n", "")])
            let c = MetricsCalculator.report(try ScenarioRunner.run(calm, seed: 1))
            #expect(c.metric("sessions_lost") == 0, "\(mode): sessions lost without a fault")
        }
        #expect(lost["none"]! >= 100)
        #expect(lost["delta"]! * 10 < lost["none"]!)
        #expect(lost["backup"]! * 10 < lost["none"]!)
    }

    /// (a) The failover of a session is mod_jk's: with sticky_session_force it may not move,
    /// so was1's users get errors (503) instead of the survivor.
    @Test func stickySessionForceTurnsTheFailoverIntoErrors() throws {
        let s = try scenario("tomcat-death-sessions-delta.yaml",
                             [("reply_timeout: 10s}", "reply_timeout: 10s, sticky_session_force: true}")])
        let r = MetricsCalculator.report(try ScenarioRunner.run(s, seed: 1))
        #expect((r.metric("http_errors") ?? 0) > 100)
    }

    /// (b) A database failover under a healthy web tier: the users' write errors are exactly
    /// the writes the JDBC pools gave up on, and every 200 write page's transaction is one
    /// the database acknowledged. Flip: without the failover, no error at all.
    @Test func aDatabaseFailoverShowsAsErrorsForExactlyTheFailedWrites() throws {
        let s = try scenario("db-failover-under-web.yaml")
        let o = try ScenarioRunner.run(s, seed: 1)
        let web = try #require(o.web)
        let writes = web.records.filter { $0.kind == .write }
        let failed = writes.filter { !$0.ok }
        #expect(!failed.isEmpty)
        #expect(failed.allSatisfy { $0.status == 500 })
        #expect(failed.count == o.abandonedWrites)
        let acked = Set(o.ledger.filter { !$0.isProbe }.map(\.txid))
        #expect(Set(writes.filter(\.ok).map(\.txid)) == acked)
        #expect(failed.allSatisfy { !acked.contains($0.txid) })

        let calm = try scenario("db-failover-under-web.yaml", [("  - {at: 30s, host_crash: db1}\n", "")])
        let r = MetricsCalculator.report(try ScenarioRunner.run(calm, seed: 1))
        #expect(r.metric("http_errors") == 0)
        #expect(r.metric("http_write_errors") == 0)
    }

    /// Removing a Tomcat from mod_jk at once logs its users out; draining it first (no new
    /// sessions for a minute, three visits) and removing it then does not. Flip of the flip:
    /// removing it at once after the drain's start (the same instant) loses them again.
    @Test func removingATomcatLogsItsUsersOutDrainingItFirstDoesNot() throws {
        let removed = MetricsCalculator.report(try ScenarioRunner.run(try scenario("tomcat-remove-vs-drain.yaml"), seed: 1))
        let drained = MetricsCalculator.report(try ScenarioRunner.run(try scenario("tomcat-drain-then-remove.yaml"), seed: 1))
        #expect(try #require(removed.metric("sessions_lost")) >= 100)
        #expect(drained.metric("sessions_lost") == 0)
        let hurried = try scenario("tomcat-drain-then-remove.yaml", [("{at: 90s, remove: was1}", "{at: 31s, remove: was1}")])
        let h = MetricsCalculator.report(try ScenarioRunner.run(hurried, seed: 1))
        #expect(try #require(h.metric("sessions_lost")) >= 100)
    }

    /// Same scenario and seed, same users' ledger, bit for bit.
    @Test func theWebTierIsDeterministic() throws {
        let s = try scenario("tomcat-death-sessions-backup.yaml")
        let a = try ScenarioRunner.run(s, seed: 2).web!.records
        let b = try ScenarioRunner.run(s, seed: 2).web!.records
        #expect(a == b)
    }
}

/// The L4 balancer's regressions (scenarios/regressions/web/l4-*.yaml), each with its flip.
@Suite struct L4BalancerRegressionTests {
    func scenario(_ file: String, _ edits: [(String, String)] = []) throws -> Scenario {
        try editedScenario(WebTierRegressionTests.folder + file, edits)
    }

    /// Requests answered 200 per second, over [from, to).
    func tps(_ o: RunOutcome, from: SimTime, to: SimTime) -> Double {
        let n = o.web!.records.filter { $0.ok && $0.finishedAt >= from && $0.finishedAt < to }.count
        return Double(n) / Time.seconds(to - from)
    }

    /// (a) Deleting one of two Apaches from the pool (ipvsadm -d, expire_nodest_conn 0) leaves
    /// its users' connections in a hole: the TPS falls for the users' timeout, then the
    /// failures come in a burst. Draining it first (weight 0, until Apache's
    /// MaxKeepAliveRequests has closed its connections) and deleting it then costs nothing.
    /// Flip of the flip: deleting one second after the drain began is a burst again.
    @Test func removingAnApacheFromTheL4PoolIsABurstDrainingItFirstIsNot() throws {
        let removed = try ScenarioRunner.run(try scenario("l4-remove-apache.yaml"), seed: 1)
        let r = MetricsCalculator.report(removed)
        #expect(try #require(r.metric("http_no_answer")) >= 100)
        // The failures come together, one timeout (10 s) after the removal at 30 s (a user who
        // was thinking at 30 s sends into the hole a little later).
        let failures = removed.web!.records.filter { !$0.ok }
        #expect(failures.allSatisfy { $0.finishedAt >= Time.s(30) && $0.finishedAt <= Time.s(50) })
        #expect(failures.filter { $0.finishedAt >= Time.s(40) && $0.finishedAt < Time.s(41) }.count * 2 > failures.count)
        let before = tps(removed, from: Time.s(15), to: Time.s(30)), during = tps(removed, from: Time.s(31), to: Time.s(39))
        #expect(during < before * 0.7, "TPS \(before) before, \(during) during")

        let drained = MetricsCalculator.report(try ScenarioRunner.run(try scenario("l4-drain-then-remove-apache.yaml"), seed: 1))
        #expect(drained.metric("http_errors") == 0)
        let hurried = try scenario("l4-drain-then-remove-apache.yaml", [("{at: 75s, remove: web1}", "{at: 31s, remove: web1}")])
        #expect(try #require(MetricsCalculator.report(try ScenarioRunner.run(hurried, seed: 1)).metric("http_no_answer")) >= 50)
    }

    /// (b) NAT carries the responses through the balancer's 50 Mbit/s port: it saturates and
    /// the users time out; L2DSR carries only the requests: no error. The balancer's bytes
    /// show why (responses far larger than requests).
    @Test func theInlineBalancerSaturatesWhereDSRDoesNot() throws {
        let nat = MetricsCalculator.report(try ScenarioRunner.run(try scenario("l4-inline-saturates.yaml"), seed: 1))
        let dsr = MetricsCalculator.report(try ScenarioRunner.run(try scenario("l4-dsr-does-not-saturate.yaml"), seed: 1))
        #expect(try #require(nat.metric("l4_peak_utilisation")) >= 0.95)
        #expect(try #require(nat.metric("http_no_answer")) >= 100)
        // The balancer's queues hold txqueuelen (1000) frames, a quarter second at 50 Mbit/s:
        // beyond, tail drops (the run database's l4_load row says the same).
        #expect(try #require(nat.metric("l4_queue_delay_max")) < 0.5)
        #expect(try #require(nat.metric("l4_drops")) >= 100)
        #expect(nat.l4Load.first?.drops == Int64(nat.metric("l4_drops")!))
        #expect(nat.l4Load.first?.mode == "nat")
        #expect(dsr.metric("l4_drops") == 0)
        #expect(dsr.metric("http_errors") == 0)
        #expect(try #require(dsr.metric("l4_peak_utilisation")) < 0.8)
        // Per request, NAT's balancer sends the responses too: far more bytes out per answer.
        let natPerRequest = nat.metric("l4_bytes_out")! / nat.metric("http_requests")!
        let dsrPerRequest = dsr.metric("l4_bytes_out")! / dsr.metric("http_requests")!
        #expect(natPerRequest > 10 * dsrPerRequest)
        // Flip: an unbounded queue (txqueuelen 0) queues for seconds and drops nothing.
        let unbounded = MetricsCalculator.report(try ScenarioRunner.run(
            try scenario("l4-inline-saturates.yaml", [("bandwidth: 50Mbit}", "bandwidth: 50Mbit, txqueuelen: 0}")]), seed: 1))
        #expect(try #require(unbounded.metric("l4_queue_delay_max")) > 1)
        #expect(unbounded.metric("l4_drops") == 0)
    }
}
