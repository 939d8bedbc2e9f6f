import Testing
import HasimKernel
@testable import HasimDatabase

/// The Galera node's hash-free tables (certification index, row locks, local transactions) must
/// answer exactly as the dictionaries they replaced: same random operations on both, same answers.
@Suite struct GaleraIndexTests {
    /// Keys as the workloads make them (dense, strided by auto_increment_increment, a few far
    /// out or not positive, some spread over thousands of rows) so both the arrays and the
    /// dictionary fallback are exercised.
    private func key(_ rng: inout SimRandom) -> CertKey {
        let table = UInt8(rng.next() % 3)
        switch rng.next() % 10 {
        case 0: return CertKey(table: table, key: Int64(rng.next() % 4) - 2)
        case 1: return CertKey(table: table, key: 1_000_000 + Int64(rng.next() % 50))
        // Over several of the row index's pages.
        case 2: return CertKey(table: table, key: 1 + Int64(rng.next() % 20_000))
        default: return CertKey(table: table, key: 1 + 3 * Int64(rng.next() % 300))
        }
    }

    /// Strides 1 (dense), 3 (the workload's own: one residue written) and 2 and 5 (keys of another
    /// stride than the layout's: every residue's pages).
    @Test(arguments: [(UInt64(1), Int64(1)), (2, 3), (3, 3), (4, 2), (5, 5)])
    func rowIndexAndLockTableMatchADictionary(seed: UInt64, stride: Int64) {
        var rng = SimRandom(seed: seed)
        var index = GaleraRowIndex(stride: stride)
        var locks = GaleraLockTable()
        var reference: [CertKey: Int64] = [:]
        for _ in 0..<20_000 {
            let k = key(&rng)
            if rng.next() % 3 == 0 {
                index[k] = GaleraRowIndex.none
                locks[k] = GaleraRowIndex.none
                reference[k] = nil
            } else {
                // Mostly small packed entries; some too wide for the row index's 32-bit slots
                // (and its two reserved slot values).
                let wide: [Int64] = [Int64(1) << 40, Int64(Int32.min), Int64(Int32.min) + 1, Int64(Int32.max) + 1, -(Int64(1) << 33)]
                let v = rng.next() % 8 == 0 ? wide[Int(rng.next() % 5)] : Int64(rng.next() % 1000) - 1
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

    /// The gcache's oldest seqno, against the array of seqnos it replaced (append, drop the head
    /// past the capacity), through resets and capacities down to none.
    @Test(arguments: [0, 1, 5, 64])
    func gcacheHoldsWhatTheArrayHeld(capacity: Int) {
        var rng = SimRandom(seed: UInt64(capacity) + 1)
        var gcache = GaleraGCache()
        var reference: [Int64] = []
        var next: Int64 = 1
        for _ in 0..<2_000 {
            if rng.next() % 100 == 0 {
                // A crash or a state transfer: the cache empties and seqnos jump.
                gcache.removeAll(); reference.removeAll()
                next = Int64(rng.next() % 1000) - 1
            }
            gcache.append(next, capacity: capacity)
            reference.append(next)
            if reference.count > capacity { reference.removeFirst() }
            next += 1
            #expect(gcache.from(next: next) == (reference.first ?? next))
            #expect(gcache.count == reference.count)
        }
    }

    @Test func peerTimesKeepOneTimePerPeer() {
        let times = PeerTimes()
        #expect(times.count == 0)
        times.reset(count: 3, to: -1)
        #expect((0..<3).map { times[$0] } == [-1, -1, -1])
        times[1] = 42
        #expect((0..<3).map { times[$0] } == [-1, 42, -1])
        // A new cluster list starts every peer again.
        times.reset(count: 5, to: 7)
        #expect(times.count == 5 && (0..<5).allSatisfy { times[$0] == 7 })
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
