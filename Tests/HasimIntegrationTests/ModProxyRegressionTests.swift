import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults
import HasimWeb
import HasimStore

/// mod_proxy_balancer's regressions (scenarios/regressions/web/mod-proxy-*), each flipped.
@Suite struct ModProxyRegressionTests {
    static let folder = repoRoot + "/scenarios/regressions/web/"

    func metrics(_ file: String, _ edits: [(String, String)] = [], seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(try editedScenario(Self.folder + file, edits), seed: seed))
    }

    /// A Tomcat dies with requests in flight: mod_proxy answers them 504 after ProxyTimeout
    /// and never resends them; mod_jk with the same timeouts resends them to the survivor.
    /// Both keep the sessions (DeltaManager).
    @Test func aTomcatDeathCostsRequestsBehindModProxyButNotBehindModJK() throws {
        let proxy = try metrics("mod-proxy-tomcat-death.yaml")
        let proxyErrors = proxy.metric("http_errors") ?? 0
        #expect(proxyErrors >= 1)
        #expect((proxy.metric("sessions_lost") ?? 99) <= 10)
        // Flip: mod_jk with the same connect and reply timeouts.
        let jk = try metrics("mod-proxy-tomcat-death.yaml", [
            ("mod_proxy: {stickysession: JSESSIONID|jsessionid, connectiontimeout: 3s, timeout: 10s}",
             "mod_jk: {socket_connect_timeout: 3s, reply_timeout: 10s}")])
        #expect(jk.metric("http_errors") == 0)
        // Flip: no death, no error behind mod_proxy either.
        let calm = try metrics("mod-proxy-tomcat-death.yaml", [("  - {at: 30s, host_crash: was1}\n", "")])
        #expect(calm.metric("http_errors") == 0)
    }

    /// Without stickysession, half the pages of a session land on the other Tomcat, which
    /// does not know it. Flip: stickysession=JSESSIONID|jsessionid.
    @Test func withoutStickySessionUsersAreLoggedOut() throws {
        let loose = try metrics("mod-proxy-no-stickysession.yaml")
        #expect((loose.metric("sessions_lost") ?? 0) >= 100)
        let sticky = try metrics("mod-proxy-no-stickysession.yaml", [("mod_proxy: {}", "mod_proxy: {stickysession: JSESSIONID}")])
        #expect(sticky.metric("sessions_lost") == 0)
    }

    /// A hot standby (status=+H) gets nothing while another member is usable: when was1 and
    /// was2 die every user is logged out (their sessions were all there) and was3 serves on.
    /// Flips: without +H was3 held a third of the sessions; without was3 the pages fail.
    @Test func aHotStandbyTakesOverOnlyWhenTheActiveMembersAreGone() throws {
        let standby = try metrics("mod-proxy-hot-standby.yaml")
        #expect((standby.metric("sessions_lost") ?? 0) >= 270)
        #expect((standby.metric("http_errors") ?? 999) <= 50)
        #expect((standby.metric("http_tps") ?? 0) >= 200)
        let active = try metrics("mod-proxy-hot-standby.yaml", [(", hot_standby: [was3]}", "}")])
        let lostActive = active.metric("sessions_lost") ?? 999
        #expect(lostActive >= 150 && lostActive <= 250)
        let none = try metrics("mod-proxy-hot-standby.yaml", [(", hot_standby: [was3]}", "}"),
                                                              ("hosts: [was1, was2, was3]", "hosts: [was1, was2]")])
        #expect((none.metric("http_errors") ?? 0) >= 500)
    }
}
