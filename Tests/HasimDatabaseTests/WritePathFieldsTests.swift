import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase

/// The write path reads a query's and an answer's fields straight off the packed messages, and
/// a table keeps its hot rows' values by index: each gives what the general form gives.
@Suite struct WritePathFieldsTests {
    /// `packedWrite` is the packed query's fields, nil exactly when the query is boxed.
    @Test func packedWriteIsTheQuerysFields() {
        let queries: [Query] = [.insert(table: .orders, txid: 5), .insert(table: .probes, txid: (1 << 56) - 1),
                                .update(table: .counters, key: 7, txid: 1 << 40 | 3),
                                .update(table: .counters, key: 1 << 23, txid: 9),  // key too wide: boxed
                                .insert(table: .orders, txid: -1), .ping, .selectLatest(table: .orders)]
        for q in queries {
            let m = QueryMessage(id: 42, query: q)
            guard let w = m.packedWrite else {
                // Boxed: only what does not pack, and never a write that does.
                #expect(m.query == q)
                if case .insert(_, let t) = q { #expect(t < 0) }
                continue
            }
            let rebuilt: Query = w.isUpdate ? .update(table: w.table, key: w.key, txid: w.txid)
                                            : .insert(table: w.table, txid: w.txid)
            #expect(rebuilt == q && m.query == q && m.id == 42)
        }
    }

    /// `init(okAffected:)` is the message `.ok` gives, and `packedOK` its fields.
    @Test func packedOKIsTheAnswersFields() {
        let cases: [(Int, Int64?)] = [(1, 12), (0, nil), (1, nil), (63, (1 << 40) - 1), (64, 1), (1, 1 << 40), (-1, nil)]
        for (affected, insertID) in cases {
            let a = ResultMessage(id: 3, okAffected: affected, insertID: insertID, server: 2)
            let b = ResultMessage(id: 3, result: .ok(affected: affected, insertID: insertID), server: 2)
            #expect(a.result == .ok(affected: affected, insertID: insertID) && b.result == a.result)
            #expect(a.serverIndex == 2 && a.id == 3)
            if let ok = a.packedOK {
                #expect(ok.affected == affected && ok.insertID == insertID)
            }
            #expect((a.packedOK == nil) == (b.packedOK == nil))
        }
        #expect(ResultMessage(id: 1, result: .empty, server: 0).packedOK == nil)
    }

    /// A hot row's value (one that is not its txid) reads back from either store: the array
    /// for the first rows, the dictionary past them or for the marker value itself.
    @Test func rowValuesReadBackFromEitherStore() {
        var t = RowTable()
        let keys: [Int64] = [1, 2, 4_096, 4_097, 5_000]
        for k in 1...5_000 as ClosedRange<Int64> { t[k] = Row(value: k, txid: k) }
        for k in keys { t[k] = Row(value: k * 10, txid: 7) }
        t[3] = Row(value: Int64.min, txid: 8)
        for k in keys { #expect(t[k] == Row(value: k * 10, txid: 7)) }
        #expect(t[3] == Row(value: Int64.min, txid: 8))
        // Back to value == txid, then to the array again, then gone.
        t[3] = Row(value: 9, txid: 9)
        #expect(t[3] == Row(value: 9, txid: 9))
        t[3] = Row(value: 11, txid: 9)
        #expect(t[3] == Row(value: 11, txid: 9))
        t[2] = nil
        #expect(t[2] == nil && t.count == 4_999)
        t[2] = Row(value: 2, txid: 2)
        #expect(t[2] == Row(value: 2, txid: 2))
        t[5_000] = Row(value: 3, txid: 3)
        #expect(t[5_000] == Row(value: 3, txid: 3))
    }
}
