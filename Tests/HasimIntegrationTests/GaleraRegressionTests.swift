import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults
import HasimDatabase

/// Galera's failure cases (FC-21, FC-23, FC-24), each with its cause flipped.
@Suite struct GaleraRegressionTests {
    func scenario(_ name: String, _ edit: ((String) -> String)? = nil) throws -> Scenario {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/regressions/galera/" + name, encoding: .utf8)
        let edited = edit?(text) ?? text
        if edit != nil { #expect(edited != text, "the edit did not apply to \(name)") }
        return try ScenarioLoader.load(text: edited, file: name)
    }

    func report(_ s: Scenario, seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(s, seed: seed))
    }

    /// Median commit latency (issue to ack) of the acknowledged non-probe writes in [from, to).
    func medianLatency(_ o: RunOutcome, from: SimTime = 0, to: SimTime = .max) -> SimTime {
        let l = o.ledger.filter { !$0.isProbe && $0.issuedAt >= from && $0.issuedAt < to }.map { $0.ackedAt - $0.issuedAt }.sorted()
        return l.isEmpty ? 0 : l[l.count / 2]
    }

    @Test func oneOfThreeDiesTheProxyDecidesTheDowntime() throws {
        let base = try report(scenario("galera-one-of-three-dies.yaml"))
        let d = base.metric("write_downtime")!
        #expect(d >= 9.5 && d <= 13)
        #expect(base.metric("lost_transactions") == 0)
        // Flip: the node that dies is not the one the proxy sends to. The writers only wait for
        // the survivors to drop it from the view: evs.suspect_timeout (5 s).
        let other = try report(scenario("galera-one-of-three-dies.yaml") {
            $0.replacingOccurrences(of: "host_crash: db1", with: "host_crash: db3")
        })
        let d3 = other.metric("write_downtime")!
        #expect(d3 >= 4 && d3 <= 6.5)
        // And a shorter suspect timeout shortens exactly that stall.
        let quick = try report(scenario("galera-one-of-three-dies.yaml") {
            $0.replacingOccurrences(of: "host_crash: db1", with: "host_crash: db3")
              .replacingOccurrences(of: "strategy: galera", with: "strategy: galera\n  options: {evs_suspect_timeout: 2s}")
        })
        let dq = quick.metric("write_downtime")!
        #expect(dq >= 1 && dq <= 3.5)
    }

    @Test func twoOfThreeDieTheSurvivorWaitsForTheOperator() throws {
        let s = try scenario("galera-two-of-three-die.yaml")
        let outcome = try ScenarioRunner.run(s, seed: 1)
        let base = MetricsCalculator.report(outcome)
        let d = base.metric("write_downtime")!
        #expect(d >= 65 && d <= 76)
        #expect(outcome.failures.contains { $0.code == 1047 })
        #expect(outcome.trace.contains { $0.kind == .galeraBootstrap })
        // Flip the operator's delay: the downtime follows it.
        let fast = try report(scenario("galera-two-of-three-die.yaml") {
            $0.replacingOccurrences(of: "bootstrap_delay: 60s", with: "bootstrap_delay: 20s")
        })
        let df = fast.metric("write_downtime")!
        #expect(df >= 25 && df <= 36)
        // Flip the weights: db1 holds 3 of 5 votes, more than half, and stays Primary alone.
        let heavy = try report(scenario("galera-two-of-three-die.yaml") {
            $0.replacingOccurrences(of: "bootstrap_delay: 60s", with: "bootstrap_delay: 60s, pc_weights: \"3,1,1\"")
        })
        let dh = heavy.metric("write_downtime")!
        #expect(dh >= 4 && dh <= 6.5)
    }
}
