import Testing
import HasimKernel
@testable import HasimDatabase

/// A dump stream's three-word messages (`BinlogStream`) rebuild every event exactly, and the
/// binary log's ring of whole events (`BinlogLog`) reads as an array through appends,
/// packings, truncations and copies.
@Suite struct BinlogStreamTests {
    /// A random event: mostly a client's insert or update following the last one (what fits
    /// three words), sometimes anything else (another origin, a GTID gap, values out of range,
    /// commit times going back or far ahead, group changes).
    private func event(after last: BinlogEvent?, _ rng: inout SimRandom, _ i: Int) -> BinlogEvent {
        let roll = rng.below(40)
        let lastGTID = last?.gtid ?? GTID(origin: 1, seq: 0)
        let gtid = roll == 0 ? GTID(origin: UInt32(rng.below(3)) + 1, seq: lastGTID.seq + 1)
            : roll == 1 ? GTID(origin: lastGTID.origin, seq: lastGTID.seq + Int64(rng.below(3)) + 2)
            : GTID(origin: lastGTID.origin, seq: lastGTID.seq + 1)
        let txid = roll == 2 ? -Int64(rng.below(5)) : roll == 3 ? Int64(1) << 57 + Int64(i) : Int64(rng.below(4)) << 40 | Int64(i)
        let key: Int64 = roll == 4 ? Int64(1) << 33 : roll == 5 ? -1 : Int64(i + 1)
        let table = Table.allCases[rng.below(3)]
        let update = rng.below(5) == 0
        let value: Int64 = update ? (roll == 6 ? Int64(1) << 32 : Int64(rng.below(100_000))) : (roll == 7 ? txid + 1 : txid)
        let rowTxid = roll == 8 ? txid - 1 : txid
        let change: RowChange = update ? .update(table: table, key: roll == 4 ? key : Int64(rng.below(10)), after: Row(value: value, txid: rowTxid))
            : .insert(table: table, key: key, row: Row(value: value, txid: rowTxid))
        let lastCommit = last?.originalCommit ?? 0
        let commit = roll == 9 ? lastCommit - 1 : roll == 10 ? lastCommit + Time.s(2_000) : lastCommit + Time.us(Int64(rng.below(3_000)))
        let lastGroup = last?.commitGroup ?? 0
        let group = roll == 11 ? lastGroup + Int64(1) << 24 : roll == 12 ? Int64(gtid.origin) << 40 | Int64(i) : lastGroup + Int64(rng.below(2))
        return BinlogEvent(gtid: gtid, txid: txid, change: change, originalCommit: commit, commitGroup: group)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func messagesRebuildTheEventsSent(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var sender = BinlogStream(), receiver = BinlogStream()
        var last: BinlogEvent?
        var index = rng.below(100)
        var packed = 0
        for i in 0..<20_000 {
            let e = event(after: last, &rng, i)
            last = e
            // Skips of up to 20 indices (a dump thread passes what the replica has).
            index += 1 + (rng.below(10) == 0 ? rng.below(20) : 0)
            let needsAck = rng.below(2) == 0
            let got: (event: BinlogEvent, index: Int, needsAck: Bool)
            if let m = sender.encode(e, index: index, needsAck: needsAck) {
                packed += 1
                got = receiver.decode(m)
            } else {
                sender.note(e, index: index)
                receiver.note(e, index: index)
                got = (e, index, needsAck)
            }
            if got.event != e || got.index != index || got.needsAck != needsAck {
                Issue.record("seed \(seed): message \(i) rebuilt \(got), sent \(e) at \(index)")
                return
            }
        }
        // Most events are a client's plain write following the last one: those go packed.
        #expect(packed > 10_000)
    }

    /// A client's insert and update, each following the last event of its origin, go in three
    /// words: a change that made them go whole (a malloc per message) fails here.
    @Test func aClientWriteFitsThreeWords() {
        var stream = BinlogStream()
        let txid = Int64(3) << 40 | 77
        let first = BinlogEvent(gtid: GTID(origin: 1, seq: 5), txid: txid,
                                change: .insert(table: .orders, key: 12, row: Row(value: txid, txid: txid)),
                                originalCommit: Time.s(3), commitGroup: 1 << 40 | 41)
        #expect(stream.encode(first, index: 4, needsAck: false) == nil)
        stream.note(first, index: 4)
        let insert = BinlogEvent(gtid: GTID(origin: 1, seq: 6), txid: txid + 1,
                                 change: .insert(table: .orders, key: 13, row: Row(value: txid + 1, txid: txid + 1)),
                                 originalCommit: Time.s(3) + Time.us(700), commitGroup: 1 << 40 | 42)
        #expect(stream.encode(insert, index: 5, needsAck: true) != nil)
        let update = BinlogEvent(gtid: GTID(origin: 1, seq: 7), txid: txid + 2,
                                 change: .update(table: .counters, key: 1, after: Row(value: 9, txid: txid + 2)),
                                 originalCommit: Time.s(3) + Time.ms(2), commitGroup: 1 << 40 | 42)
        #expect(stream.encode(update, index: 6, needsAck: false) != nil)
        #expect(MemoryLayout<BinlogEventMessage>.size <= 24 && _isPOD(BinlogEventMessage.self) && _isPOD(BinlogEvent.self))
    }

    /// The log against an array: appends past several packings, truncations into the whole
    /// events and into the packed ones, and copies kept while the original goes on (copy on write).
    @Test(arguments: [1, 2] as [UInt64])
    func binlogLogMatchesAnArray(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var log = BinlogLog(), plain: [BinlogEvent] = []
        var copies: [(BinlogLog, [BinlogEvent])] = []
        var last: BinlogEvent?
        var longest = 0
        for i in 0..<20_000 {
            switch rng.below(2_000) {
            case 0:
                // Within the whole events, or back into the packed ones.
                let n = max(0, log.count - (rng.below(2) == 0 ? rng.below(300) : rng.below(3_000)))
                log.truncate(to: n)
                plain.removeSubrange(n...)
            case 1, 2:
                copies.append((log, plain))
            default:
                break
            }
            let e = event(after: last, &rng, i)
            last = e
            log.append(e)
            plain.append(e)
            #expect(log.count == plain.count)
            longest = max(longest, plain.count)
            if i % 1_009 == 0 {
                for (j, x) in plain.enumerated() where log[j] != x { Issue.record("seed \(seed): event \(j) reads \(log[j])"); return }
            }
        }
        #expect(longest > 4 * BinlogLog.keepRecent, "the test must pack several times")
        #expect(Array(log) == plain)
        for (copy, events) in copies { #expect(Array(copy) == events) }
    }
}
