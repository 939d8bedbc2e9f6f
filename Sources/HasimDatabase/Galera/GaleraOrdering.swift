import HasimKernel
import HasimNetwork

/// A write-set received but not yet delivered, with the members known to have received it.
struct PendingWriteSet {
    var stamp: Stamp
    var ws: WriteSet
    var receivedBy: UInt64
}

/// One of this node's write-sets in the group and its local transaction.
struct ReplicatingWriteSet {
    var stamp: Stamp
    var lid: Int64
}

/// Total order without a sequencer (EVS safe delivery, gcomm/src/evs_proto.cpp): every write-set
/// carries a Lamport stamp from its origin; every member acknowledges each write-set it receives to
/// every other member (evs's completing user message, `complete_user`). Once a member has every
/// member's acknowledgement of all write-sets up to s, nothing below s can still reach it: its
/// all-received-up-to (`aru_seq`) is s, and it tells every member so (the empty gap message evs sends
/// when its aru changed, `handle_user`). A write-set is safe, and delivered, once every member of
/// the view has reported an aru at or above it (`input_map_->is_safe`: seq <= safe_seq = min aru):
/// three one-way trips after the origin sent it, where one acknowledgement round would be two.
/// Galera sends write-sets O_SAFE (gcs/src/gcs_gcomm.cpp), so this is the commit path's latency.
/// Connections are FIFO, so a member's acknowledgement of stamp s arrives after every write-set
/// it sent with a lower stamp: all members deliver the same write-sets in the same order, and an
/// acknowledgement may overtake the write-set it acknowledges (it waits in `earlyAcks`).
extension GaleraNode {
    /// Sends one of this node's write-sets to the group.
    func replicate(_ ws: WriteSet) -> Stamp {
        clock += 1
        let stamp = Stamp(t: clock, origin: index)
        let members = view
        // gcomm sends one copy per member: each member costs the origin serialisation time.
        let cost = Time.scaled(config.perMemberSendCost, Int64(max(0, members.count - 1)))
        let l = life
        // Sent now (a later ack must not overtake it on a connection); the origin counts as having
        // it, and so delivers it, only once the copies are out.
        if let p = GPackedWriteSet(stamp: stamp, ws: ws) {
            broadcastInline(p, to: members)
        } else {
            broadcast(GWriteSet(stamp: stamp, ws: ws), to: members)
        }
        insertPending(stamp, ws, sending: true)
        host.machine.compute(process, cost, self, tag: GaleraBurst.sent, stamp.t, l)
        return stamp
    }

    func received(_ stamp: Stamp, _ ws: WriteSet) {
        guard state != .down, stamp > lastDelivered else { return }
        let bit: UInt64 = 1 << UInt64(stamp.origin)
        if installing {
            // During a membership round only what the sender sent before its join belongs to the
            // old view (it is in the sender's join too); later write-sets wait for the new view,
            // and a non-member's are dropped (the others may not have them).
            guard proposal.contains(stamp.origin) else { return }
            if stamp.origin != index, joins[stamp.origin]?.proposal == proposal { deferred.append((stamp, ws)); return }
        } else if viewMask & bit == 0 {
            return
        }
        insertPending(stamp, ws)
        if stamp.origin != index {
            clock = max(clock, stamp.t)
            broadcastToView(GAck(from: index, stamp: stamp, clock: clock))
        }
        deliverReady()
    }

    func insertPending(_ stamp: Stamp, _ ws: WriteSet, sending: Bool = false) {
        var i = pending.count
        while i > pendingHead && stamp < pending[i - 1].stamp { i -= 1 }
        if i > pendingHead && pending[i - 1].stamp == stamp { return }
        // Most write-sets arrive before any acknowledgement of them: no hashing then.
        let early = earlyAcks.isEmpty ? 0 : earlyAcks.removeValue(forKey: stamp) ?? 0
        let have: UInt64 = sending ? 0 : (1 << UInt64(index)) | (1 << UInt64(stamp.origin))
        pending.insert(PendingWriteSet(stamp: stamp, ws: ws, receivedBy: early | have), at: i)
        receivedPrefix = min(receivedPrefix, i)
    }

    func acked(_ stamp: Stamp, by j: Int) {
        guard stamp > lastDelivered else { return }
        if let i = pendingIndex(stamp) {
            pending.update(i) { $0.receivedBy |= 1 << UInt64(j) }
            deliverReady()
        } else if j == index {
            return
        } else {
            earlyAcks[stamp, default: 0] |= 1 << UInt64(j)
        }
    }

    @inline(__always)
    private func pendingIndex(_ stamp: Stamp) -> Int? {
        var lo = pendingHead, hi = pending.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pending[mid].stamp < stamp { lo = mid + 1 } else { hi = mid }
        }
        return lo < pending.count && pending[lo].stamp == stamp ? lo : nil
    }

    /// `j` has received every write-set up to `upTo` (its aru, from a gap message).
    func safeReported(_ upTo: Stamp, by j: Int) {
        guard upTo > safeUpTo[j] else { return }
        safeUpTo[j] = upTo
        deliverReady()
    }

    /// Advances this member's aru over the write-sets every member has acknowledged (telling the
    /// others when it moved), then delivers, in stamp order, every write-set that is safe: every
    /// member of the view has reported an aru at or above it.
    func deliverReady() {
        guard !installing, isPrimary else { return }
        // Entries before `receivedPrefix` were complete under the same view; bits are only ever
        // added, so the scan resumes there (an insertion before it lowers it, a new view resets it).
        if prefixMask != viewMask { receivedPrefix = pendingHead; prefixMask = viewMask }
        var i = receivedPrefix
        while i < pending.count, pending[i].receivedBy & viewMask == viewMask { i += 1 }
        receivedPrefix = i
        if i > pendingHead, pending[i - 1].stamp > safeUpTo[index] {
            safeUpTo[index] = pending[i - 1].stamp
            broadcastToView(GSafe(from: index, upTo: safeUpTo[index], clock: clock))
        }
        // The head is tested in place (no copy of the entry) and taken out only when delivered.
        while pendingHead < pending.count, pending[pendingHead].receivedBy & viewMask == viewMask,
              isSafe(pending[pendingHead].stamp) {
            let head = pending[pendingHead]
            popPending()
            deliverOrdered(head.stamp, head.ws)
        }
    }

    /// Takes the first undelivered write-set out: the head moves on rather than every later
    /// entry moving down (a memmove per delivery); the array is emptied, or its delivered
    /// entries dropped in one go, now and then.
    private func popPending() {
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll()
            receivedPrefix = 0; pendingHead = 0
        } else if pendingHead >= 1024 {
            pending.removeFirst(pendingHead)
            receivedPrefix -= pendingHead; pendingHead = 0
        }
    }

    func clearPending() {
        pending.removeAll(keepingCapacity: false)
        receivedPrefix = 0
        pendingHead = 0
    }

    private func isSafe(_ stamp: Stamp) -> Bool {
        // The view's members from its mask (the same set as `view`): no array retained per call.
        var m = viewMask
        while m != 0 {
            if safeUpTo[m.trailingZeroBitCount] < stamp { return false }
            m &= m - 1
        }
        return true
    }

    /// The write-set's place in the history: its seqno. A joiner keeps it for after its state
    /// transfer; a member certifies it and queues it for commit (local) or apply (remote).
    func deliverOrdered(_ stamp: Stamp, _ ws: WriteSet) {
        lastDelivered = stamp
        // Already in the state this joiner received.
        if stamp <= transferredUpTo { return }
        if state == .joiner || transferring {
            buffered.append((0, stamp, ws))
            return
        }
        lastSeqno += 1
        let seqno = lastSeqno
        gcache.append(seqno, capacity: config.gcacheWriteSets)
        let ok = certify(seqno, ws)
        if stamp.origin == index, let id = takeReplicating(stamp) {
            localDelivered(id, seqno: seqno, certified: ok)
        } else if ok {
            enqueueCommit(CommitItem(seqno: seqno, ws: ws, local: nil))
        }
    }

    /// This node's write-sets waiting for their place in the total order, by stamp: its stamps only
    /// grow (the Lamport clock), so they are appended in order and mostly leave from the front.
    func addReplicating(_ stamp: Stamp, _ lid: Int64) {
        var i = replicating.count
        while i > replicatingHead && stamp < replicating[i - 1].stamp { i -= 1 }
        replicating.insert(ReplicatingWriteSet(stamp: stamp, lid: lid), at: i)
    }

    /// The local transaction of this node's write-set `stamp`, removed from the waiting ones.
    func takeReplicating(_ stamp: Stamp) -> Int64? {
        var lo = replicatingHead, hi = replicating.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if replicating[mid].stamp < stamp { lo = mid + 1 } else { hi = mid }
        }
        guard lo < replicating.count, replicating[lo].stamp == stamp else { return nil }
        let lid = replicating[lo].lid
        if lo == replicatingHead {
            replicatingHead += 1
            if replicatingHead == replicating.count {
                replicating.removeAll(); replicatingHead = 0
            } else if replicatingHead > 1024 {
                replicating.removeFirst(replicatingHead); replicatingHead = 0
            }
        } else {
            replicating.remove(at: lo)
        }
        return lid
    }

    func clearReplicating() {
        replicating.removeAll(keepingCapacity: false)
        replicatingHead = 0
    }

    /// Deterministic on every member: a write-set fails if a write-set from another node, ordered
    /// after what its origin had committed, changed the same row.
    func certify(_ seqno: Int64, _ ws: WriteSet) -> Bool {
        let k = CertKey(table: ws.table.rawValue, key: ws.key)
        return cert.replace(k, with: CertEntry(seqno: seqno, origin: ws.origin).packed) { v in
            guard v != GaleraRowIndex.none else { return true }
            let e = CertEntry(packed: v)
            return !(e.seqno > ws.dependsOn && e.origin != ws.origin)
        }
    }

    /// The write-sets received and not delivered, for a join message.
    var undelivered: [(Stamp, WriteSet)] { pending.suffix(from: pendingHead).map { ($0.stamp, $0.ws) } }
}
