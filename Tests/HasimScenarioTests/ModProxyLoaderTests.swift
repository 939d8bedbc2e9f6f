import Foundation
import HasimScenario
import HasimWeb
import Testing

/// `web.mod_proxy`: Apache's other balancer, read and refused as the loader does the rest.
@Suite struct ModProxyLoaderTests {
    /// WebLoaderTests' scenario with users and two Tomcats; a test appends its own lines.
    static let base = web("  users: {client: loadgen}\n  tomcat: {hosts: [was1, was2]}\n")

    @Test func modProxyLoadsWithHttpdsDefaults() throws {
        let s = try ScenarioLoader.load(text: Self.base + "  apache: {hosts: [web1]}\n  mod_proxy: {loadfactor: {was1: 2}}\n", file: "t.yaml")
        let p = try #require(s.web?.modProxy)
        #expect(p.lbmethod == .byrequests)
        #expect(!p.stickySession)
        #expect(p.retry == 60_000_000_000)
        #expect(p.maxAttempts == nil)
        #expect(p.forceRecovery)
        #expect(p.loadfactor == ["was1": 2])
        // Flip: without it Apache keeps mod_jk.
        #expect(try ScenarioLoader.load(text: Self.base + "  apache: {hosts: [web1]}\n", file: "t.yaml").web?.modProxy == nil)
    }

    @Test func modProxyNeedsApacheAndExcludesModJK() throws {
        let alone = try #require(onlyIssue(Self.base + "  mod_proxy: {}\n"))
        #expect(alone.message == "web.mod_proxy without web.apache")
        #expect(alone.line == 16)
        let both = try #require(onlyIssue(Self.base + "  apache: {hosts: [web1]}\n  mod_jk: {}\n  mod_proxy: {}\n"))
        #expect(both.message == "web.mod_jk and web.mod_proxy both given")
        #expect(both.hint?.contains("one balancer") == true)
    }

    @Test func stickySessionNamesTomcatsCookie() throws {
        let issue = try #require(onlyIssue(Self.base + "  apache: {hosts: [web1]}\n  mod_proxy: {stickysession: PHPSESSID}\n"))
        #expect(issue.message == "web.mod_proxy.stickysession 'PHPSESSID' is not Tomcat's session cookie")
        #expect(issue.line == 17)
        #expect(issue.column == 30)
        let lb = try #require(onlyIssue(Self.base + "  apache: {hosts: [web1]}\n  mod_proxy: {lbmethod: bytraffic}\n"))
        #expect(lb.hint == "one of: byrequests (default), bybusyness")
        let ok = try ScenarioLoader.load(text: Self.base + "  apache: {hosts: [web1]}\n  mod_proxy: {stickysession: JSESSIONID|jsessionid}\n", file: "t.yaml")
        #expect(ok.web?.modProxy?.stickySession == true)
    }
}
