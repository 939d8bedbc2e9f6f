import Testing
import HasimKernel
@testable import HasimDatabase
import HasimWorkload

/// The compact forms of a server's state that only grows (issue 15, item 6) behave exactly as
/// the hash set and dictionary they replace: the same random operations on both give the same
/// answers. Each check names what it would catch.
@Suite struct CompactStateTests {
    /// Random inserts and removals, mostly near the newest ids (as commits arrive), some far back.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func txidSetMatchesASet(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var set = TxidSet(), reference = Set<Int64>()
        var next: Int64 = 1
        for _ in 0..<20_000 {
            let roll = rng.below(10)
            let id: Int64 = roll < 7 ? next + Int64(rng.below(8)) - 4 : Int64(rng.below(Int(next) + 1))
            if roll == 9 {
                set.remove(id)
                reference.remove(id)
            } else {
                #expect(set.insert(id) == reference.insert(id).inserted)
            }
            next += Int64(rng.below(2))
            #expect(set.count == reference.count)
        }
        for id in -5...(next + 5) where set.contains(id) != reference.contains(id) {
            Issue.record("seed \(seed): \(id) is \(set.contains(id) ? "" : "not ")in the set")
        }
        let other = TxidSet(reference.filter { $0 % 3 != 0 })
        #expect(set.subtracting(other).count == reference.filter { $0 % 3 == 0 }.count)
        // One form per set: the same ids inserted in another order compare equal.
        #expect(TxidSet(reference.sorted().reversed()) == set)
    }

    /// Ranges, not ids: a run of 100,000 consecutive commits is one range (a flip of the
    /// in-place extension of the last range would still pass the matching test above).
    @Test func consecutiveIdsAreOneRange() {
        var set = TxidSet()
        for id in 1...Int64(100_000) { set.insert(id) }
        #expect(set.description == "1-100000")
        set.remove(500)
        #expect(set.description == "1-499,501-100000")
        set.insert(500)
        #expect(set.description == "1-100000")
    }

    /// Rows by key: dense keys, keys past the reach of the array (kept aside, then taken into
    /// it once the array reaches them), negative keys, deletions (crash recovery's rollback).
    @Test(arguments: [1, 2] as [UInt64])
    func rowTableMatchesADictionary(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var table = RowTable(), reference: [Int64: Row] = [:]
        var top: Int64 = 0
        for step in 0..<30_000 {
            let key: Int64
            switch rng.below(20) {
            case 0: key = top + 70_000 + Int64(rng.below(1_000))  // beyond the array's reach
            case 1: key = -Int64(rng.below(5))
            case 2...4: key = Int64(rng.below(Int(top) + 1))
            default: top += 1 + Int64(rng.below(3)); key = top  // auto_increment_increment up to 3
            }
            if rng.below(10) == 0 {
                table[key] = nil
                reference[key] = nil
            } else {
                // Mostly inserted rows (value = txid), some counted-up rows (value != txid):
                // the table keeps a value apart only for those.
                let row = Row(value: step % 3 == 0 ? Int64(step) * 7 + 1 : Int64(step), txid: Int64(step))
                table[key] = row
                reference[key] = row
            }
            #expect(table.count == reference.count)
        }
        #expect(table.keys == reference.keys.sorted())
        #expect(table.maxKey == (reference.keys.max() ?? 0))
        for key in reference.keys.sorted() where table[key] != reference[key] {
            Issue.record("seed \(seed): row \(key) differs")
        }
    }

    /// A ledger entry names its server by an interned index: 40 bytes, the name read back as
    /// it was given, and equal entries exactly when their names are.
    @Test func ledgerEntriesNameTheirServerCompactly() {
        #expect(MemoryLayout<LedgerEntry>.stride == 40)
        func entry(_ server: String) -> LedgerEntry {
            LedgerEntry(txid: 9, table: .orders, isInsert: true, key: 4, issuedAt: 1, ackedAt: 2,
                        ackedBy: server, isProbe: false, group: 3)
        }
        var a = entry("ledger-test-db1")
        let b = entry("ledger-test-db2")
        #expect(a.ackedBy == "ledger-test-db1" && b.ackedBy == "ledger-test-db2")
        #expect(a != b)
        #expect(a == entry("ledger-test-db1"))
        a.ackedBy = "ledger-test-db2"
        #expect(a == b && a.group == 3)
    }

    /// A transaction is shared by every log that holds it, yet equality is by value.
    @Test func binlogEventsCompareByValue() {
        let change = RowChange.insert(table: .orders, key: 7, row: Row(value: 1, txid: 1))
        let a = BinlogEvent(gtid: GTID(origin: 1, seq: 1), txid: 1, change: change, originalCommit: 5)
        let b = BinlogEvent(gtid: GTID(origin: 1, seq: 1), txid: 1, change: change, originalCommit: 5)
        let c = BinlogEvent(gtid: GTID(origin: 1, seq: 1), txid: 1, change: change, originalCommit: 5, commitGroup: 2)
        #expect(a == b)
        #expect(a != c)
    }
}
