import Testing
import HasimKernel
@testable import HasimDatabase
@testable import HasimWorkload

/// The packed forms of what grows with every acknowledged write (issue 15: the binlog record,
/// the binlog's write times, the ledger) read back exactly what the plain forms held: the same
/// random appends, truncations and purges on both give the same answers.
@Suite struct CompactLogTests {
    /// Mostly what a client's insert commits, sometimes anything else: updates with a
    /// counted-up value, keys out of 56 bits or negative, groups out of 32 bits.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func binlogEventsReadBackAsGiven(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        for i in 0..<20_000 {
            let txid = Int64(rng.below(4)) << 40 | Int64(i)
            let roll = rng.below(12)
            let key: Int64 = roll == 0 ? -Int64(rng.below(3)) : roll == 1 ? Int64(1) << 57 + Int64(i) : Int64(i + 1)
            let table = Table.allCases[rng.below(3)]
            let value = roll == 2 ? txid + 1 : txid
            let rowTxid = roll == 3 ? txid - 1 : txid
            let change: RowChange = rng.below(4) == 0 ? .update(table: table, key: key, after: Row(value: value, txid: rowTxid))
                : .insert(table: table, key: key, row: Row(value: value, txid: rowTxid))
            let group: Int64 = roll == 4 ? Int64(Int32.max) + Int64(rng.below(3)) : roll == 5 ? -Int64(rng.below(9)) : Int64(rng.below(1000))
            let gtid = GTID(origin: UInt32(rng.below(5)) * 1_000_000_000, seq: Int64(rng.below(1 << 20)) - 8)
            let at = SimTime(rng.below(1 << 30)) * 1_000
            let e = BinlogEvent(gtid: gtid, txid: txid, change: change, originalCommit: at, commitGroup: group)
            #expect(e.gtid == gtid && e.txid == txid && e.change == change && e.originalCommit == at && e.commitGroup == group)
        }
    }

    /// Instants mostly a few µs apart, some seconds apart (beyond a delta's 4.29 s), some
    /// earlier than the last; truncations and clears between.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func timeColumnMatchesAnArray(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var column = TimeColumn(), plain: [SimTime] = []
        var now: SimTime = 0
        for step in 0..<30_000 {
            switch rng.below(100) {
            case 0: column.truncate(to: rng.below(column.count + 1)); plain.removeSubrange(column.count...)
            case 1 where step % 7 == 0: column.removeAll(); plain.removeAll()
            case 2...4: now += Time.s(Int64(3 + rng.below(5)))
            case 5: now -= Time.ms(Int64(rng.below(100)))
            default: now += Time.us(Int64(rng.below(2_000)))
            }
            if step % 50 == 0 {
                // A batch, as a packed binlog's commit times (across blocks and chunks).
                let batch = (0..<rng.below(400)).map { SimTime($0) * Time.us(Int64(rng.below(900))) + now }
                batch.withUnsafeBufferPointer { column.append(contentsOf: $0) }
                plain.append(contentsOf: batch)
            }
            column.append(now)
            plain.append(now)
            #expect(column.count == plain.count)
            if step % 97 == 0 {
                for (i, t) in plain.enumerated() where column[i] != t { Issue.record("seed \(seed): entry \(i) reads \(column[i]), not \(t)"); break }
            }
        }
        for (i, t) in plain.enumerated() where column[i] != t { Issue.record("seed \(seed): entry \(i) reads \(column[i]), not \(t)"); break }
        var copy = TimeColumn()
        for t in plain { copy.append(t) }
        #expect(copy == column)
    }

    /// Forgetting the instants below an index (a binlog's write times once on disk) frees
    /// whole chunks only, keeps the count and the indices; the entries still held read as
    /// given through appends, more forgetting and truncations, some cutting into freed chunks.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func timeColumnForgetsWholeChunks(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var column = TimeColumn(), plain: [SimTime] = []
        var now: SimTime = 0
        let chunk = 1 << 14
        var forgot = 0, cutIntoForgotten = 0
        func check(_ step: Int) {
            for i in column.forgotten..<plain.count where column[i] != plain[i] {
                Issue.record("seed \(seed) step \(step): entry \(i) reads \(column[i]), not \(plain[i])")
                return
            }
        }
        for step in 0..<150_000 {
            switch rng.below(10_000) {
            case 0..<2 where !plain.isEmpty:
                // A power loss's cut of the tail; one in four falls below what was forgotten.
                let n = column.forgotten > 0 && rng.below(4) == 0 ? rng.below(column.forgotten)
                    : max(0, plain.count - rng.below(3_000))
                if n < column.forgotten { cutIntoForgotten += 1 }
                column.truncate(to: n)
                plain.removeSubrange(n...)
                #expect(column.forgotten <= n)
            case 3..<12:
                // Mostly all but the newest (as a binlog lets go of what is on disk), at times anywhere.
                let before = column.forgotten
                let n = rng.below(4) == 0 ? rng.below(plain.count + 1) : max(0, plain.count - rng.below(20_000))
                column.forget(before: n)
                #expect(column.forgotten == max(before, n / chunk * chunk))
                if column.forgotten > before { forgot += 1 }
            default:
                now += rng.below(50) == 0 ? Time.s(5) : Time.us(Int64(rng.below(2_000)))
                column.append(now)
                plain.append(now)
            }
            #expect(column.count == plain.count)
            if step % 4_999 == 0 { check(step) }
        }
        check(-1)
        #expect(forgot >= 2 && cutIntoForgotten > 0, "the test must free chunks and cut into them")
    }

    /// Storage's binlog: random commits (inserts, updates with a counted-up value or keys and
    /// values past 32 bits, GTIDs of another origin or out of sequence), power-loss truncations of the recent tail and, now
    /// and then, deep into the packed events, purges; the events, their write times and
    /// gtid_executed against plain arrays.
    @Test(arguments: [1, 2] as [UInt64])
    func storageBinlogMatchesPlainArrays(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var storage = Storage()
        var events: [BinlogEvent] = [], times: [SimTime] = []
        var now: SimTime = 0, seq: Int64 = 0, origin: UInt32 = 1
        for step in 0..<20_000 {
            let roll = rng.below(1_000)
            if roll < 20 || roll == 20 && step % 3 == 0 {
                let n = roll < 20 ? max(0, events.count - rng.below(20)) : events.count / 2 + rng.below(events.count / 2 + 1)
                storage.truncateBinlog(to: n)
                events.removeSubrange(n...)
                times.removeSubrange(n...)
            } else if roll < 40 {
                storage.purgeBinlog(before: rng.below(events.count + 1))
            } else {
                now += rng.below(30) == 0 ? Time.s(5) : Time.us(Int64(rng.below(3_000)))
                if roll < 45 { origin = UInt32(1 + rng.below(3)) }
                seq += roll < 50 ? Int64(2 + rng.below(5)) : 1
                let txid = Int64(origin) << 40 | Int64(step)
                // A fifth are updates (more than 8 in most blocks of 64): hot keys with counted-up
                // values, and keys or values past 32 bits, negative values, another row txid.
                let change: RowChange
                if roll < 250 {
                    let key: Int64 = roll < 60 ? Int64(1) << 33 + Int64(rng.below(5)) : Int64(1 + rng.below(100))
                    let value: Int64 = roll < 80 ? -1 - Int64(rng.below(3)) : roll < 100 ? Int64(1) << 40 : seq * 3
                    change = .update(table: .counters, key: key, after: Row(value: value, txid: roll < 110 ? txid - 1 : txid))
                } else {
                    change = .insert(table: .orders, key: Int64(step), row: Row(value: txid, txid: txid))
                }
                let e = BinlogEvent(gtid: GTID(origin: origin, seq: seq), txid: txid, change: change, originalCommit: now,
                                    commitGroup: Int64(step / 3))
                storage.markExecuted(e.gtid)
                storage.appendBinlog(e, at: now)
                events.append(e)
                times.append(now)
            }
            #expect(storage.binlog.count == events.count && storage.binlogWrittenAt.count == times.count)
        }
        #expect(events.count > 2 * BinlogLog.keepRecent, "the test must reach the packed events")
        #expect(Array(storage.binlog) == events)
        #expect((0..<times.count).allSatisfy { storage.binlogWrittenAt[$0] == times[$0] })
        var executed = GTIDSet()
        for e in events { executed.insert(e.gtid) }
        #expect(storage.gtidExecuted == executed)
    }

    /// The ledger by column against an array of entries: keys and latencies out of 32 bits
    /// (negative, huge), several servers, groups and clients' txid bases, probes, updates.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func ledgerMatchesAnArray(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var ledger = Ledger(), plain: [LedgerEntry] = []
        let servers = ["ledger-col-db1", "ledger-col-db2", "ledger-col-db3"]
        var now: SimTime = 0
        for i in 0..<20_000 {
            now += Time.us(Int64(rng.below(2_000)))
            let roll = rng.below(20)
            let latency: SimTime = roll == 0 ? Time.s(Int64(5 + rng.below(20))) : roll == 1 ? -Time.ms(1) : Time.us(Int64(rng.below(50_000)))
            let key: Int64 = roll == 2 ? Int64(1) << 33 + Int64(i) : roll == 3 ? -Int64(rng.below(4)) : Int64(i)
            let client = Int64(rng.below(3))
            let e = LedgerEntry(txid: client << 40 | Int64(i) | (roll == 4 ? Int64(1) << 35 : 0), table: Table.allCases[rng.below(3)],
                                isInsert: rng.below(5) != 0, key: key, issuedAt: now - latency, ackedAt: now,
                                ackedBy: servers[rng.below(3)], isProbe: rng.below(50) == 0, group: Int(client))
            ledger.append(e)
            plain.append(e)
        }
        #expect(ledger.count == plain.count)
        for (i, e) in plain.enumerated() where ledger[i] != e { Issue.record("seed \(seed): entry \(i) reads \(ledger[i]), not \(e)"); break }
        #expect(Array(ledger) == plain)
        // In order by the iterator (running counts), as by the subscript (counted per block).
        #expect(Array(IteratorSequence(ledger.makeIterator())) == plain)
        #expect(Array(ledger.lazy.filter { !$0.isInsert }) == plain.filter { !$0.isInsert })
        #expect(Ledger(plain) == ledger)
        func byTxid(_ a: LedgerEntry, _ b: LedgerEntry) -> Bool { (a.txid, a.ackedAt) < (b.txid, b.ackedAt) }
        ledger.sort(by: byTxid)
        #expect(Array(ledger) == plain.sorted(by: byTxid))
    }

    /// Txids by index in a byte: values climbing with the index (a client's inserts), others
    /// apart (several clients 2^40 apart, the ends of Int64, distances just past a byte), blocks
    /// with so many apart that they go wide, vacant slots, rewrites, appends past the end and
    /// truncations, against an array. `spread`: how often a value is not near base + index
    /// (1 in 40: mostly apart; 1 in 3: blocks go wide).
    @Test(arguments: [(1, 40), (2, 40), (3, 40), (4, 3), (5, 8)] as [(UInt64, Int)])
    func denseTxidsMatchAnArray(seed: UInt64, spread: Int) {
        var rng = SimRandom(seed: seed)
        var dense = DenseTxids(), plain: [Int64] = []
        var next: Int64 = 1
        func value() -> Int64 {
            switch rng.below(spread) {
            case 0: return DenseTxids.vacant
            case 1: return Int64(1 + rng.below(3)) << 40 | next
            case 2: return rng.below(2) == 0 ? Int64.max - Int64(rng.below(3)) : Int64.min + 1 + Int64(rng.below(3))
            default:
                next += Int64(rng.below(3))
                // Mostly within a byte of the climb, sometimes just past it (±126…127).
                return rng.below(50) == 0 ? next + (rng.below(2) == 0 ? 128 : -127) : next + Int64(rng.below(60)) - 30
            }
        }
        for _ in 0..<40_000 {
            switch rng.below(30) {
            case 0 where !plain.isEmpty:
                let n = rng.below(plain.count + 1)
                dense.truncate(to: n)
                plain.removeSubrange(n...)
            case 1...6 where !plain.isEmpty:
                let i = rng.below(plain.count)
                let v = value()
                dense[i] = v
                plain[i] = v
            case 7:
                // A batch, as a packed binlog's columns take them (across blocks and chunks).
                let batch = (0..<rng.below(300)).map { _ in value() }
                batch.withUnsafeBufferPointer { dense.append(contentsOf: $0) }
                plain.append(contentsOf: batch)
            default:
                let v = value()
                dense.append(v)
                plain.append(v)
            }
            #expect(dense.count == plain.count)
        }
        for (i, v) in plain.enumerated() where dense[i] != v { Issue.record("seed \(seed): index \(i) reads \(dense[i]), not \(v)"); break }
    }
}

/// The columns grown by chunks against an array, across chunk boundaries: appends, rewrites,
/// truncations (to a boundary, inside a chunk, to nothing) and clears.
@Suite struct ChunkedColumnTests {
    @Test(arguments: [1, 2] as [UInt64])
    func chunkedMatchesAnArray(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var column = Chunked<UInt32>(), plain: [UInt32] = []
        let chunk = 1 << 14
        for step in 0..<120_000 {
            switch rng.below(20_000) {
            case 0:
                let n = rng.below(3) == 0 ? plain.count / chunk * chunk : rng.below(plain.count + 1)
                column.truncate(to: n)
                plain.removeSubrange(n...)
            case 1 where step % 5 == 0:
                column.removeAll()
                plain.removeAll()
            case 2...400 where !plain.isEmpty:
                let i = rng.below(plain.count), v = UInt32(truncatingIfNeeded: rng.below(1 << 30))
                column[i] = v
                plain[i] = v
            case 401...440:
                // A batch copied in at once (across chunk boundaries).
                let batch = (0..<rng.below(3_000)).map { UInt32(step &+ $0) }
                batch.withUnsafeBufferPointer { column.append(contentsOf: $0) }
                plain.append(contentsOf: batch)
            default:
                let v = UInt32(step)
                column.append(v)
                plain.append(v)
            }
            #expect(column.count == plain.count)
        }
        // Past two chunks whatever the truncations left, so the cuts below cross boundaries.
        while plain.count <= 2 * chunk + 5 {
            column.append(UInt32(plain.count))
            plain.append(UInt32(plain.count))
        }
        #expect(Array(column) == plain)
        for n in [2 * chunk + 5, 2 * chunk, chunk - 1] where n < plain.count {
            column.truncate(to: n)
            plain.removeSubrange(n...)
            column.append(7)
            plain.append(7)
            #expect(Array(column) == plain)
        }
        var copy = Chunked<UInt32>()
        for v in plain { copy.append(v) }
        #expect(copy == column)
    }

    /// Chunks freed below an index: the count stays, later entries keep their indices and
    /// values; a truncation into a freed chunk leaves appends at their index.
    @Test func forgottenChunksAreFreedAndIndicesKept() {
        var column = Chunked<UInt32>()
        let chunk = 1 << 14
        for v in 0..<UInt32(3 * chunk + 10) { column.append(v) }
        column.forget(before: 2 * chunk + 7, filler: 0)
        #expect(column.forgotten == 2 * chunk && column.count == 3 * chunk + 10)
        #expect((2 * chunk..<column.count).allSatisfy { column[$0] == UInt32($0) })
        column.forget(before: chunk, filler: 0)
        #expect(column.forgotten == 2 * chunk, "forgetting never goes back")
        column.truncate(to: chunk + 5)
        #expect(column.forgotten == chunk + 5 && column.count == chunk + 5)
        for v in UInt32(chunk + 5)..<UInt32(2 * chunk + 3) { column.append(v) }
        #expect((chunk + 5..<column.count).allSatisfy { column[$0] == UInt32($0) })
        column.removeAll()
        column.append(9)
        #expect(column.forgotten == 0 && Array(column) == [9])
    }
}
