import HasimKernel

/// The tables of the simulated schema. Inserts go to `orders` (auto-increment
/// keys), hot-row updates to `counters`, probe writes to `probes`.
public enum Table: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case orders = 0, counters = 1, probes = 2
    public var description: String {
        switch self {
        case .orders: return "orders"
        case .counters: return "counters"
        case .probes: return "probes"
        }
    }
}

/// One row image: `value` is the payload (the inserting transaction's id for
/// inserts, a counter for hot rows); `txid` is the last transaction that wrote it.
public struct Row: Sendable, Equatable {
    public var value: Int64
    public var txid: Int64
    public init(value: Int64, txid: Int64) {
        self.value = value
        self.txid = txid
    }
}

/// A row-based binlog change (binlog_format=ROW, MySQL's default since 5.7.7).
public enum RowChange: Sendable, Equatable {
    /// Write_rows: the full new row with its explicit primary key.
    case insert(table: Table, key: Int64, row: Row)
    /// Update_rows: found by primary key (the before image), replaced by `after`.
    case update(table: Table, key: Int64, after: Row)

    public var table: Table {
        switch self {
        case .insert(let t, _, _), .update(let t, _, _): return t
        }
    }
    public var key: Int64 {
        switch self {
        case .insert(_, let k, _), .update(_, let k, _): return k
        }
    }
}

/// One committed transaction in a binary log (one row change per transaction in
/// this model). `txid` identifies the client transaction, as a ledger column
/// written in the same transaction would.
///
/// Immutable, and shared: the source's binlog, the message to each replica, their relay logs
/// and (log_slave_updates) their own binlogs all hold the same transaction, so each copy is
/// one reference to a record allocated once at the commit. Inline, the 80-byte value was
/// stored once per server (half the memory of a 1,000 writes/s run) and boxed again in
/// every message that carried it.
///
/// The record is the largest allocation per acknowledged write, so it is packed: a client's
/// insert (the row's value and its txid are the transaction's txid, the key fits 56 bits,
/// the commit group 32) is 40 bytes after the object header, one 64-byte malloc chunk instead
/// of the 112 a plain record of every field took. Anything else (an UPDATE's new value, a key
/// or group out of range) takes the `Extended` record, which keeps every field as given.
public struct BinlogEvent: Sendable, Equatable {
    /// The packed form; not final: `Extended` adds the fields a packed record cannot hold.
    private class Record: @unchecked Sendable {  // immutable after init
        let seq: Int64
        let txid: Int64
        /// key (bits 0..<56) | table (56..<62) | update (62) | extended (63).
        let packed: UInt64
        let originalCommit: SimTime
        let origin: UInt32
        /// The commit group when packed.
        let group: Int32
        init(seq: Int64, txid: Int64, packed: UInt64, originalCommit: SimTime, origin: UInt32, group: Int32) {
            self.seq = seq
            self.txid = txid
            self.packed = packed
            self.originalCommit = originalCommit
            self.origin = origin
            self.group = group
        }
    }
    private final class Extended: Record, @unchecked Sendable {
        let change: RowChange
        let commitGroup: Int64
        init(gtid: GTID, txid: Int64, change: RowChange, originalCommit: SimTime, commitGroup: Int64) {
            self.change = change
            self.commitGroup = commitGroup
            super.init(seq: gtid.seq, txid: txid, packed: BinlogEvent.extendedBit, originalCommit: originalCommit,
                       origin: gtid.origin, group: 0)
        }
    }
    private static let extendedBit: UInt64 = 1 << 63
    private static let updateBit: UInt64 = 1 << 62
    private static let keyMask: UInt64 = (1 << 56) - 1
    private let record: Record

    @inline(__always) private var extended: Extended? {
        record.packed & Self.extendedBit != 0 ? unsafeDowncast(record, to: Extended.self) : nil
    }

    public var gtid: GTID { GTID(origin: record.origin, seq: record.seq) }
    public var txid: Int64 { record.txid }
    public var change: RowChange {
        if let e = extended { return e.change }
        let p = record.packed
        let table = Table(rawValue: UInt8(truncatingIfNeeded: p >> 56) & 0x3F)!
        let key = Int64(bitPattern: p & Self.keyMask)
        let row = Row(value: record.txid, txid: record.txid)
        return p & Self.updateBit != 0 ? .update(table: table, key: key, after: row) : .insert(table: table, key: key, row: row)
    }
    /// Commit time on the originating server (for Seconds_Behind_Master).
    public var originalCommit: SimTime { record.originalCommit }
    /// The binlog group commit it was written in on its originating server (MariaDB's
    /// commit_id, MySQL's last_committed): a parallel replica applies one group's transactions
    /// at once. 0: unknown (applied alone).
    public var commitGroup: Int64 { extended?.commitGroup ?? Int64(record.group) }

    public init(gtid: GTID, txid: Int64, change: RowChange, originalCommit: SimTime, commitGroup: Int64 = 0) {
        let (table, key, row, update): (Table, Int64, Row, Bool) = switch change {
        case .insert(let t, let k, let r): (t, k, r, false)
        case .update(let t, let k, let r): (t, k, r, true)
        }
        if row.value == txid && row.txid == txid && key >= 0 && UInt64(key) <= Self.keyMask
            && table.rawValue < 64, let group = Int32(exactly: commitGroup) {
            let packed = UInt64(key) | UInt64(table.rawValue) << 56 | (update ? Self.updateBit : 0)
            record = Record(seq: gtid.seq, txid: txid, packed: packed, originalCommit: originalCommit,
                            origin: gtid.origin, group: group)
        } else {
            record = Extended(gtid: gtid, txid: txid, change: change, originalCommit: originalCommit, commitGroup: commitGroup)
        }
    }

    /// The change's parts as the binlog's columns store them (table's raw value, key, the row's
    /// value and txid, whether an update), read off a packed record without building the
    /// `RowChange` (the packing of a binlog reads every event's).
    @inline(__always) var changeParts: (table: UInt8, key: Int64, value: Int64, rowTxid: Int64, update: Bool) {
        if let e = extended {
            switch e.change {
            case .insert(let t, let k, let r): return (t.rawValue, k, r.value, r.txid, false)
            case .update(let t, let k, let r): return (t.rawValue, k, r.value, r.txid, true)
            }
        }
        let p = record.packed
        return (UInt8(truncatingIfNeeded: p >> 56) & 0x3F, Int64(bitPattern: p & Self.keyMask), record.txid, record.txid,
                p & Self.updateBit != 0)
    }

    /// True when the record is the packed one (for the tests of the packing).
    var isPacked: Bool { record.packed & Self.extendedBit == 0 }

    public static func == (a: BinlogEvent, b: BinlogEvent) -> Bool {
        a.record === b.record
            || (a.gtid == b.gtid && a.txid == b.txid && a.change == b.change
                && a.originalCommit == b.originalCommit && a.commitGroup == b.commitGroup)
    }
}
