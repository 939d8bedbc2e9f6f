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
public struct BinlogEvent: Sendable, Equatable {
    public var gtid: GTID
    public var txid: Int64
    public var change: RowChange
    /// Commit time on the originating server (for Seconds_Behind_Master).
    public var originalCommit: SimTime
    /// The binlog group commit it was written in on its originating server (MariaDB's
    /// commit_id, MySQL's last_committed): a parallel replica applies one group's transactions
    /// at once. 0: unknown (applied alone).
    public var commitGroup: Int64
    public init(gtid: GTID, txid: Int64, change: RowChange, originalCommit: SimTime, commitGroup: Int64 = 0) {
        self.gtid = gtid
        self.txid = txid
        self.change = change
        self.originalCommit = originalCommit
        self.commitGroup = commitGroup
    }
}
