import Foundation
import Testing
@testable import HasimScenario

/// scenarios/README.md is the file reference (issue 14): every key the loader accepts
/// and every metric `expect:` takes is named there, so a user never meets a key that the
/// reference does not explain.
@Suite struct ReadmeCompletenessTests {
    static let databaseKeys = ["role", "source", "auto_increment_increment", "auto_increment_offset",
                               "read_only", "semi_sync", "sql_thread_rate", "sql_apply_sigma"]

    func undocumented(_ keys: [String], in text: String) -> [String] {
        keys.filter { k in !text.contains("`\(k)`") && !text.contains("\(k):") && !text.contains(" \(k),") && !text.contains(" \(k)\n") && !text.contains(" \(k) (") }
    }

    @Test func everyKeyAndMetricIsInTheReference() throws {
        let readme = try String(contentsOfFile: repositoryRoot + "/scenarios/README.md", encoding: .utf8)
        let keys = ScenarioBuilder.rootKeys + ScenarioBuilder.workloadKeys + ScenarioBuilder.mysqlKeys + ScenarioBuilder.faultKinds
            + FrontDoorBuilder.vipKeys + FrontDoorBuilder.dnsKeys + FrontDoorBuilder.proxyKeys + Self.databaseKeys
            + WebKeyCatalog.keys.map { String($0.key.split(separator: ".").last!) }
        #expect(undocumented(keys, in: readme) == [])
        #expect(undocumented(ScenarioBuilder.metrics, in: readme) == [])
        // Flip: a key the reference lacks is found.
        #expect(undocumented(["writes_per_fortnight"], in: readme) == ["writes_per_fortnight"])
    }
}
