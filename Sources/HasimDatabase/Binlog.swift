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
/// A plain value of trivial fields (64 bytes), every field of the change kept as given: no
/// heap object, so no allocation per commit and no reference count on its way through the
/// binlogs, the dump threads and the relay logs. It was a shared record allocated at each
/// commit: its malloc 5.1 M of an MHA incident's 291 M instructions, the releases and frees
/// when each binlog packed its references 7.3 M, an atomic retain at each hand-over (commit,
/// dump thread, IO thread) about 1 M each. What made the record worth sharing is gone:
/// a binary log keeps only its newest 1,024-2,047 events whole (`BinlogLog` packs the rest by
/// column), a relay log only what the SQL thread has not purged, and a message carries the
/// event in three words (`BinlogEventMessage`), not the event itself.
public struct BinlogEvent: Sendable, Equatable {
    public let txid: Int64
    /// Commit time on the originating server (for Seconds_Behind_Master).
    public let originalCommit: SimTime
    /// The binlog group commit it was written in on its originating server (MariaDB's
    /// commit_id, MySQL's last_committed): a parallel replica applies one group's transactions
    /// at once. 0: unknown (applied alone).
    public let commitGroup: Int64
    // Internal, not private: the memberwise init builds an event from its fields (a message's
    // reader), without building the `RowChange`.
    let seq: Int64
    /// The change: its row's key, the row image's value and txid.
    let key: Int64
    let value: Int64
    let rowTxid: Int64
    let origin: UInt32
    let table: Table
    let isUpdate: Bool

    public var gtid: GTID { GTID(origin: origin, seq: seq) }
    public var change: RowChange {
        let row = Row(value: value, txid: rowTxid)
        return isUpdate ? .update(table: table, key: key, after: row) : .insert(table: table, key: key, row: row)
    }

    /// The change's parts as the binlog's columns and the messages store them, without
    /// building the `RowChange`.
    @inline(__always) var changeParts: (table: Table, key: Int64, value: Int64, rowTxid: Int64, update: Bool) {
        (table, key, value, rowTxid, isUpdate)
    }
}

extension BinlogEvent {
    public init(gtid: GTID, txid: Int64, change: RowChange, originalCommit: SimTime, commitGroup: Int64 = 0) {
        let (table, key, row, update): (Table, Int64, Row, Bool) = switch change {
        case .insert(let t, let k, let r): (t, k, r, false)
        case .update(let t, let k, let r): (t, k, r, true)
        }
        self.init(txid: txid, originalCommit: originalCommit, commitGroup: commitGroup, seq: gtid.seq, key: key,
                  value: row.value, rowTxid: row.txid, origin: gtid.origin, table: table, isUpdate: update)
    }
}
