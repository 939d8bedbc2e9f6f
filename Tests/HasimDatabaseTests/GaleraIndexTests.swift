import Testing
import HasimKernel
@testable import HasimDatabase

/// The Galera node's hash-free tables (certification index, row locks, local transactions) must
/// answer exactly as the dictionaries they replaced: same random operations on both, same answers.
@Suite struct GaleraIndexTests {
    /// Keys as the workloads make them (dense, strided by auto_increment_increment, a few far
    /// out or not positive) so both the arrays and the dictionary fallback are exercised.
    private func key(_ rng: inout SimRandom) -> CertKey {
        let table = UInt8(rng.next() % 3)
        switch rng.next() % 10 {
        case 0: return CertKey(table: table, key: Int64(rng.next() % 4) - 2)
        case 1: return CertKey(table: table, key: 1_000_000 + Int64(rng.next() % 50))
        default: return CertKey(table: table, key: 1 + 3 * Int64(rng.next() % 300))
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func rowIndexAndLockTableMatchADictionary(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var index = GaleraRowIndex()
        var locks = GaleraLockTable()
        var reference: [CertKey: Int64] = [:]
        for _ in 0..<20_000 {
            let k = key(&rng)
            if rng.next() % 3 == 0 {
                index[k] = GaleraRowIndex.none
                locks[k] = GaleraRowIndex.none
                reference[k] = nil
            } else {
                let v = Int64(rng.next() % 1000) - 1
                index[k] = v
                locks[k] = v
                reference[k] = v
            }
            let probe = key(&rng)
            #expect(index[probe] == (reference[probe] ?? GaleraRowIndex.none))
            #expect(locks[probe] == (reference[probe] ?? GaleraRowIndex.none))
        }
        for (k, v) in reference {
            #expect(index[k] == v)
            #expect(locks[k] == v)
        }
        // Removing everything one by one leaves no entry behind (the lock table's backward shift).
        for k in reference.keys.sorted(by: { ($0.table, $0.key) < ($1.table, $1.key) }) { locks[k] = GaleraRowIndex.none }
        for k in reference.keys { #expect(locks[k] == GaleraRowIndex.none) }
    }

    @Test func certEntryPacksSeqnoAndOrigin() {
        for (seqno, origin) in [(Int64(-1), 0), (0, 63), (1, 2), (Int64(1) << 50, 5)] {
            let e = CertEntry(packed: CertEntry(seqno: seqno, origin: origin).packed)
            #expect(e.seqno == seqno && e.origin == origin)
            #expect(CertEntry(seqno: seqno, origin: origin).packed != GaleraRowIndex.none)
        }
    }

    @Test func acksAndGapMessagesFitAnExistentialsInlineBuffer() {
        // Three words: larger messages get a heap box each time they are sent.
        #expect(MemoryLayout<GAck>.size <= 24)
        #expect(MemoryLayout<GSafe>.size <= 24)
        #expect(MemoryLayout<WriteSet>.stride == 32)
    }
}
