import HasimKernel

/// A client transaction on the node it was sent to.
struct LocalTrx {
    enum Phase { case waitingLock, executing, held, replicating, committing }
    var session: GaleraSession
    var queryID: Int64
    var query: Query
    var retries: Int
    var key: CertKey
    var isInsert: Bool
    var phase: Phase = .waitingLock
    var ws: WriteSet?
    /// The last seqno committed here when it started executing (its write-set's certification bound).
    var dependsOn: Int64 = 0
    /// Brute-force aborted by an applier: rolled back, its row lock given up.
    var aborted = false
}

/// The node's local transactions by id, without hashing: an id is its sequence number (creation
/// order, as the ids counted before) shifted left by `slotBits`, or'ed with the slot it occupies;
/// a slot is reused once its transaction ends, so the table is as large as the most
/// transactions in flight at once, and a lookup is an index and one comparison.
struct LocalTrxTable {
    private static let slotBits: Int64 = 20
    private static let slotMask: Int64 = (1 << slotBits) - 1

    private var slots: [LocalTrx?] = []
    /// The id occupying each slot, −1 if free.
    private var ids: [Int64] = []
    private var free: [Int] = []
    private var live = 0

    /// A new transaction's id from its sequence number (the slot is claimed by storing into it).
    mutating func reserve(sequence: Int64) -> Int64 {
        let slot: Int
        if let f = free.popFreeSlot() {
            slot = f
        } else {
            slot = slots.count
            precondition(Int64(slot) <= Self.slotMask, "more than 2^20 Galera transactions in flight on one node")
            slots.append(nil)
            ids.append(-1)
        }
        let id = sequence << Self.slotBits | Int64(slot)
        ids[slot] = id
        return id
    }

    subscript(id: Int64) -> LocalTrx? {
        // _read: a field read (`trx[id]?.key`) borrows the slot instead of copying the whole
        // transaction out (its session's retain, its query's copy).
        _read {
            let i = Int(id & Self.slotMask)
            if i < ids.count && ids[i] == id { yield slots[i] } else { yield nil }
        }
        _modify {
            let i = Int(id & Self.slotMask)
            if i < ids.count && ids[i] == id {
                let had = slots[i] != nil
                yield &slots[i]
                let has = slots[i] != nil
                if had && !has {
                    ids[i] = -1
                    free.append(i)
                    live -= 1
                } else if !had && has {
                    live += 1
                }
            } else {
                // Not (or no longer) a transaction of this table: reads nil, writes are dropped.
                var none: LocalTrx? = nil
                yield &none
            }
        }
    }

    // The hot paths below use plain functions, not the subscript's `_modify`: that coroutine
    // yields inside the array's own, so its frame did not fit the caller's buffer and was
    // malloc'ed and freed at every write (seven per write-set: 142 k in a 40 s Galera incident).

    /// Whether `id` is a transaction in flight.
    @inline(__always)
    func contains(_ id: Int64) -> Bool {
        let i = Int(id & Self.slotMask)
        return i < ids.count && ids[i] == id && slots[i] != nil
    }

    /// `body` of the transaction, read in place; nil if there is none.
    @inline(__always)
    func read<R>(_ id: Int64, _ body: (borrowing LocalTrx) -> R) -> R? {
        let i = Int(id & Self.slotMask)
        guard i < ids.count, ids[i] == id, let t = slots[i] else { return nil }
        return body(t)
    }

    /// Changes the transaction in place and returns what `body` does; nil if there is none.
    @inline(__always)
    mutating func update<R>(_ id: Int64, _ body: (inout LocalTrx) -> R) -> R? {
        let i = Int(id & Self.slotMask)
        guard i < ids.count, ids[i] == id, slots[i] != nil else { return nil }
        return body(&slots[i]!)
    }

    /// Stores the transaction of a reserved id (`trx[id] = t`). Taken as `consuming` and moved
    /// into its slot: a borrowed one was copied (its session retained, its query copied) and the
    /// caller's destroyed.
    mutating func insert(_ id: Int64, _ t: consuming LocalTrx) {
        let i = Int(id & Self.slotMask)
        guard i < ids.count, ids[i] == id else { return }
        if slots[i] == nil { live += 1 }
        slots[i] = consume t
    }

    /// Ends the transaction (`trx[id] = nil`): its slot is free again.
    mutating func remove(_ id: Int64) {
        let i = Int(id & Self.slotMask)
        guard i < ids.count, ids[i] == id, slots[i] != nil else { return }
        slots[i] = nil
        ids[i] = -1
        free.append(i)
        live -= 1
    }

    var isEmpty: Bool { live == 0 }

    /// Ids of the transactions in flight, oldest first.
    var sortedIDs: [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(live)
        for i in slots.indices where slots[i] != nil { out.append(ids[i]) }
        out.sort()
        return out
    }

    mutating func removeAll() { self = LocalTrxTable() }
}
