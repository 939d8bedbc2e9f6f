import Testing
import Foundation
import HasimScenario
import HasimResults

/// The front_door section is checked like the rest of a scenario: file:line:column, a hint.
@Suite struct FrontDoorValidationTests {
    let fixture = repoRoot + "/Tests/HasimScenarioTests/Fixtures/vip-across-sites.yaml"

    func issues(_ text: String, file: String = "fd.yaml") -> String? {
        do {
            _ = try ScenarioLoader.load(text: text, file: file)
            return nil
        } catch let e as ScenarioErrors {
            return e.description
        } catch {
            return "\(error)"
        }
    }

    @Test func aVIPThatWouldHaveToCrossIDCsIsRefusedWithTheSitesAndDNSNamed() throws {
        let text = try String(contentsOfFile: fixture, encoding: .utf8)
        let report = try #require(issues(text, file: "Fixtures/vip-across-sites.yaml"))
        #expect(report == """
            Fixtures/vip-across-sites.yaml:13:36: error: VIP 10.0.0.100 lives in site 'idc1' but database 'db2', which it would move to on failover, is in site 'idc2'
              hint: a VIP is answered through ARP inside one broadcast domain and cannot cross from idc1 to idc2; across IDCs use DNS, e.g. front_door: {dns: {name: db.service.local, ttl: 5s}}
            """)
        // The same topology with a DNS name loads.
        let dns = text.replacingOccurrences(of: "vip: {address: 10.0.0.100, site: idc1, holder: db1}",
                                            with: "dns: {name: db.service.local, ttl: 5s}")
            .replacingOccurrences(of: "front_door: vip}", with: "front_door: dns}")
        #expect(issues(dns) == nil)
    }

    let base = """
        name: fd
        duration: 2m
        topology:
          sites:
            idc1: [db1, db2, app1, lb1]
          databases:
            db1: {role: primary}
            db2: {role: replica, source: db1}
        architecture:
          strategy: manual
          options: {front_door: OPTION}
        workload:
          client: app1
        front_door:
          DOOR
        """

    func scenario(option: String = "auto", door: String) -> String {
        base.replacingOccurrences(of: "OPTION", with: option).replacingOccurrences(of: "DOOR", with: door)
    }

    @Test func aHolderOutsideTheVIPsSiteAndAnUnknownSiteAreReported() {
        let text = """
            name: fd
            duration: 2m
            topology:
              sites: {idc1: [db1, app1], idc2: [db2, app2]}
              databases: {db1: {role: primary}, db2: {role: replica, source: db1}}
            architecture: {strategy: manual}
            workload: {client: app1}
            front_door:
              vip: {address: 10.0.0.100, site: idc1, holder: app2}
            """
        let report = issues(text) ?? ""
        #expect(report.contains("fd.yaml:9:50: error: holder 'app2' is in site 'idc2', outside the VIP's site 'idc1'\n"
                                + "  hint: a VIP is raised by a host of its own broadcast domain: site idc1 has db1, app1"))
        #expect(report.contains("fd.yaml:9:36: error: VIP 10.0.0.100 lives in site 'idc1' but database 'db2'"))
        let unknown = issues(text.replacingOccurrences(of: "site: idc1, holder: app2", with: "site: idc3"))
        #expect(unknown?.contains("error: unknown site 'idc3' in front_door.vip.site") == true)
    }

    @Test func theStrategyOptionMustMatchTheFrontDoor() {
        let vipWithDNSOption = scenario(option: "dns", door: "vip: {address: 10.0.0.100, site: idc1}")
        #expect(issues(vipWithDNSOption) == """
            fd.yaml:10:3: error: option front_door is 'dns' but the scenario's front door is vip
              hint: add front_door: {dns: {name: db.service.local, ttl: 30s}}, or use front_door: auto
            """)
        #expect(issues(scenario(option: "vip", door: "vip: {address: 10.0.0.100, site: idc1}")) == nil)
        #expect(issues(scenario(option: "ip", door: "vip: {address: 10.0.0.100, site: idc1}")) == nil)
        #expect(issues(scenario(option: "vpi", door: "vip: {address: 10.0.0.100, site: idc1}"))?
            .contains("'vpi' is not a valid value for architecture.options.front_door") == true)
    }

    @Test func theFrontDoorIsRecordedWithTheRunsParameters() throws {
        let s = try ScenarioLoader.load(text: scenario(door: "proxy: {host: lb1, backends: [db1, db2], backup: [db2], inter: 1s}"), file: "fd.yaml")
        let json = ScenarioParameters.json(s)
        #expect(json.contains(#""front_door":{"proxy":{"backends":["db1","db2"],"backup":["db2"],"balance":"roundrobin","fall":3,"host":"lb1","inter_ns":1000000000,"port":3306,"retries":3,"rise":2,"shutdown_sessions":false,"timeout_check_ns":null,"timeout_connect_ns":5000000000}}"#))
        let none = try ScenarioLoader.load(text: base.replacingOccurrences(of: "OPTION", with: "auto")
            .replacingOccurrences(of: "front_door:\n  DOOR", with: ""), file: "fd.yaml")
        #expect(none.frontDoor == nil && !ScenarioParameters.json(none).contains(#""front_door":{"#))
    }

    @Test func proxyAndDNSMistakesAreReportedWithTheirPlaces() {
        let proxy = issues(scenario(door: "proxy: {host: db1, backends: [db1, app1], backup: [db2, db1], balance: fist, inter: 2}")) ?? ""
        #expect(proxy.contains("fd.yaml:15:17: error: the proxy cannot run on database host 'db1'"))
        #expect(proxy.contains("error: 'app1' in front_door.proxy.backends runs no database"))
        #expect(proxy.contains("error: 'fist' is not a valid value for front_door.proxy.balance\n  hint: did you mean 'first'?"))
        #expect(proxy.contains("error: expected a duration for front_door.proxy.inter, found the bare number 2"))
        let allBackup = issues(scenario(door: "proxy: {host: lb1, backends: [db1, db2], backup: [db2, db1]}")) ?? ""
        #expect(allBackup.contains("error: every backend is a backup"))
        let dns = issues(scenario(door: "dns: {name: db.service.local, ttl: 5s, client_cache: never, api_delay: {min: 6s, max: 4s}}")) ?? ""
        #expect(dns.contains("error: expected a duration or 'forever' for front_door.dns.client_cache, found 'never'"))
        #expect(dns.contains("error: front_door.dns.api_delay.max is smaller than front_door.dns.api_delay.min"))
        let two = issues(scenario(door: "dns: {name: db.service.local, ttl: 5s}\n  vip: {address: 10.0.0.1, site: idc1}")) ?? ""
        #expect(two.contains("error: front_door has two front doors, 'dns' and 'vip'"))
        #expect(issues(scenario(door: "proxy: {host: lb1, backends: [db1, db2], backup: [db2], balance: first, shutdown_sessions: true}")) == nil)
        #expect(issues(scenario(door: "dns: {name: db.service.local, ttl: 0s, client_cache: forever}")) == nil)
    }
}
