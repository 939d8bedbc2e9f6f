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
public struct BinlogEvent: Sendable, Equatable {
    private final class Record: Sendable {
        let gtid: GTID
        let txid: Int64
        let change: RowChange
        let originalCommit: SimTime
        let commitGroup: Int64
        init(gtid: GTID, txid: Int64, change: RowChange, originalCommit: SimTime, commitGroup: Int64) {
            self.gtid = gtid
            self.txid = txid
            self.change = change
            self.originalCommit = originalCommit
            self.commitGroup = commitGroup
        }
    }
    private let record: Record

    public var gtid: GTID { record.gtid }
    public var txid: Int64 { record.txid }
    public var change: RowChange { record.change }
    /// Commit time on the originating server (for Seconds_Behind_Master).
    public var originalCommit: SimTime { record.originalCommit }
    /// The binlog group commit it was written in on its originating server (MariaDB's
    /// commit_id, MySQL's last_committed): a parallel replica applies one group's transactions
    /// at once. 0: unknown (applied alone).
    public var commitGroup: Int64 { record.commitGroup }

    public init(gtid: GTID, txid: Int64, change: RowChange, originalCommit: SimTime, commitGroup: Int64 = 0) {
        record = Record(gtid: gtid, txid: txid, change: change, originalCommit: originalCommit, commitGroup: commitGroup)
    }

    public static func == (a: BinlogEvent, b: BinlogEvent) -> Bool {
        a.record === b.record
            || (a.gtid == b.gtid && a.txid == b.txid && a.change == b.change
                && a.originalCommit == b.originalCommit && a.commitGroup == b.commitGroup)
    }
}
