import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// A VRRP pair of L4 directors (web.l4.hosts, L4Pair.swift): the MASTER's death moves the VIP
/// and the users follow its gratuitous ARPs; with one director its death is an outage.
@Suite struct L4PairRegressionTests {
    static let folder = repoRoot + "/scenarios/regressions/web/"

    func run(_ file: String, _ edits: [(String, String)] = [], seed: UInt64 = 1) throws -> RunReport {
        MetricsCalculator.report(try ScenarioRunner.run(try editedScenario(Self.folder + file, edits), seed: seed))
    }

    @Test func aPairRecoversFromItsMastersDeathWhereOneDirectorDoesNot() throws {
        let pair = try run("l4-pair-director-crash.yaml")
        let single = try run("l4-single-director-crash.yaml")
        // The pair: a few seconds of unanswered requests (master-down + the users' timeouts), then service.
        let pairLost = pair.metric("http_no_answer")!, singleLost = single.metric("http_no_answer")!
        #expect(pairLost >= 20)
        #expect(pairLost * 5 < singleLost, "pair \(pairLost) vs one director \(singleLost)")
        #expect(pair.metric("http_tps")! > 2 * single.metric("http_tps")!)
        // Flip inside the pair: without the crash nothing is lost, so the loss is the move's.
        let calm = try run("l4-pair-director-crash.yaml", [("  - {at: 30s, host_crash: lb1}\n", "")])
        #expect(calm.metric("http_no_answer") == 0)
    }

    @Test func theOutageFollowsTheMasterDownInterval() throws {
        // Flip the cause: advert_int 1 s -> 3 s triples the master-down interval (3 x advert +
        // skew: 3.6 s -> 10.8 s). The users whose request timed out reconnect before lb2 has the
        // VIP: their SYNs wait for its gratuitous ARP, so the slowest requests take seconds
        // (seed 1: p99 4.9 ms -> 2.2 s) and fewer requests are served.
        let fast = try run("l4-pair-director-crash.yaml")
        let slow = try run("l4-pair-director-crash.yaml", [("vip: 10.0.0.80, mode: nat}", "vip: 10.0.0.80, mode: nat, vrrp: {advert_int: 3s}}")])
        #expect(fast.metric("http_latency_p99")! < 0.05)
        #expect(slow.metric("http_latency_p99")! > 1, "advert 3 s: p99 \(slow.metric("http_latency_p99")!) s")
        #expect(slow.metric("http_requests")! < fast.metric("http_requests")!)
    }
}
