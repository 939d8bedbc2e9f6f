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
