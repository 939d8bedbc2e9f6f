import HasimKernel
import HasimDatabase

/// One commit the application saw acknowledged: the ground truth that loss is
/// measured against.
///
/// One per acknowledged write, kept for the whole run: 40 bytes. The fields are declared
/// widest first (Swift lays a struct out in declaration order), the group index is stored in
/// 16 bits and the acknowledging server as its index in `ServerNames` (a `String` was 16 bytes
/// of the 56 each entry took; it was 72 before the reordering).
public struct LedgerEntry: Sendable, Equatable {
    public var txid: Int64
    /// The row's key: the insert id the server returned, or the updated row.
    public var key: Int64
    public var issuedAt: SimTime
    public var ackedAt: SimTime
    fileprivate var server: UInt16
    public var table: Table
    public var isInsert: Bool
    public var isProbe: Bool
    fileprivate var groupIndex: UInt16
    /// The mysqld that acknowledged it (ground truth, whatever address was dialled).
    public var ackedBy: String {
        get { ServerNames.name(server) }
        set { server = ServerNames.index(newValue) }
    }
    /// The application group (index in the scenario's workloads) that issued it.
    public var group: Int {
        get { Int(groupIndex) }
        set { groupIndex = UInt16(newValue) }
    }

    public init(txid: Int64, table: Table, isInsert: Bool, key: Int64, issuedAt: SimTime, ackedAt: SimTime,
                ackedBy: String, isProbe: Bool, group: Int = 0) {
        self.init(txid: txid, table: table, isInsert: isInsert, key: key, issuedAt: issuedAt, ackedAt: ackedAt,
                  server: ServerNames.index(ackedBy), isProbe: isProbe, group: group)
    }

    /// With the server already interned (the client's hot path: no lookup per write).
    init(txid: Int64, table: Table, isInsert: Bool, key: Int64, issuedAt: SimTime, ackedAt: SimTime,
         server: UInt16, isProbe: Bool, group: Int) {
        self.txid = txid
        self.key = key
        self.issuedAt = issuedAt
        self.ackedAt = ackedAt
        self.server = server
        self.table = table
        self.isInsert = isInsert
        self.isProbe = isProbe
        self.groupIndex = UInt16(group)
    }
}

/// The acknowledged writes of a run, in the order they were appended: the ground truth loss
/// is measured against, and a run's largest structure (one entry per acknowledged write, kept
/// to the end). Read as a collection of `LedgerEntry`; stored by column, about 12 bytes an
/// entry instead of the entry's 40:
/// - the acknowledgement time in a `TimeColumn` (4 B),
/// - the txid's low 32 bits and the key, each in about a byte (`DenseTxids`: a client's
///   inserts are acknowledged nearly in the order of their txids and keys, so both climb in
///   step with the entry's index); the txid's high bits (the client's `txidBase`) go with the kind;
///   an UPDATE's key (a hot row's, far from the climbing insert keys: a fifth of the writes by
///   default) in 32 bits apart, in the order of the updates,
/// - the latency (ackedAt − issuedAt) in 32 bits of nanoseconds (4 B, up to 4.29 s), kept
///   whole apart, by index, when it does not fit,
/// - the kind (2 B): the index of (server, group, table, insert, probe, txid's high bits) in a
///   small table of the distinct combinations (a run has a few dozen).
/// Exact: every entry reads back as appended.
///
/// An append stores the whole entry in a small stage (`staged`); the stage is packed into the
/// columns `packBatch` entries at a time, each column with one bulk append. Appending to six
/// columns one write at a time (three of them `DenseTxids`/`TimeColumn`, each with its own
/// uniqueness and bounds checks) was 500 instructions per acknowledged write (issue 15).
public struct Ledger: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral {
    /// Two words, so that `==` (once or twice per entry packed) is two compares: the seven
    /// fields compared one by one were 31 instructions an entry.
    private struct Kind: Equatable {
        /// server (bits 0..<16), group (16..<32), table (32..<40), isInsert (40), isProbe (41),
        /// keyApart (42).
        private let bits: UInt64
        let txidHigh: Int64
        init(server: UInt16, group: UInt16, table: Table, isInsert: Bool, isProbe: Bool, txidHigh: Int64,
             keyApart: Bool) {
            bits = UInt64(server) | UInt64(group) << 16 | UInt64(table.rawValue) << 32
                | (isInsert ? 1 << 40 : 0) | (isProbe ? 1 << 41 : 0) | (keyApart ? 1 << 42 : 0)
            self.txidHigh = txidHigh
        }
        var server: UInt16 { UInt16(truncatingIfNeeded: bits) }
        var group: UInt16 { UInt16(truncatingIfNeeded: bits >> 16) }
        var table: Table { Table(rawValue: UInt8(truncatingIfNeeded: bits >> 32))! }
        var isInsert: Bool { bits & 1 << 40 != 0 }
        var isProbe: Bool { bits & 1 << 41 != 0 }
        /// The key is in `updateKeys` (an update's key in 32 bits), not in `keys`.
        var keyApart: Bool { bits & 1 << 42 != 0 }
    }
    private static let far = UInt32.max
    private var acked = TimeColumn()
    private var txidLow = DenseTxids()
    private var keys = DenseTxids()
    /// Keys of the entries whose kind says `keyApart`, in order; `blockUpdates`: per block of
    /// 64 entries, how many come before it.
    private var updateKeys: [UInt32] = []
    private var blockUpdates: [Int] = []
    /// What `keys` holds for an entry whose key is apart: the last key it holds, so the
    /// column stays a byte an entry.
    private var lastKey: Int64 = 0
    private var latencies: [UInt32] = []
    private var kinds: [UInt16] = []
    private var kindTable: [Kind] = []
    /// Issue times whose latency does not fit 32 bits, by ascending index.
    private var farIssuedIndex: [Int] = [], farIssued: [SimTime] = []
    /// The newest entries, not yet packed (at most `packBatch`): they follow the columns' entries.
    private var staged: ContiguousArray<LedgerEntry> = []
    /// The txid, key and ack-time columns of a batch while it is packed, kept from one batch
    /// to the next: as a temporary allocation (6 KB, past what goes on the stack) it was a
    /// malloc and free per batch, the malloc about 11,000 instructions (it consolidated the
    /// allocator's fast bins first).
    private var packColumns: [Int64] = []
    static let packBatch = 256
    /// What the run's memory preflight counts per acknowledged write (kept at the 18 B of a
    /// ledger with 32-bit txids and keys: an upper figure for a workload that mixes clients).
    public static let bytesPerEntry = 18

    public init() {}
    public init(arrayLiteral elements: LedgerEntry...) { self.init(elements) }
    public init<S: Sequence>(_ entries: S) where S.Element == LedgerEntry {
        for e in entries { append(e) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { kinds.count + staged.count }
    /// Entries the columns hold room for (reserved from the workload).
    public var capacity: Int { kinds.capacity }

    public mutating func reserveCapacity(_ n: Int) {
        acked.reserveCapacity(n)
        latencies.reserveCapacity(n)
        kinds.reserveCapacity(n)
    }

    public subscript(i: Int) -> LedgerEntry {
        if i >= kinds.count { return staged[i - kinds.count] }
        let kind = kindTable[Int(kinds[i])]
        let ackedAt = acked[i]
        let l = latencies[i]
        return LedgerEntry(txid: kind.txidHigh << 32 | txidLow[i], table: kind.table, isInsert: kind.isInsert,
                           key: kind.keyApart ? Int64(updateKeys[updatesBefore(i)]) : keys[i],
                           issuedAt: l != Self.far ? ackedAt - SimTime(l) : farIssued[farIssuedIndex.firstPosition(atLeast: i)],
                           ackedAt: ackedAt, server: kind.server, isProbe: kind.isProbe, group: Int(kind.group))
    }

    /// Every entry so far was appended in acknowledgement order, (ackedAt, txid) ascending: how a
    /// run's outcome is ordered. Kept as entries come, one comparison each: reading a finished
    /// ledger back to check it decoded every column, 4 % of a 1,000 writes/s run's CPU.
    public private(set) var isInAckOrder = true
    private var newest: (ackedAt: SimTime, txid: Int64) = (.min, .min)

    public mutating func append(_ e: LedgerEntry) {
        if (e.ackedAt, e.txid) < newest { isInAckOrder = false }
        newest = (e.ackedAt, e.txid)
        if staged.isEmpty { staged.reserveCapacity(Self.packBatch) }
        staged.append(e)
        if staged.count == Self.packBatch { pack() }
    }

    /// Moves the staged entries into the columns, as appending them one by one would.
    private mutating func pack() {
        let n = staged.count
        guard n > 0 else { return }
        let first = kinds.count
        // A copy of the stage (a reference to its buffer): `index(of:)` mutates self meanwhile.
        let stage = staged
        // Moved out for the batch (unique, so written in place): `index(of:)` mutates self meanwhile.
        var columns: [Int64] = []
        swap(&columns, &packColumns)
        if columns.count < 3 * Self.packBatch { columns = Array(repeating: 0, count: 3 * Self.packBatch) }
        columns.withUnsafeMutableBufferPointer { scratch in
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: n) { kindColumn in
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: n) { latencyColumn in
            let txids = UnsafeMutableBufferPointer(rebasing: scratch[0..<n])
            let keyColumn = UnsafeMutableBufferPointer(rebasing: scratch[n..<2 * n])
            let ackedColumn = UnsafeMutableBufferPointer(rebasing: scratch[2 * n..<3 * n])
            // The last two kinds: a workload's inserts and updates alternate, and each switch
            // searched the kind table.
            var previous: (kind: Kind, index: UInt16)?, other: (kind: Kind, index: UInt16)?
            stage.withUnsafeBufferPointer { entries in
                for k in 0..<n {
                    let e = entries[k]
                    let i = first + k
                    let apart = !e.isInsert && UInt32(exactly: e.key) != nil
                    let kind = Kind(server: e.server, group: e.groupIndex, table: e.table, isInsert: e.isInsert,
                                    isProbe: e.isProbe, txidHigh: e.txid >> 32, keyApart: apart)
                    // Consecutive writes share a kind: compared with the last two, not looked up.
                    if let p = previous, p.kind == kind {
                        kindColumn[k] = p.index
                    } else if let o = other, o.kind == kind {
                        kindColumn[k] = o.index
                        other = previous
                        previous = o
                    } else {
                        let index = index(of: kind)
                        other = previous
                        previous = (kind, index)
                        kindColumn[k] = index
                    }
                    txids[k] = e.txid & 0xFFFF_FFFF
                    ackedColumn[k] = e.ackedAt
                    if i & 63 == 0 { blockUpdates.append(updateKeys.count) }
                    if apart {
                        keyColumn[k] = lastKey
                        updateKeys.append(UInt32(e.key))
                    } else {
                        keyColumn[k] = e.key
                        lastKey = e.key
                    }
                    let latency = e.ackedAt &- e.issuedAt
                    if latency >= 0 && latency < SimTime(Self.far) {
                        latencyColumn[k] = UInt32(latency)
                    } else {
                        latencyColumn[k] = Self.far
                        farIssuedIndex.append(i)
                        farIssued.append(e.issuedAt)
                    }
                }
            }
            txidLow.append(contentsOf: UnsafeBufferPointer(txids))
            keys.append(contentsOf: UnsafeBufferPointer(keyColumn))
            acked.append(contentsOf: UnsafeBufferPointer(ackedColumn))
            kinds.append(contentsOf: UnsafeBufferPointer(rebasing: kindColumn[0..<n]))
            latencies.append(contentsOf: UnsafeBufferPointer(rebasing: latencyColumn[0..<n]))
        }
        }
        }
        swap(&columns, &packColumns)
        staged.removeAll(keepingCapacity: true)
    }

    /// The entries with their key in `updateKeys` among [0, i).
    private func updatesBefore(_ i: Int) -> Int {
        var r = blockUpdates[i >> 6]
        for j in (i & ~63)..<i where kindTable[Int(kinds[j])].keyApart { r += 1 }
        return r
    }

    /// The kind's index, the last one used first (consecutive writes share one).
    private var lastKind = 0
    private mutating func index(of kind: Kind) -> UInt16 {
        if lastKind < kindTable.count && kindTable[lastKind] == kind { return UInt16(lastKind) }
        if let k = kindTable.firstIndex(of: kind) {
            lastKind = k
        } else {
            precondition(kindTable.count < Int(UInt16.max), "more than 65,535 kinds of ledger entry in one run")
            kindTable.append(kind)
            lastKind = kindTable.count - 1
        }
        return UInt16(lastKind)
    }

    /// Sorts the entries (rebuilding the columns).
    public mutating func sort(by less: (LedgerEntry, LedgerEntry) -> Bool) {
        self = Ledger(self.sorted(by: less))
    }

    public static func == (a: Ledger, b: Ledger) -> Bool { a.elementsEqual(b) }
}

extension Ledger {
    /// Reads the entries in order (`for e in ledger`, `lazy.filter`: how the metrics read it),
    /// counting the updates and the far issue times it passes: the subscript finds an update's
    /// key by counting the kinds of its block of 64 (`updatesBefore`) and a far issue time by a
    /// search, a cost per entry that was a third of a fleet window's metrics.
    public struct Iterator: IteratorProtocol {
        private let ledger: Ledger
        private var i = 0
        private var updates = 0
        private var far = 0
        fileprivate init(_ ledger: Ledger) { self.ledger = ledger }

        public mutating func next() -> LedgerEntry? {
            let l = ledger
            guard i < l.kinds.count else {
                // Past the packed entries: the staged ones, as they were appended.
                guard i - l.kinds.count < l.staged.count else { return nil }
                i += 1
                return l.staged[i - 1 - l.kinds.count]
            }
            let kind = l.kindTable[Int(l.kinds[i])]
            let ackedAt = l.acked[i]
            let key: Int64
            if kind.keyApart {
                key = Int64(l.updateKeys[updates])
                updates += 1
            } else {
                key = l.keys[i]
            }
            let latency = l.latencies[i]
            let issuedAt: SimTime
            if latency != Ledger.far {
                issuedAt = ackedAt - SimTime(latency)
            } else {
                issuedAt = l.farIssued[far]
                far += 1
            }
            let e = LedgerEntry(txid: kind.txidHigh << 32 | l.txidLow[i], table: kind.table, isInsert: kind.isInsert,
                                key: key, issuedAt: issuedAt, ackedAt: ackedAt, server: kind.server,
                                isProbe: kind.isProbe, group: Int(kind.group))
            i += 1
            return e
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }
}

/// One probe write: the downtime measurement.
public struct ProbeOutcome: Sendable, Equatable {
    public var issuedAt: SimTime
    /// Acknowledged within the probe timeout.
    public var ok: Bool
    /// Time to the acknowledgement, if there was one (even a late one).
    public var latency: SimTime?
    /// MySQL error code of the failure; nil if it succeeded or was just too slow.
    public var error: Int?
}

/// One write attempt that failed, as the application saw it.
public struct FailedAttempt: Sendable, Equatable {
    /// Not a MySQL error: the application had no free thread for the request.
    public static let rejectedCode = 0
    public var issuedAt: SimTime
    public var failedAt: SimTime
    public var code: Int
    public var isProbe: Bool
    /// The application group (index in the scenario's workloads) that issued it.
    public var group: Int = 0
}

/// A row another session read: the transaction that wrote it was visible then.
public struct ReadObservation: Sendable, Equatable {
    public var txid: Int64
    public var at: SimTime
    public var server: String
}
