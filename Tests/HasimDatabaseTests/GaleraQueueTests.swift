import Testing
import HasimKernel
@testable import HasimDatabase

/// The Galera node's session-17 structures: the packed write-set message must carry every field
/// unchanged (or refuse, so the wide message is sent), and the plain buffer (pending and
/// replicating write-sets) and slot table (commit bursts) must answer as the arrays they replaced
/// under the same operations.
@Suite struct GaleraQueueTests {
    private func ws(origin: Int, table: Table, key: Int64, isInsert: Bool, txid: Int64, dependsOn: Int64) -> WriteSet {
        WriteSet(origin: origin, table: table, key: key, isInsert: isInsert, txid: txid, dependsOn: dependsOn)
    }

    private func same(_ a: WriteSet, _ b: WriteSet) -> Bool {
        a.origin == b.origin && a.table == b.table && a.key == b.key && a.isInsert == b.isInsert
            && a.txid == b.txid && a.dependsOn == b.dependsOn
    }

    @Test func packedWriteSetFitsAnExistentialsInlineBuffer() {
        #expect(MemoryLayout<GPackedWriteSet>.size <= 24)
    }

    @Test func packedWriteSetCarriesEveryFieldUnchanged() {
        var rng = SimRandom(seed: 17)
        let tables = Table.allCases
        let edges: [(t: Int64, key: Int64, txid: Int64, dependsOn: Int64)] = [
            (0, 0, 0, 0), (1 << 48 - 1, Int64(UInt32.max), Int64.max, Int64(Int32.max)),
            (1, 1, Int64.min, Int64(Int32.min)), (12_345, 3, 7 << 40 | 99, -1),
        ]
        var cases = edges
        for _ in 0..<2_000 {
            cases.append((Int64(rng.next() % (1 << 48)), Int64(rng.next() % (1 << 32)),
                          Int64(bitPattern: rng.next()), Int64(rng.next() % (1 << 32)) - (1 << 31)))
        }
        for (n, c) in cases.enumerated() {
            let origin = n % 64
            let w = ws(origin: origin, table: tables[n % tables.count], key: c.key, isInsert: n % 2 == 0,
                       txid: c.txid, dependsOn: c.dependsOn)
            let stamp = Stamp(t: c.t, origin: origin)
            guard let p = GPackedWriteSet(stamp: stamp, ws: w) else {
                Issue.record("case \(n) should fit"); continue
            }
            #expect(p.stamp == stamp)
            #expect(same(p.ws, w))
        }
    }

    @Test func packedWriteSetRefusesWhatDoesNotFit() {
        let w = ws(origin: 2, table: .orders, key: 5, isInsert: true, txid: 9, dependsOn: 4)
        #expect(GPackedWriteSet(stamp: Stamp(t: 1 << 48, origin: 2), ws: w) == nil)
        #expect(GPackedWriteSet(stamp: Stamp(t: -1, origin: 2), ws: w) == nil)
        #expect(GPackedWriteSet(stamp: Stamp(t: 1, origin: 3), ws: w) == nil)  // another origin
        var big = w; big.key = Int64(UInt32.max) + 1
        #expect(GPackedWriteSet(stamp: Stamp(t: 1, origin: 2), ws: big) == nil)
        var negative = w; negative.key = -1
        #expect(GPackedWriteSet(stamp: Stamp(t: 1, origin: 2), ws: negative) == nil)
        var far = w; far.dependsOn = Int64(Int32.max) + 1
        #expect(GPackedWriteSet(stamp: Stamp(t: 1, origin: 2), ws: far) == nil)
        var below = w; below.dependsOn = Int64(Int32.min) - 1
        #expect(GPackedWriteSet(stamp: Stamp(t: 1, origin: 2), ws: below) == nil)
        #expect(GPackedWriteSet(stamp: Stamp(t: 1, origin: 2), ws: w) != nil)
    }

    @Test func pendingBufferAnswersAsAnArray() {
        var rng = SimRandom(seed: 5)
        let buffer = PlainBuffer<PendingWriteSet>()
        var array: [PendingWriteSet] = []
        func entry(_ n: Int) -> PendingWriteSet {
            PendingWriteSet(stamp: Stamp(t: Int64(n), origin: n % 3),
                            ws: ws(origin: n % 3, table: .counters, key: Int64(n), isInsert: false, txid: Int64(n), dependsOn: 0),
                            receivedBy: UInt64(n % 8))
        }
        for n in 0..<20_000 {
            switch rng.next() % 10 {
            case 0...4:
                let i = array.isEmpty ? 0 : Int(rng.next() % UInt64(array.count + 1))
                buffer.insert(entry(n), at: i)
                array.insert(entry(n), at: i)
            case 5, 6:
                if !array.isEmpty {
                    let i = Int(rng.next() % UInt64(array.count))
                    let bits = UInt64(1) << (rng.next() % 64)
                    buffer.update(i) { $0.receivedBy |= bits }
                    array[i].receivedBy |= bits
                }
            case 7:
                if rng.next() % 2 == 0 {
                    let k = array.isEmpty ? 0 : Int(rng.next() % UInt64(array.count + 1))
                    buffer.removeFirst(k)
                    array.removeFirst(k)
                } else if !array.isEmpty {
                    let i = Int(rng.next() % UInt64(array.count))
                    buffer.remove(at: i)
                    array.remove(at: i)
                }
            case 8:
                if rng.next() % 20 == 0 {
                    let keep = rng.next() % 2 == 0
                    buffer.removeAll(keepingCapacity: keep)
                    array.removeAll()
                }
            default:
                let i = array.isEmpty ? 0 : Int(rng.next() % UInt64(array.count + 1))
                #expect(buffer.suffix(from: i).map(\.stamp) == array[i...].map(\.stamp))
            }
            #expect(buffer.count == array.count)
            #expect(buffer.isEmpty == array.isEmpty)
            if !array.isEmpty {
                let i = Int(rng.next() % UInt64(array.count))
                #expect(buffer[i].stamp == array[i].stamp && buffer[i].receivedBy == array[i].receivedBy)
                #expect(same(buffer[i].ws, array[i].ws))
            }
        }
    }

    @Test func slotTableReusesTheLastFreedSlotAsTheArrayAndFreeListDid() {
        var rng = SimRandom(seed: 9)
        var slots = SlotTable<Stamp>()
        var values: [Stamp] = []
        var free: [Int] = []
        var live: [Int] = []
        for n in 0..<10_000 {
            if live.isEmpty || rng.next() % 3 != 0 {
                let v = Stamp(t: Int64(n), origin: n % 5)
                let expected: Int
                if let f = free.popLast() { expected = f; values[f] = v } else { expected = values.count; values.append(v) }
                #expect(slots.store(v) == expected)
                live.append(expected)
            } else {
                let s = live.remove(at: Int(rng.next() % UInt64(live.count)))
                #expect(slots.take(s) == values[s])
                free.append(s)
            }
            #expect(slots.count == values.count)
        }
        var ints = [4, 7]
        #expect(ints.popFreeSlot() == 7 && ints.popFreeSlot() == 4 && ints.popFreeSlot() == nil)
    }

    /// Certification's one-lookup read and write (`GaleraRowIndex.replace`) against the
    /// subscript's read then write, on a dictionary: keys dense, strided, new past the end (an
    /// insert's), far out and not positive; values narrow and too wide for a slot.
    @Test(arguments: [(UInt64(1), Int64(1)), (2, 3), (3, 2)])
    func rowIndexReplaceMatchesReadThenWrite(seed: UInt64, stride: Int64) {
        var rng = SimRandom(seed: seed)
        var index = GaleraRowIndex(stride: stride)
        var reference: [CertKey: Int64] = [:]
        var next: [Int64] = [1, 1, 1]
        for n in 0..<20_000 {
            let table = UInt8(rng.next() % 3)
            let key: Int64
            switch rng.next() % 6 {
            case 0: key = Int64(rng.next() % 4) - 2
            case 1: key = 1_000_000 + Int64(rng.next() % 50)
            case 2, 3: key = next[Int(table)]; next[Int(table)] += stride
            default: key = 1 + Int64(rng.next() % UInt64(max(1, next[Int(table)])))
            }
            let k = CertKey(table: table, key: key)
            let v = rng.next() % 10 == 0 ? Int64(1) << 40 : Int64(n)
            let bound = Int64(rng.next() % 20_000)
            var seen: Int64?
            let accepted = index.replace(k, with: v) { old in seen = old; return old == GaleraRowIndex.none || old <= bound }
            let old = reference[k] ?? GaleraRowIndex.none
            #expect(seen == old)
            #expect(accepted == (old == GaleraRowIndex.none || old <= bound))
            if accepted { reference[k] = v }
            let probe = CertKey(table: UInt8(rng.next() % 3), key: 1 + Int64(rng.next() % 2_000))
            #expect(index[probe] == (reference[probe] ?? GaleraRowIndex.none))
        }
        for (k, v) in reference { #expect(index[k] == v) }
    }

    @Test func peerValuesHoldStamps() {
        let safe = PeerValues<Stamp>()
        safe.reset(count: 3, to: .zero)
        #expect((0..<3).allSatisfy { safe[$0] == .zero })
        safe[2] = Stamp(t: 9, origin: 1)
        #expect(safe[2] == Stamp(t: 9, origin: 1) && safe[1] == .zero)
        safe.reset(count: 4, to: Stamp(t: 1, origin: 0))
        #expect(safe.count == 4 && (0..<4).allSatisfy { safe[$0] == Stamp(t: 1, origin: 0) })
    }
}
