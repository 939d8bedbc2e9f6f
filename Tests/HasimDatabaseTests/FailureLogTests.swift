import Testing
import HasimKernel
@testable import HasimWorkload

/// The failed attempts in columns (`FailureLog`) read back what an array of them held, and
/// merging applications' logs gives the order the outcome always had (sorted by failure,
/// issue, group), sharing a single log that is already in order.
@Suite struct FailureLogTests {
    /// Waits from none to minutes (past 32 bits of nanoseconds), several codes, probes and
    /// groups, ties on the failure time with later issue times (out of order).
    static func attempts(seed: UInt64, count: Int, group: Int? = nil) -> [FailedAttempt] {
        var rng = SimRandom(seed: seed)
        var now: SimTime = Time.s(1)
        let codes = [FailedAttempt.rejectedCode, 1213, 2003, 2013, 1047]
        return (0..<count).map { _ in
            if rng.below(4) != 0 { now += Time.us(Int64(rng.below(3_000))) }
            let roll = rng.below(10)
            let wait: SimTime = roll == 0 ? Time.s(Int64(5 + rng.below(100))) : roll == 1 ? 0 : Time.ms(Int64(rng.below(4_000)))
            return FailedAttempt(issuedAt: now - wait, failedAt: now, code: codes[rng.below(codes.count)],
                                 isProbe: rng.below(20) == 0, group: group ?? rng.below(3))
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func readsBackAnArray(seed: UInt64) {
        let plain = Self.attempts(seed: seed, count: 20_000)
        var log = FailureLog()
        for a in plain { log.append(a) }
        #expect(log.count == plain.count)
        for (i, a) in plain.enumerated() where log[i] != a { Issue.record("seed \(seed): attempt \(i) reads \(log[i]), not \(a)"); break }
        #expect(Array(log) == plain)
        #expect(FailureLog(plain) == log)
        #expect(Array(log.filter { $0.code == 1213 }) == plain.filter { $0.code == 1213 })
    }

    @Test func mergesAsTheSortedConcatenation() {
        let a = Self.attempts(seed: 4, count: 3_000, group: 0), b = Self.attempts(seed: 5, count: 3_000, group: 1)
        let expected = (a + b).sorted(by: FailureLog.inOrder)
        #expect(Array(FailureLog.merged([FailureLog(a), FailureLog(), FailureLog(b)])) == expected)
        // One log: kept when in order, sorted when not (equal failure times, later issue first).
        let ordered = a.sorted(by: FailureLog.inOrder)
        #expect(Array(FailureLog.merged([FailureLog(ordered)])) == ordered)
        #expect(Array(FailureLog.merged([FailureLog(a)])) == ordered)
        #expect(a != ordered, "the test must include attempts out of order")
        #expect(FailureLog.merged([]).isEmpty)
    }
}
