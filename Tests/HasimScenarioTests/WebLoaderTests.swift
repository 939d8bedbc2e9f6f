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

private func web(_ lines: String) -> String { base + "\nweb:\n" + lines }

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
