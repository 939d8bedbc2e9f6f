import Testing
import HasimScenario
import HasimWeb

/// web.l4.hosts / vip / vrrp: a VRRP pair of directors, refused with file:line:column where it
/// cannot work.
@Suite struct L4PairLoaderTests {
    static let base = L4LoaderTests.twoSites.replacingOccurrences(of: "lb1, web1, was1]", with: "lb1, lb2, web1, was1]")
        .replacingOccurrences(of: "[db2, web2]", with: "[db2, web2, lb3]")

    @Test func aPairLoadsWithItsVRRPSettings() throws {
        let s = try ScenarioLoader.load(text: Self.base + "  l4: {hosts: [lb1, lb2], vip: 10.0.0.80, vrrp: {advert_int: 2s, priorities: [150, 50], preempt: false, sync_daemon: true}}\n", file: "t.yaml")
        let l = try #require(s.web?.l4)
        #expect(l.pairHosts == ["lb1", "lb2"] && l.host == "lb1" && l.vip == "10.0.0.80")
        #expect(l.vrrp.advertInt == 2_000_000_000 && l.vrrp.priorities == [150, 50] && !l.vrrp.preempt && l.vrrp.syncDaemon)
        // Defaults: keepalived's advert_int 1 s, 101/100, preempt; no IPVS sync daemon.
        let d = try ScenarioLoader.load(text: Self.base + "  l4: {hosts: [lb1, lb2], vip: 10.0.0.80}\n", file: "t.yaml").web?.l4
        #expect(d?.vrrp == L4Spec.VRRP() && d?.vrrp.syncDaemon == false)
    }

    @Test func aPairAcrossSitesIsRefused() throws {
        let issue = try #require(onlyIssue(Self.base + "  l4: {hosts: [lb1, lb3], vip: 10.0.0.80}\n"))
        #expect(issue.message == "web.l4.hosts lb1 and lb3 are in different sites (idc1, idc2): the VIP cannot move between them")
        #expect(issue.line == 18 && issue.column == 15)
        #expect(issue.hint?.contains("one broadcast domain") == true)
    }

    @Test func aPairNeedsTwoDirectorsAVIPAndNoManagedLB() throws {
        let one = try #require(onlyIssue(Self.base + "  l4: {hosts: [lb1], vip: 10.0.0.80}\n"))
        #expect(one.message.contains("needs two different directors"))
        let noVIP = try #require(onlyIssue(Self.base + "  l4: {hosts: [lb1, lb2]}\n"))
        #expect(noVIP.message == "web.l4.hosts without web.l4.vip")
        #expect(noVIP.line == 18 && noVIP.column == 8)
        let both = try #require(onlyIssue(Self.base + "  l4: {host: lb1, hosts: [lb1, lb2], vip: 10.0.0.80}\n"))
        #expect(both.message == "web.l4 has both host and hosts")
        let managed = try #require(onlyIssue(Self.base + "  l4: {hosts: [lb1, lb2], vip: 10.0.0.80, mode: lbaas}\n"))
        #expect(managed.message.contains("lbaas has no director pair"))
        let badPriority = try #require(onlyIssue(Self.base + "  l4: {hosts: [lb1, lb2], vip: 10.0.0.80, vrrp: {priorities: [101]}}\n"))
        #expect(badPriority.message.contains("one priority per director"))
        // Flip: one director on host: needs none of it.
        #expect(try ScenarioLoader.load(text: Self.base + "  l4: {host: lb1}\n", file: "t.yaml").web?.l4?.pairHosts == [])
    }
}
