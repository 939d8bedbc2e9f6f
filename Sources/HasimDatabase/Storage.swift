import HasimKernel

/// The datadir: InnoDB tables and the binary log. What of it survives a crash depends
/// on what reached the disk (see Durability.swift): everything with sync_binlog=1 and
/// innodb_flush_log_at_trx_commit=1, less with other settings after a host crash.
public struct Storage: Sendable {
    /// The three tables, each a field of its own rather than an element of an array: every
    /// commit writes one (and reads it first), and through an array each access was a bounds
    /// check and each write a uniqueness check of the array (the storage lives in the server's
    /// class) before the table's own.
    private var orders = TableState(), counters = TableState(), probes = TableState()
    public private(set) var binlog = BinlogLog()
    public private(set) var gtidExecuted = GTIDSet()
    /// Ids of the client transactions whose effects are in this server's data.
    public private(set) var appliedTxids = TxidSet()
    /// Binlog indexes written and synced but not yet committed in the engine (the
    /// AFTER_SYNC wait). Crash recovery commits them: the binlog is the XA coordinator.
    public private(set) var preparedInBinlog: [Int] = []
    /// When each binlog event was written here (the OS writes back dirty pages by age);
    /// 4 bytes an event (a `TimeColumn`), read by index like the array it replaces.
    var binlogWrittenAt = TimeColumn()
    /// Binlog events [0, binlogSynced) are fsynced (sync_binlog).
    var binlogSynced = 0
    /// Events [0, binlogPurged) are in purged binlog files (binlog_expire_logs_seconds).
    public internal(set) var binlogPurged = 0
    /// No later than the write time of the event at `binlogPurged` (written or to come; `.max`:
    /// its time was forgotten, it never expires): expiry has nothing to look at while its
    /// cutoff is not past it. Times climb with the index and a truncation only takes the tail,
    /// so a bound once true stays true; `truncateBinlog` resets it anyway.
    var unpurgedWrittenAtLeast: SimTime = .min
    /// Engine commits not yet known to be in the flushed redo log, oldest first, from `redoTailHead`.
    var redoTail: [EngineUndo] = []
    var redoTailHead = 0

    public init() {}

    /// A table's state, read in place.
    @inline(__always)
    private func table(_ t: Table) -> TableState {
        switch t {
        case .orders: orders
        case .counters: counters
        case .probes: probes
        }
    }

    /// A table's state, changed in place.
    @inline(__always)
    private mutating func update<R>(_ t: Table, _ body: (inout TableState) -> R) -> R {
        switch t {
        case .orders: body(&orders)
        case .counters: body(&counters)
        case .probes: body(&probes)
        }
    }

    /// Each table's row lookup by its own field (a switch over `table(_:)` returned a copy of
    /// the table: a retain and release of each of its arrays).
    @inline(__always)
    public func row(_ table: Table, _ key: Int64) -> Row? {
        switch table {
        case .orders: orders.rows[key]
        case .counters: counters.rows[key]
        case .probes: probes.rows[key]
        }
    }
    public func rowCount(_ t: Table) -> Int { table(t).rows.count }
    public func keys(_ t: Table) -> [Int64] { table(t).rows.keys }
    /// Next auto-increment value of a table (InnoDB's counter).
    public func autoIncrement(_ t: Table) -> Int64 { table(t).autoIncrement }

    /// Reserves the next auto-increment key (auto_increment_increment/offset).
    mutating func nextKey(_ table: Table, increment: Int64, offset: Int64) -> Int64 {
        update(table) { s in
            var k = s.autoIncrement
            // Smallest value >= counter that is congruent to offset modulo increment.
            if increment > 1 {
                let r = ((k - offset) % increment + increment) % increment
                if r != 0 { k += increment - r }
            }
            s.autoIncrement = k + increment
            return k
        }
    }

    /// The error MySQL would raise applying this change, if any.
    @inline(__always)
    public func conflict(_ change: RowChange) -> MySQLError? { Self.conflict(change) { row($0, $1) != nil } }

    /// The one rule of both `conflict`s, over the caller's way of finding a row: inlined, the
    /// closure goes away.
    @inline(__always)
    private static func conflict(_ change: RowChange, _ exists: (Table, Int64) -> Bool) -> MySQLError? {
        switch change {
        case .insert(let table, let key, _):
            if exists(table, key) { return .duplicateKey(key) }
        case .update(let table, let key, _):
            if !exists(table, key) { return .rowNotFound(table) }
        }
        return nil
    }

    /// `conflict` and `row` for a caller holding the storage in a class's property (the server,
    /// once or twice per commit): declared mutating though they change nothing, so that the call
    /// reads the property in place; the non-mutating ones made the caller copy the whole struct
    /// (184 bytes) to the stack to lend it to the table's lookup.
    /// Not `conflict` itself: a non-mutating call from here still lends the whole struct (its
    /// three tables' fields: 50 instructions of loads per call); the rule is shared, the lookup not.
    @inline(__always)
    mutating func conflictInPlace(_ change: RowChange) -> MySQLError? {
        Self.conflict(change) { rowInPlace($0, $1) != nil }
    }
    @inline(__always)
    mutating func rowInPlace(_ table: Table, _ key: Int64) -> Row? { update(table) { $0.rows[key] } }

    /// Applies a change already checked with `conflict`. `undo` keeps its before image
    /// until the redo log holding it is flushed (innodb_flush_log_at_trx_commit 0 or 2).
    mutating func apply(_ change: RowChange, txid: Int64, undoAt: SimTime? = nil) {
        if let at = undoAt {
            redoTail.append(EngineUndo(table: change.table, key: change.key, before: row(change.table, change.key), txid: txid, at: at))
        }
        switch change {
        case .insert(let table, let key, let row):
            update(table) { s in
                s.rows[key] = row
                if key > s.maxKey { s.maxKey = key }
                // InnoDB moves the counter past explicitly inserted keys (replicated rows too).
                if key >= s.autoIncrement { s.autoIncrement = key + 1 }
            }
        case .update(let table, let key, let after):
            update(table) { $0.rows[key] = after }
        }
        appliedTxids.insert(txid)
    }

    mutating func appendBinlog(_ e: consuming BinlogEvent, at time: SimTime = 0) {
        binlogWrittenAt.append(time)
        binlog.append(e)
    }

    /// Undoes engine commits whose redo never reached the disk, newest first.
    mutating func rollBack(_ undo: ArraySlice<EngineUndo>) {
        for u in undo.reversed() {
            update(u.table) { $0.rows[u.key] = u.before }
            appliedTxids.remove(u.txid)
        }
        for t in Table.allCases {
            update(t) { s in if s.rows[s.maxKey] == nil { s.maxKey = s.rows.maxKey } }
        }
    }

    /// Cuts the binlog back to its first `count` events (a tail only in the page cache
    /// is gone after a power loss); their GTIDs leave gtid_executed with them.
    mutating func truncateBinlog(to count: Int) {
        guard count < binlog.count else { return }
        for e in binlog[count...] { gtidExecuted.remove(e.gtid) }
        preparedInBinlog.removeAll { $0 >= count }
        binlog.truncate(to: count)
        binlogWrittenAt.truncate(to: count)
        binlogSynced = min(binlogSynced, count)
        unpurgedWrittenAtLeast = .min
    }

    mutating func purgeBinlog(before index: Int) { binlogPurged = max(binlogPurged, min(index, binlog.count)) }

    mutating func markPrepared(_ index: Int) { preparedInBinlog.append(index) }

    /// Engine commit of a transaction already in the binlog.
    mutating func commitPrepared(_ index: Int) {
        guard let i = preparedInBinlog.firstIndex(of: index) else { return }
        preparedInBinlog.remove(at: i)
        apply(binlog[index].change, txid: binlog[index].txid)
    }

    /// InnoDB crash recovery with the binlog as coordinator: prepared transactions
    /// that reached the binlog are committed.
    mutating func recoverPrepared() {
        for index in preparedInBinlog { apply(binlog[index].change, txid: binlog[index].txid) }
        preparedInBinlog.removeAll()
    }

    /// The row with the highest key (what `ORDER BY id DESC LIMIT 1` reads).
    public func latest(_ t: Table) -> (key: Int64, row: Row)? {
        let s = table(t)
        guard let row = s.rows[s.maxKey] else { return nil }
        return (s.maxKey, row)
    }

    /// Inlined with `GTIDSet.insert`'s common case: one call less per commit.
    @inline(__always)
    mutating func markExecuted(_ g: GTID) { gtidExecuted.insert(g) }

    /// Seeds identical starting data on every server (the hot rows exist everywhere).
    public mutating func seedRows(_ table: Table, count: Int) {
        update(table) { s in
            for k in 1...Int64(max(1, count)) { s.rows[k] = Row(value: 0, txid: 0) }
            s.maxKey = Int64(max(1, count))
            s.autoIncrement = Int64(count) + 1
        }
    }
}

/// One table's rows and InnoDB's counters for it.
struct TableState: Sendable {
    var rows = RowTable()
    /// Next auto-increment value (InnoDB's counter).
    var autoIncrement: Int64 = 1
    /// The highest key with a row (what `latest` reads).
    var maxKey: Int64 = 0
}

/// The before image of one engine commit, kept until its redo is on disk.
struct EngineUndo: Sendable {
    var table: Table
    var key: Int64
    var before: Row?
    var txid: Int64
    var at: SimTime
}
