import HasimKernel
import HasimNetwork

/// State transfer: a node entering a Primary Component it was not synced in asks a donor for the
/// state. IST sends the missing write-sets from the donor's gcache; SST copies the whole data
/// (mariabackup by default; rsync/mysqldump hold FLUSH TABLES WITH READ LOCK on the donor). The
/// joiner keeps the write-sets ordered meanwhile, applies them after the state (Joined), and is
/// Synced once it has caught up.
extension GaleraNode {
    func donate(to joiner: Int, joinerSeqno: Int64) {
        // A joiner may ask before this node has installed the view that makes it the donor.
        guard isPrimary && !installing else { stateRequests.append((joiner, joinerSeqno)); return }
        let oldest = gcache.from(next: lastSeqno + 1)
        // IST only if the joiner knows its position, its history is a prefix of ours and the gap
        // is still in the gcache.
        let ist = joinerSeqno >= 0 && joinerSeqno <= lastSeqno && joinerSeqno + 1 >= oldest
        let gap = lastSeqno - max(0, joinerSeqno)
        let rows = Table.allCases.reduce(0) { $0 + storage.rowCount($1) }
        let duration = ist ? Time.scaled(config.istPerWriteSet, Int64(gap))
                           : Time.sum(config.sstDuration, Time.scaled(config.sstPerRow, Int64(rows)))
        sim.record(name, .galeraStateTransfer, "\(ist ? "IST" : "SST") to \(peers[joiner].name): \(gap) write-sets, \(Time.format(duration))")
        // The state as of the last delivered write-set: what is committed plus what waits in the
        // commit queue; later write-sets reach the joiner through the group.
        var snap = storage
        for i in commitHead..<commitQueue.count { Self.apply(commitQueue[i].ws, to: &snap) }
        let t = GStateTransfer(storage: snap, seqno: lastSeqno, delivered: lastDelivered, cert: cert, ist: ist)
        let l = life
        let blocks = !ist && config.sstBlocksDonor
        if !ist { setState(.donor); donating = true }
        if blocks { donorLocks += 1 }
        afterRunnable(duration) { [unowned(unsafe) self] in
            guard self.life == l else { return }
            self.send(t, to: joiner)
            if !ist { self.donating = false }
            if !ist && self.state == .donor && !self.desynced { self.setState(.synced) }
            if blocks {
                self.donorLocks -= 1
                if self.donorLocks == 0 { self.releaseLockedWrites() }
            }
        }
    }

    func installState(_ t: GStateTransfer) {
        guard transferring else { return }
        let gap = t.seqno - max(0, appliedSeqno)
        transfers.append((sim.now, t.ist, gap))
        sim.record(name, .galeraStateTransfer, "\(t.ist ? "IST" : "SST") received up to seqno \(t.seqno)")
        storage = t.storage
        cert = t.cert
        lastSeqno = t.seqno
        appliedSeqno = t.seqno
        transferredUpTo = t.delivered
        commitQueue.removeAll(); commitHead = 0; committing = false
        gcache.removeAll()
        transferring = false
        setState(.joined)
        let b = buffered
        buffered.removeAll()
        for (_, stamp, ws) in b where stamp > t.delivered { deliverOrdered(stamp, ws) }
        // The backlog is applied under the joiner's own flow-control offset.
        fcOffset = applyQueueLength
        joinedAt = lastSeqno
        committed()
    }

    /// Requests that arrived before this node installed the view.
    func serveStateRequests() {
        guard isPrimary && !installing, !stateRequests.isEmpty else { return }
        let r = stateRequests
        stateRequests.removeAll()
        for (j, seqno) in r where view.contains(j) { donate(to: j, joinerSeqno: seqno) }
    }

    /// After each commit: a Joined node that has applied its backlog is Synced.
    func committed() {
        if state == .joined && appliedSeqno >= joinedAt { setState(.synced) }
    }

    static func apply(_ ws: WriteSet, to s: inout Storage) {
        if ws.isInsert {
            s.apply(.insert(table: ws.table, key: ws.key, row: Row(value: ws.txid, txid: ws.txid)), txid: ws.txid)
        } else {
            let v = (s.row(ws.table, ws.key)?.value ?? 0) + 1
            s.apply(.update(table: ws.table, key: ws.key, after: Row(value: v, txid: ws.txid)), txid: ws.txid)
        }
    }
}
