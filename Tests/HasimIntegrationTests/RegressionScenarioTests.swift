import Testing
import Foundation
@testable import HasimCLI
import HasimScenario

/// The scenarios in scenarios/ with `expect:` blocks, run through the same code
/// path as `hasim check`.
@Suite struct RegressionScenarioTests {
    @Test func everyExpectationInScenariosHolds() throws {
        let files = try ScenarioFiles.expand([repoRoot + "/scenarios"])
        #expect(files.count >= 2)
        let scenarios = try Runner.load(files)
        let result = try Checker.check(scenarios, seeds: nil)
        #expect(result.reports.count >= 2)
        for miss in result.misses { Issue.record("\(miss)") }
    }

    @Test func aMissIsReportedWithItsPlaceAndTheActualValue() throws {
        let text = """
        name: wrong expectation
        duration: 20s
        topology:
          sites: {idc1: [db1, app1]}
          databases: {db1: {role: primary}}
        architecture: {strategy: single}
        workload: {client: app1, writes_per_second: 50}
        faults:
          - {at: 5s, process_crash: db1, recover_after: 5s}
        expect:
          write_downtime: 0
        """
        let s = try ScenarioLoader.load(text: text, file: "wrong.yaml")
        let result = try Checker.check([s], seeds: [1])
        let miss = try #require(result.misses.first)
        #expect(miss.expectation.metric == "write_downtime")
        #expect((miss.actual ?? 0) > 5)
        #expect(miss.description.hasPrefix("wrong.yaml:11:3:"))
    }
}
