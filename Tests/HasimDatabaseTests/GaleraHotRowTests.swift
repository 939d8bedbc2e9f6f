import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase
import HasimWorkload

/// Two writers on two nodes updating one hot row (issue 10, item 5): row locks, brute-force
/// aborts and certification failures; compared with validation/results/galera-hot-row.json
/// (real MariaDB 10.11 + Galera 4: 100 updates/s from each of two applications through 8
/// connections, wsrep_retry_autocommit=1: 3.3 % of attempts end in 1213 on the idle machine,
/// 22-31 % on the loaded one; validation/scenarios/galera-hot-row.yaml runs the bench).
@Suite struct GaleraHotRowTests {
    struct Outcome { var a: ApplicationClient; var b: ApplicationClient; var lab: GaleraLab }

    func run(hotRows: Int, seed: UInt64 = 1, localCommit: SimTime = Time.us(500)) -> Outcome {
        let lab = GaleraLab(jitter: 0.25, seed: seed) { _, c in c.localCommit = localCommit }
        var cc = ClientConfig()
        cc.poolSize = 8
        let a = lab.app(0, index: 0, config: cc), b = lab.app(1, index: 1, config: cc)
        for x in [a, b] {
            x.startWorkload(writesPerSecond: 100, updateFraction: 1.0, hotRows: hotRows, probeInterval: 0, start: 0, stop: Time.s(12))
        }
        lab.sim.run(until: Time.s(14))
        return Outcome(a: a, b: b, lab: lab)
    }

    @Test func aHotRowWrittenFromTwoNodesDeadlocks() {
        // Default timings (0.5 ms local execution + commit): a short conflict window, few 1213s.
        let quick = run(hotRows: 1)
        let dq = (Array(quick.a.failures) + quick.b.failures).filter { $0.code == 1213 }.count
        #expect(dq > 5)
        #expect(quick.lab.nodes.map(\.bfAborts).reduce(0, +) > 0)
        // Certification is deterministic: every node ends with the same counter.
        #expect(Set(quick.lab.nodes.map { $0.storage.row(.counters, 1)!.value }).count == 1)
        // With the commit time of the validation machine (its 2 cores shared: a commit takes
        // ~7 ms there; local_commit 5 ms gives hasim's p50 ~9 ms) the window widens and the rate
        // approaches the real one (22 % median; hasim ~10 %: see the report).
        let o = run(hotRows: 1, localCommit: Time.ms(5))
        let da = o.a.failures.filter { $0.code == 1213 }.count, db = o.b.failures.filter { $0.code == 1213 }.count
        let attempts = o.a.ledger.count + o.b.ledger.count + o.a.failures.count + o.b.failures.count
        let rate = Double(da + db) / Double(attempts)
        #expect(rate > 0.05 && rate < 0.4, "\(rate)")
        #expect(da > 0 && db > 0)
        #expect(dq * 5 < da + db)
        // Flip: each writer on its own rows: no conflict, no 1213.
        let spread = run(hotRows: 1000, localCommit: Time.ms(5))
        #expect((Array(spread.a.failures) + spread.b.failures).filter { $0.code == 1213 }.isEmpty)
    }
}
