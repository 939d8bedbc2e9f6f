import HasimKernel
import HasimNetwork

// The semisync_master plugin: waiting for ACKs, timeout, switching OFF and ON.

extension MySQLServer {
    // MARK: semi-sync (source side)

    var connectedSemiSyncReplicas: Int { dumpSessions.reduce(0) { $0 + ($1.takeUnretainedValue().isSemiSync ? 1 : 0) } }

    /// Whether the event at `index` should be acknowledged: always while semi-sync
    /// is ON; while OFF, only the event at the end of the binlog, so that a replica
    /// that has caught up answers and semi-sync can switch on again (the plugin's
    /// updateSyncHeader / try_switch_on).
    func wantsAck(index: Int) -> Bool {
        semiSyncOn || (config.semiSync.sourceEnabled && index >= storage.binlog.count - 1)
    }

    func semiSyncAck(replica: UInt32, index: Int) {
        if index > ackedIndex[replica, default: -1] { ackedIndex[replica] = index }
        // MySQL 5.7+ (semisync_master.cc handleAck → AckContainer::insert): with
        // rpl_semi_sync_master_wait_for_slave_count > 1 an ACK is reported, and can switch
        // semi-sync back ON (try_switch_on), only once that many replicas have acknowledged
        // the position: one replica catching up alone does not turn it on.
        let need = max(1, config.semiSync.waitForReplicaCount)
        let end = storage.binlog.count - 1
        if !semiSyncOn && config.semiSync.sourceEnabled && state == .running && index >= end
            && replicasAcknowledged(end) >= need {
            semiSyncOn = true
            sim.record(name, .semiSyncOn, "\(need) replica(s) caught up (last: server_id \(replica))")
        }
        releaseAcknowledged()
    }

    /// How many replicas have acknowledged the event at `index` (a count: order-free).
    func replicasAcknowledged(_ index: Int) -> Int {
        var acks = 0
        for (_, acked) in ackedIndex where acked >= index { acks += 1 }
        return acks
    }

    /// Releases, in commit order, the waits that enough replicas have acknowledged.
    func releaseAcknowledged() {
        let need = max(1, config.semiSync.waitForReplicaCount)
        while semiSyncHead < semiSyncWaits.count {
            let w = semiSyncWaits[semiSyncHead]
            guard replicasAcknowledged(w.index) >= need else { break }
            releaseWait(semiSyncHead)
        }
        compactWaits()
    }

    func releaseWait(_ i: Int) {
        let w = semiSyncWaits[i]
        semiSyncHead = i + 1
        if w.released { return }
        semiSyncWaits[i].released = true
        if storage.preparedInBinlog.contains(w.index) { storage.commitPrepared(w.index) }
        replyOK(w.session, w.queryID, affected: 1, insertID: w.insertID)
        if let rk = w.lockedRow {
            lockedRows.remove(rk)
            if let waiters = rowWaiters.removeValue(forKey: rk) {
                for slot in waiters { finishWrite(slot) }
            }
        }
    }

    func compactWaits() {
        if semiSyncHead > 1024 && semiSyncHead * 2 > semiSyncWaits.count {
            semiSyncWaits.removeFirst(semiSyncHead)
            semiSyncHead = 0
        } else if semiSyncHead == semiSyncWaits.count {
            semiSyncWaits.removeAll(keepingCapacity: true)
            semiSyncHead = 0
        }
    }

    func semiSyncTimedOut(index: Int) {
        guard semiSyncHead < semiSyncWaits.count, semiSyncWaits[semiSyncHead].index <= index else { return }
        switchSemiSyncOff("Timeout waiting for reply of binlog position \(index), semi-sync up to \(ackedIndex.values.max() ?? -1)")
    }

    func switchSemiSyncOff(_ why: String) {
        if semiSyncOn { sim.record(name, .semiSyncOff, why) }
        semiSyncOn = false
        // Every waiting commit returns: the source now runs asynchronously.
        while semiSyncHead < semiSyncWaits.count { releaseWait(semiSyncHead) }
        compactWaits()
    }
}
