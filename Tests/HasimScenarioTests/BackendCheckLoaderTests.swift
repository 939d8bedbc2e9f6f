import Foundation
import HasimScenario
import HasimWeb
import Testing

/// mod_jk's ping_mode, ping_timeout, connection_pool_timeout, error_escalation_time and
/// mod_proxy's ping, hot_standby, failonstatus: read with the tools' defaults, refused with
/// a location and a hint.
@Suite struct BackendCheckLoaderTests {
    static let base = ModProxyLoaderTests.base + "  apache: {hosts: [web1]}\n"

    @Test func modJKChecksLoadWithTomcatConnectorsDefaults() throws {
        let d = try #require(try ScenarioLoader.load(text: Self.base, file: "t.yaml").web?.modJK)
        #expect(d.pingMode.isEmpty)
        #expect(d.pingTimeout == 10_000_000_000)
        #expect(d.connectionPoolTimeout == 0)
        #expect(d.escalation == 30_000_000_000)
        let s = try ScenarioLoader.load(text: Self.base + "  mod_jk: {ping_mode: cp, ping_timeout: 2s, recover_time: 20s, connection_pool_timeout: 5m}\n",
                                        file: "t.yaml")
        let j = try #require(s.web?.modJK)
        #expect(j.pingMode == [.connect, .prepost])
        #expect(j.pingTimeout == 2_000_000_000)
        #expect(j.connectionPoolTimeout == 300_000_000_000)
        // error_escalation_time follows recover_time / 2 unless it is set.
        #expect(j.escalation == 10_000_000_000)
        #expect(AJPPingMode(letters: "A") == .all)
    }

    @Test func aBadPingModeIsRefusedWithTheLetters() throws {
        let issue = try #require(onlyIssue(Self.base + "  mod_jk: {ping_mode: X}\n"))
        #expect(issue.message == "web.mod_jk.ping_mode 'X' is not a set of ping_mode letters")
        #expect(issue.line == 17)
        #expect(issue.column == 23)
        #expect(issue.hint?.contains("P (before each request)") == true)
    }

    @Test func modProxyMemberOptionsAreChecked() throws {
        let s = try ScenarioLoader.load(text: Self.base + "  mod_proxy: {ping: 1s, hot_standby: [was2], failonstatus: [503, 500]}\n", file: "t.yaml")
        let p = try #require(s.web?.modProxy)
        #expect(p.ping == 1_000_000_000)
        #expect(p.hotStandby == ["was2"])
        #expect(p.failOnStatus == [503, 500])
        let stranger = try #require(onlyIssue(Self.base + "  mod_proxy: {hot_standby: [was9]}\n"))
        #expect(stranger.message == "was9 in web.mod_proxy.hot_standby is not one of web.tomcat.hosts")
        #expect(stranger.column == 29)
        let all = try #require(onlyIssue(Self.base + "  mod_proxy: {hot_standby: [was1, was2]}\n"))
        #expect(all.message == "every Tomcat in web.mod_proxy.hot_standby is a hot standby")
        let status = try #require(onlyIssue(Self.base + "  mod_proxy: {failonstatus: [99]}\n"))
        #expect(status.message == "web.mod_proxy.failonstatus[0] is 99, outside 100...599")
        #expect(status.hint == "HTTP status codes, e.g. [503]")
    }

    /// pause stops a Tomcat's JVM as it stops mysqld; an Apache is neither.
    @Test func pauseTakesATomcatHost() throws {
        let s = try ScenarioLoader.load(text: Self.base + "faults:\n  - {at: 10s, pause: was1}\n", file: "t.yaml")
        #expect(s.faults.count == 1)
        let apache = try #require(onlyIssue(Self.base + "faults:\n  - {at: 10s, pause: web1}\n"))
        #expect(apache.message == "pause of 'web1', which runs no database")
        #expect(apache.hint?.contains("a Tomcat") == true)
    }
}
