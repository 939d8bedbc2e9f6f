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

    @Test func aPreferredDirectorsTakebackResetsTheConnectionsMadeThroughTheOther() throws {
        // lb1 dies at 30 s and boots at 50 s; with preempt it takes the VIP back. The users'
        // connections were scheduled by lb2; their segments now reach lb1, which has no entry
        // and answers RST: each user loses one more request (seed 1: 200 -> 400 unanswered).
        let file = "l4-pair-preempt-takeback.yaml"
        let back = try run(file), staysDown = try run(file, [(", recover_after: 20s}", "}")])
        let lost = back.metric("http_no_answer")!, failoverOnly = staysDown.metric("http_no_answer")!
        #expect(lost >= failoverOnly + 100, "takeback \(lost) vs failover only \(failoverOnly)")
        // Flip: nopreempt, lb2 keeps the VIP: no takeback, nothing more lost.
        let nopreempt = try run(file, [("mode: nat}", "mode: nat, vrrp: {preempt: false}}")])
        #expect(abs(nopreempt.metric("http_no_answer")! - failoverOnly) < 20)
        // Flip: the sync daemon gives the director that gets the VIP copies of the entries: the
        // takeback costs nothing, and the failover's connections move to lb2 too.
        let sync = [("mode: nat}", "mode: nat, vrrp: {sync_daemon: true}}")]
        let synced = try run(file, sync), syncedStaysDown = try run(file, sync + [(", recover_after: 20s}", "}")])
        #expect(synced.metric("http_no_answer")! <= syncedStaysDown.metric("http_no_answer")!)
        #expect(synced.metric("http_no_answer")! * 2 < failoverOnly, "synced \(synced.metric("http_no_answer")!)")
    }
}
