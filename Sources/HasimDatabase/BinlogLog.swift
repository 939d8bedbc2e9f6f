import HasimKernel

/// A server's binary log: its events by index, read as a collection of `BinlogEvent`.
///
/// Kept for the whole run, on every server, so it is a run's largest structure after the
/// ledger. The newest events (what the dump threads send, what the SQL threads apply) stay
/// whole, 1,024 to 2,047 of them in a ring; older ones are packed by column, about 10 bytes
/// an event (a fifth of them updates) instead of 64:
/// - the GTIDs as runs (consecutive sequence numbers of one origin: a run per failover),
/// - txid, key and commit group each in a byte, its distance from a base per 64 events plus
///   the event's index (`DenseTxids`: a client's inserts climb in step with the binlog),
/// - the original commit time in a `TimeColumn`,
/// - table and kind in a byte (columns grow by chunks, `Chunked`),
/// - an UPDATE's key and counted-up value in 32 bits each, in the order of the updates (found
///   by counting the updates of the event's block of 64): a hot row's key among climbing insert
///   keys would otherwise be kept apart in the key column, and push a block of 64 to whole
///   values once more than 8 of them (a fifth of the writes by default) share it;
/// - anything else (the row's txid differs from the transaction's, values past 32 bits) kept whole apart.
/// Reading an old event builds it again, equal to the one appended.
public struct BinlogLog: RandomAccessCollection, Sendable {
    /// Whole events past this many are packed, this many at a time, oldest first.
    static let keepRecent = 1_024
    /// The ring's room: the whole events never reach it (packed when they do).
    private static let ringSize = 2 * keepRecent
    /// Both parts in one box, copied on write: a copy of the log (each read of
    /// `storage.binlog` by a dump thread is one) costs one retain, as the array it replaces did,
    /// not one per column.
    private final class Store: @unchecked Sendable {  // mutated only when uniquely referenced
        var packed = PackedEvents()
        /// packed.count, kept apart: reading it through `packed` copies the columns.
        var packedCount = 0
        /// Events [packedCount, packedCount + recentCount), the k-th at ring[(head + k) % ringSize];
        /// nil until the first append. A ring, not an array: packing the oldest 1,024 moved the
        /// other 1,024 down (a 64 KB memmove, 1 instruction a byte under callgrind: 4.2 M of an
        /// MHA incident), and each append checked the array's uniqueness and capacity, though the
        /// store is unique by then and the count bounded. `head` is 0 or keepRecent: events are
        /// packed keepRecent at a time from it, and a truncation only shortens the tail.
        var ring: UnsafeMutablePointer<BinlogEvent>?
        var head = 0
        var recentCount = 0
        init() {}
        init(copying s: Store) {
            packed = s.packed
            packedCount = s.packedCount
            head = s.head
            recentCount = s.recentCount
            if let from = s.ring {
                let to = Store.allocateRing()
                ring = to
                for k in 0..<recentCount {
                    let j = (head + k) & (BinlogLog.ringSize - 1)
                    (to + j).initialize(to: from[j])
                }
            }
        }
        // BinlogEvent is trivial (no references): nothing to deinitialize, only the memory to free.
        deinit { ring?.deallocate() }

        static func allocateRing() -> UnsafeMutablePointer<BinlogEvent> {
            assert(_isPOD(BinlogEvent.self) && BinlogLog.ringSize & (BinlogLog.ringSize - 1) == 0)
            return .allocate(capacity: BinlogLog.ringSize)
        }

        /// The k-th whole event (k < recentCount: initialized).
        @inline(__always) func recent(_ k: Int) -> BinlogEvent { ring.unsafelyUnwrapped[(head + k) & (BinlogLog.ringSize - 1)] }
    }
    private var store = Store()

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { store.packedCount + store.recentCount }

    public subscript(i: Int) -> BinlogEvent {
        let s = store
        let n = s.packedCount
        guard i >= n else { return s.packed[i] }
        // Checked: the ring's reads are unchecked.
        precondition(i - n < s.recentCount, "index out of range")
        return s.recent(i - n)
    }

    /// Where a GTID auto-positioned reader (a dump thread, MHA's save_binary_logs) finds the
    /// next event `set` lacks, from `start`: past every packed event `set` holds, read by runs
    /// of consecutive GTIDs (one search in `set` per run, no event built). Returns `start`
    /// itself, or the first recent event's index, once in the recent part: the caller checks
    /// those one by one as before. A failover's new source walked its whole binary log
    /// (300,000 events at 1,000 writes/s), each packed read building the event again.
    public func skipPacked(heldIn set: GTIDSet, from start: Int) -> Int {
        let s = store
        guard start < s.packedCount, !set.isEmpty else { return start }
        return s.packed.firstIndex(from: start, notIn: set)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&store) { store = Store(copying: store) }
    }

    /// `e` consumed: the committing caller's copy moves into the log. Inlined into the
    /// commit (the call's entry and exit were 18 of its 47 instructions), the packing not.
    @inline(__always)
    mutating func append(_ e: consuming BinlogEvent) {
        makeUnique()
        let s = store
        let ring = s.ring ?? Store.allocateRing()
        s.ring = ring
        (ring + ((s.head + s.recentCount) & (Self.ringSize - 1))).initialize(to: e)
        s.recentCount += 1
        if s.recentCount == Self.ringSize { packOldest() }
    }

    /// Packs the oldest half of the ring (contiguous: head is 0 or keepRecent).
    @inline(never)
    private mutating func packOldest() {
        let s = store
        s.packed.append(contentsOf: UnsafeBufferPointer(start: s.ring.unsafelyUnwrapped + s.head, count: Self.keepRecent))
        s.head ^= Self.keepRecent
        s.recentCount -= Self.keepRecent
        s.packedCount = s.packed.count
    }

    /// Keeps the first n events.
    mutating func truncate(to n: Int) {
        guard n < count else { return }
        makeUnique()
        let s = store
        if n >= s.packedCount {
            s.recentCount = n - s.packedCount
        } else {
            s.recentCount = 0
            s.packed.truncate(to: n)
            s.packedCount = n
        }
    }
}

/// Binlog events by column (see `BinlogLog`).
struct PackedEvents: Sendable {
    /// Runs of consecutive GTIDs: event `start + k` is (origin, seq + k) until the next run.
    private var runStart: [Int] = []
    private var runOrigin: [UInt32] = []
    private var runSeq: [Int64] = []
    private var txids = DenseTxids()
    private var keys = DenseTxids()
    private var groups = DenseTxids()
    private var commits = TimeColumn()
    /// table (bits 0..<6) | update, in `updateKeys`/`updateValues` (6) | kept whole in
    /// `wholeChanges` (7).
    private var shapes = Chunked<UInt8>()
    /// Per block of 64 events, the updates before it (an update's place in the columns below).
    private var blockUpdates: [Int] = []
    private var updateKeys = Chunked<UInt32>()
    private var updateValues = Chunked<UInt32>()
    /// What the key column holds for an event whose key is elsewhere: the last insert's key,
    /// so the column stays a byte an entry.
    private var lastKey: Int64 = 0
    private var wholeIndex: [Int] = []
    private var wholeChanges: [RowChange] = []

    var count: Int { shapes.count }

    subscript(i: Int) -> BinlogEvent {
        let r = run(of: i)
        let gtid = GTID(origin: runOrigin[r], seq: runSeq[r] + Int64(i - runStart[r]))
        let txid = txids[i], shape = shapes[i]
        let change: RowChange
        if shape & 0x80 != 0 {
            change = wholeChanges[wholeIndex.firstPosition(atLeast: i)]
        } else if shape & 0x40 != 0 {
            let r = updatesBefore(i)
            change = .update(table: Table(rawValue: shape & 0x3F)!, key: Int64(updateKeys[r]),
                             after: Row(value: Int64(updateValues[r]), txid: txid))
        } else {
            change = .insert(table: Table(rawValue: shape & 0x3F)!, key: keys[i], row: Row(value: txid, txid: txid))
        }
        return BinlogEvent(gtid: gtid, txid: txid, change: change, originalCommit: commits[i], commitGroup: groups[i])
    }

    /// The first event at or after `start` whose GTID `set` lacks (count if none).
    func firstIndex(from start: Int, notIn set: GTIDSet) -> Int {
        var i = start
        guard i < count else { return i }
        var r = run(of: i)
        while i < count {
            let end = r + 1 < runStart.count ? runStart[r + 1] : count
            let first = runSeq[r] + Int64(i - runStart[r])
            let last = runSeq[r] + Int64(end - 1 - runStart[r])
            if let missing = set.firstMissing(origin: runOrigin[r], in: first...last) { return i + Int(missing - first) }
            i = end
            r += 1
        }
        return i
    }

    /// The updates packed in `updateKeys` among events [0, i).
    private func updatesBefore(_ i: Int) -> Int {
        var r = blockUpdates[i >> 6]
        for j in (i & ~63)..<i where shapes[j] & 0xC0 == 0x40 { r += 1 }
        return r
    }

    /// The run holding event i: the last run starting at or before it.
    private func run(of i: Int) -> Int {
        var lo = 0, hi = runStart.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if runStart[mid] <= i { lo = mid + 1 } else { hi = mid }
        }
        return lo - 1
    }

    /// Appends `events` in order, column by column: one pass for the runs, shapes and updates,
    /// then each dense column copied in at once (appended event by event, each column paid its
    /// checks and its chunk's uniqueness check for every event).
    mutating func append(contentsOf events: UnsafeBufferPointer<BinlogEvent>) {
        let n = events.count
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: 3 * n) { cols in
            withUnsafeTemporaryAllocation(of: SimTime.self, capacity: n) { times in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: n) { shapeBytes in
                    let start = shapes.count
                    // The open run (the last one), kept in locals: where its next GTID would be.
                    var runOpen = !runStart.isEmpty
                    var runNextOrigin = runOpen ? runOrigin[runOrigin.count - 1] : 0
                    var runNextSeq = runOpen ? runSeq[runSeq.count - 1] &+ Int64(start - runStart[runStart.count - 1]) : 0
                    for k in 0..<n {
                        let e = events.baseAddress! + k, i = start + k
                        let g = e.pointee.gtid
                        if !(runOpen && runNextOrigin == g.origin && runNextSeq == g.seq) {
                            runStart.append(i)
                            runOrigin.append(g.origin)
                            runSeq.append(g.seq)
                            runOpen = true
                            runNextOrigin = g.origin
                        }
                        runNextSeq = g.seq &+ 1
                        let txid = e.pointee.txid
                        cols[k] = txid
                        cols[n + k] = e.pointee.commitGroup
                        times[k] = e.pointee.originalCommit
                        let (t, key, value, rowTxid, update) = e.pointee.changeParts
                        let table = t.rawValue
                        if i & 63 == 0 { blockUpdates.append(updateKeys.count) }
                        if rowTxid == txid && table < 64 {
                            if !update && value == txid {
                                cols[2 * n + k] = key
                                lastKey = key
                                shapeBytes[k] = table
                                continue
                            }
                            if update, let uk = UInt32(exactly: key), let v = UInt32(exactly: value) {
                                cols[2 * n + k] = lastKey
                                updateKeys.append(uk)
                                updateValues.append(v)
                                shapeBytes[k] = table | 0x40
                                continue
                            }
                        }
                        cols[2 * n + k] = lastKey
                        shapeBytes[k] = 0x80
                        wholeIndex.append(i)
                        wholeChanges.append(e.pointee.change)
                    }
                    let c = UnsafeBufferPointer(cols)
                    txids.append(contentsOf: UnsafeBufferPointer(rebasing: c[0..<n]))
                    groups.append(contentsOf: UnsafeBufferPointer(rebasing: c[n..<(2 * n)]))
                    keys.append(contentsOf: UnsafeBufferPointer(rebasing: c[(2 * n)..<(3 * n)]))
                    commits.append(contentsOf: UnsafeBufferPointer(rebasing: UnsafeBufferPointer(times)[0..<n]))
                    shapes.append(contentsOf: UnsafeBufferPointer(rebasing: UnsafeBufferPointer(shapeBytes)[0..<n]))
                }
            }
        }
    }

    mutating func truncate(to n: Int) {
        guard n < shapes.count else { return }
        let updates = updatesBefore(n)
        updateKeys.truncate(to: updates)
        updateValues.truncate(to: updates)
        blockUpdates.removeSubrange(((n + 63) >> 6)...)
        while let last = runStart.last, last >= n {
            runStart.removeLast()
            runOrigin.removeLast()
            runSeq.removeLast()
        }
        txids.truncate(to: n)
        keys.truncate(to: n)
        groups.truncate(to: n)
        commits.truncate(to: n)
        shapes.truncate(to: n)
        let keep = wholeIndex.firstPosition(atLeast: n)
        wholeIndex.removeSubrange(keep...)
        wholeChanges.removeSubrange(keep...)
    }
}
