import HasimKernel
import HasimNetwork

/// A certified write-set waiting for its turn to commit (commits follow the total order).
struct CommitItem {
    var seqno: Int64
    var ws: WriteSet
    /// The local transaction it belongs to; nil for a remote write-set (an applier applies it).
    var local: Int64?
}

/// A local commit's answer waiting for the redo log's fsync.
struct DurableReply {
    var session: GaleraSession
    var queryID: Int64
    var insertID: Int64?
}

/// The applier marker in `rowLocks`.
private let applierLock: Int64 = -1

/// Local execution under InnoDB row locks, the ordered commit queue (wsrep commit order, one
/// applier thread), brute-force aborts of local transactions that hold a row an applier needs,
/// and gcs flow control.
extension GaleraNode {
    func submit(_ query: Query, id: Int64, from s: GaleraSession, retries: Int) {
        if donorLocks > 0 { lockedWrites.append((query, id, s)); return }
        let sequence = nextLocal
        nextLocal += 1
        let k: CertKey, isInsert: Bool
        switch query {
        case .insert(let table, _):
            k = CertKey(table: table.rawValue, key: storage.nextKey(table, increment: config.autoIncrementIncrement, offset: config.autoIncrementOffset))
            isInsert = true
        case .update(let table, let key, _):
            k = CertKey(table: table.rawValue, key: key)
            isInsert = false
        default:
            return
        }
        let lid = trx.reserve(sequence: sequence)
        trx.insert(lid, LocalTrx(session: s, queryID: id, query: query, retries: retries, key: k, isInsert: isInsert))
        if rowLocks[k] == GaleraRowIndex.none { acquire(lid) } else { lockWaiters[k, default: []].append(lid) }
    }

    /// The transaction holds its row: it executes, then replicates its write-set.
    private func acquire(_ lid: Int64) {
        let dependsOn = appliedSeqno
        guard let key = trx.update(lid, { t in t.phase = .executing; t.dependsOn = dependsOn; return t.key }) else { return }
        rowLocks[key] = lid
        // Parse and execute on the client's connection thread: a CPU burst on the host's machine.
        host.machine.compute(process, config.localCommit / 2, self, tag: GaleraBurst.executed, lid, life)
    }

    /// The statement has executed (GaleraBurst.executed): its write-set is ready.
    func executed(_ lid: Int64, life l: Int64) {
        // Read in place: copying the transaction out cost its query's copy and its session's retain.
        guard life == l, let aborted = trx.read(lid, { $0.aborted }) else { return }
        if aborted { retryOrFail(lid); return }
        let origin = index
        let ws = trx.read(lid) { t -> WriteSet? in
            switch t.query {
            case .insert(let table, let txid):
                WriteSet(origin: origin, table: table, key: t.key.key, isInsert: true, txid: txid, dependsOn: t.dependsOn)
            case .update(let table, let key, let txid):
                WriteSet(origin: origin, table: table, key: key, isInsert: false, txid: txid, dependsOn: t.dependsOn)
            default:
                nil
            }
        }
        if let ws = ws ?? nil { ready(lid, ws) }
    }

    private func ready(_ lid: Int64, _ ws: WriteSet) {
        trx.update(lid) { $0.ws = ws }
        if canSend { sendLocal(lid) } else { trx.update(lid) { $0.phase = .held }; held.append(lid) }
    }

    /// Neither a membership round nor flow control stops this node from replicating.
    var canSend: Bool { isPrimary && !installing && pausedBy & viewMask == 0 }

    private func sendLocal(_ lid: Int64) {
        let sending = trx.update(lid) { t -> WriteSet? in
            guard let ws = t.ws else { return nil }
            t.phase = .replicating
            return ws
        }
        guard let ws = sending ?? nil else { return }
        addReplicating(replicate(ws), lid)
    }

    func sendHeld() {
        guard canSend, !held.isEmpty else { return }
        let h = held
        held.removeAll()
        for lid in h where trx.read(lid, { $0.phase }) == .held { sendLocal(lid) }
    }

    /// The local write-set reached its place in the total order.
    func localDelivered(_ lid: Int64, seqno: Int64, certified: Bool) {
        guard trx.contains(lid) else { return }
        if certified {
            let ws = trx.update(lid) { t -> WriteSet in t.phase = .committing; return t.ws! }!
            enqueueCommit(CommitItem(seqno: seqno, ws: ws, local: lid))
        } else {
            certificationFailures += 1
            retryOrFail(lid)
        }
    }

    /// wsrep_retry_autocommit: the statement runs again; past the retries the client gets 1213.
    private func retryOrFail(_ lid: Int64) {
        guard let t = trx[lid] else { return }
        if t.retries < config.retryAutocommit {
            release(lid)
            trx.remove(lid)
            submit(t.query, id: t.queryID, from: t.session, retries: t.retries + 1)
        } else {
            failLocal(lid, .certificationDeadlock)
        }
    }

    func failLocal(_ lid: Int64, _ error: MySQLError) {
        guard let t = trx[lid] else { return }
        release(lid)
        trx.remove(lid)
        reply(t.session, t.queryID, .error(error))
    }

    /// Gives up the transaction's row lock; the next local waiter gets it.
    private func release(_ lid: Int64) {
        guard let k = trx.read(lid, { $0.key }), rowLocks[k] == lid else { return }
        unlock(k)
    }

    private func unlock(_ k: CertKey) {
        rowLocks[k] = GaleraRowIndex.none
        // Waiters are rare (one row per transaction, few hot rows): no hashing when there are none.
        while !lockWaiters.isEmpty, var w = lockWaiters[k], !w.isEmpty {
            let next = w.removeFirst()
            lockWaiters[k] = w.isEmpty ? nil : w
            if trx.contains(next) { acquire(next); return }
        }
    }

    // MARK: commit queue and appliers

    func enqueueCommit(_ item: CommitItem) {
        commitQueue.append(item)
        checkFlow()
        if !committing { commitNext(life) }
    }

    func resumeCommits() { commitNext(life) }

    private func commitNext(_ l: Int64) {
        // A read lock (FLUSH TABLES ... WITH READ LOCK) holds the ordered commits and the appliers.
        guard life == l, commitHead < commitQueue.count, !readLocked else { committing = false; return }
        committing = true
        let item = commitQueue[commitHead]
        var cost = item.local != nil ? config.localCommit / 2 : config.applyTime
        let k = CertKey(table: item.ws.table.rawValue, key: item.ws.key)
        if item.local == nil && !item.ws.isInsert {
            let holder = rowLocks[k]
            if holder != GaleraRowIndex.none && holder != applierLock {
                // The applier needs a row a local transaction holds: that transaction is ordered
                // after this write-set (or not at all), so it is brute-force aborted and rolled back.
                bfAbort(holder)
                cost += config.bfAbortTime
                // So is every local transaction queued for the row: a BF applier that has to wait
                // kills all the transactions with a lock on the record, granted or waiting
                // (MariaDB 10.6+ storage/innobase/lock/lock0lock.cc lock_wait_wsrep()). Each is
                // retried (wsrep_retry_autocommit) behind the applier, or fails with 1213.
                if let waiters = lockWaiters.removeValue(forKey: k) {
                    for w in waiters where trx.read(w, { $0.phase }) == .waitingLock {
                        bfAborts += 1
                        retryOrFail(w)
                    }
                }
            }
            rowLocks[k] = applierLock
        }
        // The ordered commit (or an applier's apply) burns CPU; the queue is one thread. The item
        // waits in `commitBursts` (not re-read from the queue: a state transfer may clear the
        // queue under a burst in flight).
        let slot = commitBursts.store(item)
        host.machine.compute(process, cost, self, tag: GaleraBurst.committed, Int64(slot), l)
    }

    /// The ordered commit (or apply) of the item in `commitBursts[slot]` is done.
    func committed(slot: Int, life l: Int64) {
        guard let item = commitBursts.take(slot) else { preconditionFailure("commit burst \(slot) names no item") }
        guard life == l else { return }
        let k = CertKey(table: item.ws.table.rawValue, key: item.ws.key)
        apply(item.ws)
        appliedSeqno = item.seqno
        commitHead += 1
        if commitHead > 1024 { commitQueue.removeFirst(commitHead); commitHead = 0 }
        // Only the reply's address is read: copying the whole transaction out cost its
        // query's copy and a retain and release per commit.
        if let lid = item.local, case let (session, queryID)? = trx.read(lid, { ($0.session, $0.queryID) }) {
            // Committed in memory in the total order: the row lock goes now (InnoDB releases
            // locks before the log flush); the client hears OK once the redo log is on disk.
            release(lid)
            trx.remove(lid)
            // The reply waits in a slot of `durableReplies`; the log's job names the slot (no
            // closure context per commit).
            let r = DurableReply(session: session, queryID: queryID, insertID: item.ws.isInsert ? item.ws.key : nil)
            let slot: Int
            if let f = durableFree.popFreeSlot() { slot = f; durableReplies[f] = r } else { slot = durableReplies.count; durableReplies.append(r) }
            redo.commit(self, tag: GaleraBurst.durable, Int64(slot), l)
        } else if rowLocks[k] == applierLock {
            unlock(k)
        }
        committed()
        checkFlow()
        commitNext(l)
    }

    /// The redo log covers the local commit in `durableReplies[slot]` (GaleraBurst.durable):
    /// the client hears OK.
    func durable(slot: Int, life l: Int64) {
        guard let r = durableReplies[slot] else { return }
        durableReplies[slot] = nil
        durableFree.append(slot)
        guard life == l else { return }
        reply(r.session, r.queryID, .ok(affected: 1, insertID: r.insertID))
    }

    private func bfAbort(_ lid: Int64) {
        guard let t = trx[lid], !t.aborted, t.phase != .committing else { return }
        bfAborts += 1
        trx.update(lid) { $0.aborted = true }
        // Rolled back: the row goes to the applier, not to the next local waiter.
        if rowLocks[t.key] == lid { rowLocks[t.key] = GaleraRowIndex.none }
        // Not yet replicated: the statement fails (or is retried) now. Replicating: it fails
        // certification when its turn comes, on every node alike.
        if t.phase == .held { retryOrFail(lid) }
    }

    func apply(_ ws: WriteSet) { Self.apply(ws, to: &storage) }

    // MARK: flow control

    /// gcs.fc_limit (scaled by sqrt(N) unless fc_master_slave) and gcs.fc_factor.
    /// upper = fc_limit x (fc_master_slave ? 1 : sqrt(members)) + 0.5 (gcs.cpp _set_fc_limits).
    public var effectiveFCLimit: Double {
        (Double(config.fcLimit) * (config.fcMasterSlave ? 1 : Double(max(1, view.count)).squareRoot()) + 0.5).rounded(.down)
    }
    /// lower = upper x fc_factor + 0.5.
    public var fcLowerLimit: Double { (effectiveFCLimit * config.fcFactor + 0.5).rounded(.down) }

    /// A Joined node's backlog does not count (gcs.cpp: fc_offset = the queue when it joined).
    func checkFlow() {
        guard state == .synced || state == .joined else { return }
        fcOffset = min(fcOffset, applyQueueLength)
        let q = Double(applyQueueLength - fcOffset)
        // The upper limit is at least gcs.fc_limit (its factor, sqrt(members) or 1, is >= 1):
        // a queue within it needs no square root (this runs twice per commit on every node).
        if !fcSent && q > Double(config.fcLimit) && q > effectiveFCLimit {
            fcSent = true
            flowControlSent += 1
            if flowControlSent == 1 { sim.record(name, .galeraFlowControl, "first FC_PAUSE: receive queue \(Int(q)) > \(Int(effectiveFCLimit))") }
            let m = GFlow(from: index, pause: true)
            for j in view { send(m, to: j) }
        } else if fcSent && q <= fcLowerLimit {
            fcSent = false
            let m = GFlow(from: index, pause: false)
            for j in view { send(m, to: j) }
        }
    }

    func flowChanged() {
        let paused = pausedBy & viewMask != 0
        if paused { if pauseStart == nil { pauseStart = sim.now } } else if let p = pauseStart {
            flowControlPaused += sim.now - p
            pauseStart = nil
        }
        sendHeld()
    }
}
