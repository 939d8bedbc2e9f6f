import Testing
import HasimKernel
@testable import HasimDatabase

/// GTIDSet keeps each origin's newest interval apart from its older ones (the commit path's
/// insert and lookup touch only that). Against a plain model — per origin, the set of numbers —
/// under inserts in any order (holes filled, duplicates, numbers below the newest interval),
/// removals and span inserts, every answer is the model's, and sets holding the same GTIDs are
/// equal however they were built (one form per set).
@Suite struct GTIDSetNewestSpanTests {
    /// The model: per origin, its numbers.
    struct Model {
        var numbers: [UInt32: Set<Int64>] = [:]
        mutating func insert(_ g: GTID) { numbers[g.origin, default: []].insert(g.seq) }
        mutating func remove(_ g: GTID) {
            numbers[g.origin]?.remove(g.seq)
            if numbers[g.origin]?.isEmpty == true { numbers[g.origin] = nil }
        }
        func contains(_ g: GTID) -> Bool { numbers[g.origin]?.contains(g.seq) ?? false }
        var count: Int64 { Int64(numbers.values.reduce(0) { $0 + $1.count }) }
        /// MySQL's text form, origins and numbers ascending.
        var description: String {
            numbers.keys.sorted().map { o -> String in
                let sorted = numbers[o]!.sorted()
                var parts: [String] = []
                var i = 0
                while i < sorted.count {
                    var j = i
                    while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
                    parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
                    i = j + 1
                }
                return "\(o):" + parts.joined(separator: ":")
            }.joined(separator: ",")
        }
        /// The same GTIDs inserted one by one in ascending order.
        var canonical: GTIDSet {
            var s = GTIDSet()
            for o in numbers.keys.sorted() { for n in numbers[o]!.sorted() { s.insert(GTID(origin: o, seq: n)) } }
            return s
        }
    }

    func check(_ s: GTIDSet, _ m: Model, _ rng: inout SimRandom) {
        #expect(s.description == m.description)
        #expect(s.count == m.count)
        #expect(s.isEmpty == m.numbers.isEmpty)
        #expect(s == m.canonical)
        for o in UInt32(0)...4 {
            #expect(s.highest(of: o) == (m.numbers[o]?.max() ?? 0))
            for n in Int64(0)...130 { #expect(s.contains(GTID(origin: o, seq: n)) == m.contains(GTID(origin: o, seq: n))) }
            let lo = Int64(rng.below(130)), hi = lo + Int64(rng.below(20))
            #expect(s.firstMissing(origin: o, in: lo...hi) == (lo...hi).first { !m.contains(GTID(origin: o, seq: $0)) })
        }
        #expect(s.highestSeq == (m.numbers.values.compactMap { $0.max() }.max() ?? 0))
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func matchesTheModelInAnyOrder(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var s = GTIDSet(), m = Model()
        var next: [UInt32: Int64] = [:]
        for step in 0..<600 {
            let o = UInt32(rng.below(3) + 1)
            switch rng.below(10) {
            case 0...3:
                // The commit path: the next number of an origin (sometimes after a skip).
                let n = (next[o] ?? 1) + (rng.below(8) == 0 ? Int64(rng.below(4) + 1) : 0)
                next[o] = n + 1
                s.insert(GTID(origin: o, seq: n)); m.insert(GTID(origin: o, seq: n))
            case 4...6:
                // Anywhere: a hole filled, a duplicate, below the newest interval.
                let g = GTID(origin: o, seq: Int64(rng.below(120) + 1))
                s.insert(g); m.insert(g)
            case 7:
                let g = GTID(origin: o, seq: Int64(rng.below(120) + 1))
                s.remove(g); m.remove(g)
            default:
                let lo = Int64(rng.below(120) + 1), hi = lo + Int64(rng.below(10))
                s.insert(origin: o, lo...hi)
                for n in lo...hi { m.insert(GTID(origin: o, seq: n)) }
            }
            if step % 20 == 19 { check(s, m, &rng) }
        }
        check(s, m, &rng)
        // A union equals the model's union, built either way round.
        var t = GTIDSet(), mt = Model()
        for _ in 0..<80 {
            let g = GTID(origin: UInt32(rng.below(4) + 1), seq: Int64(rng.below(120) + 1))
            t.insert(g); mt.insert(g)
        }
        var mu = m
        for (o, ns) in mt.numbers { for n in ns { mu.insert(GTID(origin: o, seq: n)) } }
        #expect(s.union(t) == mu.canonical && t.union(s) == mu.canonical)
        #expect(s.isSubset(of: s.union(t)) && t.isSubset(of: s.union(t)))
    }
}
