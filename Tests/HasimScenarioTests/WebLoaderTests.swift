import Foundation
import HasimScenario
import HasimWeb
import Testing

/// A valid scenario with a web tier; tests append one broken `web:` line.
private let base = """
name: t
duration: 10m
topology:
  sites:
    idc1: [db1, db2, app1, loadgen, web1, was1, was2]
  databases:
    db1: {role: primary}
    db2: {role: replica, source: db1}
architecture:
  strategy: manual
workload:
  client: app1
"""

/// The base scenario with a `web:` section of these lines (ModProxyLoaderTests uses it too).
func web(_ lines: String) -> String { base + "\nweb:\n" + lines }

@Suite struct WebLoaderTests {
    @Test func aWebTierLoadsWithTheToolsDefaults() throws {
        let s = try ScenarioLoader.load(text: web("""
              users: {client: loadgen}
              apache: {hosts: [web1]}
              mod_jk: {lbfactor: {was1: 2}}
              tomcat: {hosts: [was1, was2], sessions: backup}
            """), file: "t.yaml")
        let w = try #require(s.web)
        #expect(w.users.count == 100)
        #expect(w.apache?.maxRequestWorkers == 400)
        #expect(w.modJK.recoverTime == 60_000_000_000)
        #expect(w.modJK.retries == 2)
        #expect(w.modJK.stickySession)
        #expect(w.modJK.lbfactor == ["was1": 2])
        #expect(w.tomcat.maxThreads == 200 && w.tomcat.acceptCount == 100)
        #expect(w.tomcat.sessions == .backup)
        // Flip: without the section there is no web tier.
        #expect(try ScenarioLoader.load(text: base, file: "t.yaml").web == nil)
    }

    @Test func aDatabaseHostCannotRunTheWebTier() throws {
        let issue = try #require(onlyIssue(web("  users: {client: loadgen}\n  tomcat: {hosts: [was1, db2]}")))
        #expect(issue.message == "db2 in web.tomcat.hosts is a database host")
        #expect(issue.line == 15)
        #expect(issue.column == 26)
        #expect(issue.hint == "give the web tier its own hosts (topology.sites)")
    }

    @Test func theMixMustSumToOne() throws {
        let issue = try #require(onlyIssue(web("  users: {client: loadgen, mix: {static: 0.5, read: 0.2}}\n  tomcat: {hosts: [was1]}")))
        #expect(issue.message == "web.users.mix sums to 0.7, not 1")
        #expect(issue.line == 14)
    }

    @Test func modJKNeedsApache() throws {
        let issue = try #require(onlyIssue(web("  users: {client: loadgen}\n  mod_jk: {retries: 3}\n  tomcat: {hosts: [was1]}")))
        #expect(issue.message == "web.mod_jk without web.apache")
        #expect(issue.hint?.contains("web.apache") == true)
    }

    @Test func anLbfactorNamesATomcat() throws {
        let issue = try #require(onlyIssue(web("""
              users: {client: loadgen}
              apache: {hosts: [web1]}
              mod_jk: {lbfactor: {was3: 2}}
              tomcat: {hosts: [was1, was2]}
            """)))
        #expect(issue.message == "was3 in web.mod_jk.lbfactor is not one of web.tomcat.hosts")
        #expect(issue.line == 16)
    }

    @Test func unknownSessionManagerListsTheChoices() throws {
        let issue = try #require(onlyIssue(web("  users: {client: loadgen}\n  tomcat: {hosts: [was1], sessions: persistent}")))
        #expect(issue.message == "unknown web.tomcat.sessions 'persistent'")
        #expect(issue.hint == "one of: none (default), delta (DeltaManager), backup (BackupManager)")
    }

    @Test func drainNamesATomcatBehindApache() throws {
        let noApache = try #require(onlyIssue(web("  users: {client: loadgen}\n  tomcat: {hosts: [was1]}\nfaults:\n  - {at: 1m, drain: was1}")))
        #expect(noApache.message == "drain acts on mod_jk's members: the scenario has no web.apache")
        #expect(noApache.line == 17)
        let wrong = try #require(onlyIssue(web("""
              users: {client: loadgen}
              apache: {hosts: [web1]}
              tomcat: {hosts: [was1, was2]}
            faults:
              - {at: 1m, remove: was3}
            """)))
        #expect(wrong.message == "was3 in faults[0].remove is not one of web.tomcat.hosts")
        #expect(wrong.hint == "did you mean 'was1'?")
        // Flip: a Tomcat behind Apache is accepted.
        let ok = try ScenarioLoader.load(text: web("""
              users: {client: loadgen}
              apache: {hosts: [web1]}
              tomcat: {hosts: [was1, was2]}
            faults:
              - {at: 1m, remove: was2, recover_after: 1m}
            """), file: "t.yaml")
        #expect(ok.faults.first?.kind == .remove(host: "was2"))
    }

    @Test func aMisspeltKeySuggestsTheRightOne() throws {
        let issue = try #require(onlyIssue(web("  users: {client: loadgen}\n  tomcat: {hosts: [was1], max_thread: 50}")))
        #expect(issue.message == "unknown key 'max_thread' in web.tomcat")
        #expect(issue.hint == "did you mean 'max_threads'?")
    }
}

/// web.l4: the balancer's keys, its mode's defaults, and L2DSR's one-domain rule.
@Suite struct L4LoaderTests {
    static let twoSites = """
    name: t
    duration: 10m
    topology:
      sites:
        idc1: [db1, app1, loadgen, lb1, web1, was1]
        idc2: [db2, web2]
      databases:
        db1: {role: primary}
        db2: {role: replica, source: db1}
    architecture:
      strategy: manual
    workload:
      client: app1
    web:
      users: {client: loadgen}
      apache: {hosts: [web1, web2]}
      tomcat: {hosts: [was1]}

    """

    @Test func aBalancerLoadsWithKeepalivedsDefaultsAndLBaaSWithAWSs() throws {
        let s = try ScenarioLoader.load(text: Self.twoSites + "  l4: {host: lb1, mode: dsr_l3}\n", file: "t.yaml")
        let l = try #require(s.web?.l4)
        #expect(l.interval == 60_000_000_000 && l.timeout == 5_000_000_000 && l.fall == 2 && l.rise == 1)
        #expect(l.scheduler == .wlc && l.bandwidth == 1_000_000_000)
        let c = try ScenarioLoader.load(text: Self.twoSites + "  l4: {host: lb1, mode: lbaas}\n", file: "t.yaml")
        let m = try #require(c.web?.l4)
        #expect(m.interval == 30_000_000_000 && m.rise == 5 && m.fall == 2 && m.expireNodestConn)
    }

    /// L2DSR rewrites MAC addresses: an Apache in another site is refused, with the L3DSR hint.
    /// Flip: the same file in dsr_l3 mode loads (above), and dsr_l2 with both Apaches in idc1 too.
    @Test func l2DSRAcrossSitesIsRefusedWithTheL3DSRHint() throws {
        let issue = try #require(onlyIssue(Self.twoSites + "  l4: {host: lb1, mode: dsr_l2}\n"))
        #expect(issue.message == "web.l4.mode dsr_l2 needs the balancer and every Apache in one L2 domain: web2 is in site idc2, lb1 in idc1")
        #expect(issue.line == 18)
        #expect(issue.column == 25)
        #expect(issue.hint?.contains("use mode: dsr_l3") == true)
        let sameSite = Self.twoSites.replacingOccurrences(of: "lb1, web1, was1]", with: "lb1, web1, web2, was1]")
            .replacingOccurrences(of: "[db2, web2]", with: "[db2]")
        #expect(try ScenarioLoader.load(text: sameSite + "  l4: {host: lb1, mode: dsr_l2}\n", file: "t.yaml").web?.l4?.mode == .dsrL2)
    }

    @Test func aBandwidthNeedsAUnitAndTheLBaaSCannotBeCrashed() throws {
        let bare = try #require(onlyIssue(Self.twoSites + "  l4: {host: lb1, bandwidth: 100}\n"))
        #expect(bare.message == "web.l4.bandwidth: the bare number 100 has no unit")
        let managed = try #require(onlyIssue(Self.twoSites + "  l4: {host: lb1, mode: lbaas}\nfaults:\n  - {at: 1m, host_crash: lb1}\n"))
        #expect(managed.message.contains("runs the managed LBaaS"))
    }

    @Test func aDrainNamesAnApacheBehindTheBalancer() throws {
        let s = try ScenarioLoader.load(text: Self.twoSites + "  l4: {host: lb1, mode: dsr_l3}\nfaults:\n  - {at: 1m, drain: web2}\n", file: "t.yaml")
        #expect(s.faults.count == 1)
        // Flip: without the balancer an Apache is no drain target.
        #expect(onlyIssue(Self.twoSites + "faults:\n  - {at: 1m, drain: web2}\n") != nil)
    }
}
