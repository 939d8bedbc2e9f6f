import Testing
import HasimKernel
@testable import HasimDatabase

/// The GTID set's span-wise operations and the binary log's seek by GTID runs (issue 15: a
/// failover's new source walked its whole binary log event by event, and MHA's unions of
/// Retrieved and Executed inserted one GTID at a time) answer exactly what the one-by-one
/// forms answered, on random sets with several origins, holes and overlaps.
@Suite struct GTIDSeekTests {
    /// A random set: runs of consecutive numbers with gaps, over a few origins.
    static func randomSet(_ rng: inout SimRandom, origins: Int = 3) -> GTIDSet {
        var s = GTIDSet()
        for _ in 0..<rng.below(12) {
            let origin = UInt32(rng.below(origins) + 1)
            let start = Int64(rng.below(400) + 1), length = Int64(rng.below(60))
            for n in start...(start + length) { s.insert(GTID(origin: origin, seq: n)) }
        }
        return s
    }

    /// Every GTID of a set, one by one (what the element-wise forms walked).
    static func elements(_ s: GTIDSet, origins: Int = 3) -> [GTID] {
        var out: [GTID] = []
        for o in 0...UInt32(origins + 1) {
            for n in Int64(0)...520 where s.contains(GTID(origin: o, seq: n)) { out.append(GTID(origin: o, seq: n)) }
        }
        return out
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func spanWiseOperationsMatchOneByOne(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        for _ in 0..<40 {
            let a = Self.randomSet(&rng), b = Self.randomSet(&rng)
            var oneByOne = a
            for g in Self.elements(b) { oneByOne.insert(g) }
            let u = a.union(b)
            #expect(u == oneByOne && u.description == oneByOne.description)
            #expect(a.isSubset(of: b) == Self.elements(a).allSatisfy { b.contains($0) })
            #expect(a.isSubset(of: u) && b.isSubset(of: u))
            for o in UInt32(0)...4 {
                let missing = Self.elements(a).filter { $0.origin == o && !b.contains($0) }.count
                #expect(a.missing(from: b, origin: o) == Int64(missing))
                let lo = Int64(rng.below(450)), hi = lo + Int64(rng.below(80))
                let first = (lo...hi).first { !b.contains(GTID(origin: o, seq: $0)) }
                #expect(b.firstMissing(origin: o, in: lo...hi) == first)
            }
        }
    }

    /// A log of runs (a failover starts a run of another origin; gaps where a GTID was skipped)
    /// long enough to be mostly packed: the seek from any start stops where the one-by-one
    /// check of the packed events stops.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func seekStopsWhereTheLoopStops(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var log = BinlogLog()
        var origin: UInt32 = 1, seq: Int64 = 1
        for i in 0..<9_000 {
            if rng.below(700) == 0 { origin = UInt32(rng.below(3) + 1); seq = Int64(rng.below(50) + 1) }
            if rng.below(300) == 0 { seq += Int64(rng.below(5) + 1) }
            let txid = Int64(i + 1)
            log.append(BinlogEvent(gtid: GTID(origin: origin, seq: seq), txid: txid,
                                   change: .insert(table: .orders, key: txid, row: Row(value: txid, txid: txid)),
                                   originalCommit: SimTime(i) * 1_000))
            seq += 1
        }
        // What a replica holds: most of the log, with holes.
        var held = GTIDSet()
        for i in 0..<log.count where rng.below(2_000) != 0 { held.insert(log[i].gtid) }
        for _ in 0..<40 {
            let start = rng.below(log.count + 1)
            var loop = start
            // The packed part ends where the first recent event is (the seek leaves those to the caller).
            let packedEnd = log.count - (log.count % BinlogLog.keepRecent) - BinlogLog.keepRecent
            while loop < packedEnd && held.contains(log[loop].gtid) { loop += 1 }
            #expect(log.skipPacked(heldIn: held, from: start) == loop, "start \(start)")
        }
        #expect(log.skipPacked(heldIn: GTIDSet(), from: 5) == 5)
    }
}
