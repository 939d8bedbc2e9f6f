import Testing
import Foundation
import HasimScenario
import HasimResults

/// Each replication regression, with the option that causes its outcome flipped:
/// the outcome must change, because it comes from the mechanism, not the file.
@Suite struct ReplicationRegressionTests {
    /// Loads a regression scenario; an edit that does not change the file fails the test.
    func scenario(_ name: String, _ edit: ((String) -> String)? = nil) throws -> Scenario {
        let path = repoRoot + "/scenarios/regressions/replication/" + name
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let edited = edit?(text) ?? text
        if edit != nil { #expect(edited != text, "the edit did not apply to \(name)") }
        return try ScenarioLoader.load(text: edited, file: name)
    }

    func metric(_ s: Scenario, _ name: String, seed: UInt64 = 1) throws -> Double {
        try #require(MetricsCalculator.report(try ScenarioRunner.run(s, seed: seed)).metric(name))
    }

    @Test func waitPointDecidesWhetherOthersReadWhatIsLost() throws {
        var afterCommit = 0.0, afterSync = 0.0
        for seed: UInt64 in [1, 2] {
            afterCommit += try metric(scenario("after-commit-visible-then-lost.yaml"), "lost_reads", seed: seed)
            afterSync += try metric(scenario("after-commit-visible-then-lost.yaml") {
                $0.replacingOccurrences(of: "wait_point: after_commit", with: "wait_point: after_sync")
            }, "lost_reads", seed: seed)
        }
        #expect(afterCommit >= 2)
        #expect(afterSync == 0)
    }

    @Test func semiSyncTimeoutSetsTheStall() throws {
        let tenSeconds = try metric(scenario("semi-sync-timeout.yaml"), "write_downtime")
        let twoSeconds = try metric(scenario("semi-sync-timeout.yaml") {
            $0.replacingOccurrences(of: "timeout: 10s", with: "timeout: 2s")
        }, "write_downtime")
        #expect(tenSeconds >= 9 && tenSeconds <= 11)
        #expect(twoSeconds >= 1.5 && twoSeconds <= 3)
        let async = try metric(scenario("semi-sync-timeout.yaml") {
            $0.replacingOccurrences(of: "semi_sync: {wait_point: after_sync, timeout: 10s}", with: "semi_sync: {enabled: false}")
        }, "write_downtime")
        #expect(async == 0, "without semi-sync a replica's outage costs the primary nothing")
    }

    @Test func promotingTheReplicaThatHasTheEventsLosesNothing() throws {
        let wrong = MetricsCalculator.report(try ScenarioRunner.run(try scenario("three-replicas-wrong-promotion.yaml"), seed: 1))
        let right = MetricsCalculator.report(try ScenarioRunner.run(try scenario("three-replicas-wrong-promotion.yaml") {
            $0.replacingOccurrences(of: "target: db3", with: "target: db2")
        }, seed: 1))
        #expect(wrong.metric("lost_transactions")! >= 1)
        #expect(wrong.replicationErrors.contains { $0.code == 1062 && $0.node == "db2" })
        #expect(right.metric("lost_transactions") == 0)
        #expect(right.metric("replication_crashes") == 0)
        #expect(right.metric("divergence") == 0)
    }
}
