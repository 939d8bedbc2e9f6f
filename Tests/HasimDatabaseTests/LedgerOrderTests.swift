import Testing
import HasimKernel
@testable import HasimWorkload

/// The ledger says whether its entries came in acknowledgement order, (ackedAt, txid) ascending,
/// so the scenario runner sorts only a ledger that needs it instead of reading every entry back.
/// Flip: an entry acknowledged before the newest one, or at the same instant with a lower txid,
/// clears the flag; equal keys keep it (the runner's old check let them stand too).
@Suite struct LedgerOrderTests {
    private func entry(_ txid: Int64, ackedAt: SimTime) -> LedgerEntry {
        LedgerEntry(txid: txid, table: .orders, isInsert: true, key: txid, issuedAt: ackedAt - 1_000, ackedAt: ackedAt,
                    ackedBy: "db1", isProbe: false)
    }

    @Test func inOrderAsAppended() {
        var l = Ledger()
        #expect(l.isInAckOrder)
        for i in 1...600 { l.append(entry(Int64(i), ackedAt: SimTime(i) * 1_000)) }  // across packed batches
        l.append(entry(600, ackedAt: 600_000))  // the same key again: still in order
        #expect(l.isInAckOrder)
    }

    @Test func anEarlierAcknowledgementOrALowerTxidAtOneInstantClearsIt() {
        var a = Ledger([entry(1, ackedAt: 2_000), entry(2, ackedAt: 1_000)])
        #expect(!a.isInAckOrder)
        var b = Ledger([entry(2, ackedAt: 1_000), entry(1, ackedAt: 1_000)])
        #expect(!b.isInAckOrder)
        // Sorting rebuilds the columns in order.
        a.sort { ($0.ackedAt, $0.txid) < ($1.ackedAt, $1.txid) }
        b.sort { ($0.ackedAt, $0.txid) < ($1.ackedAt, $1.txid) }
        #expect(a.isInAckOrder && b.isInAckOrder)
        #expect(a.map(\.txid) == [2, 1] && b.map(\.txid) == [1, 2])
    }
}
