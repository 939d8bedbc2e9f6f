import HasimKernel
import HasimNetwork

// The replica SQL thread: applies the relay log in order; stops on an error.

extension MySQLServer {
    func sqlWake() {
        guard sqlRunning, !sqlBusy, relayPos < relayLog.count else { return }
        sqlBusy = true
        var seconds = diskSlowdown / max(config.sqlThreadRate, 1e-9)
        if config.sqlApplySigma > 0 { seconds = applyRNG.logNormal(median: seconds, sigma: config.sqlApplySigma) }
        let cost = Time.fromSeconds(seconds)
        sim.schedule(after: cost, handler, tag: Tag.applied.rawValue, arg: sqlGeneration)
    }

    func sqlApplyNext() {
        sqlBusy = false
        guard sqlRunning, relayPos < relayLog.count else { return }
        let event = relayLog[relayPos]
        // gtid_mode=ON skips what gtid_executed already has; with OFF nothing tells it.
        if !config.skipsByGTIDSet || !storage.gtidExecuted.contains(event.gtid) {
            if let err = storage.conflict(event.change) {
                sqlRunning = false
                lastSQLError = err
                let failure = ReplicationFailure(time: sim.now, thread: "sql", error: err, gtid: event.gtid)
                replicationFailures.append(failure)
                sim.record(name, .replicationError,
                           "Slave SQL thread stopped: Error '\(err.message)' on query. Error_code: \(err.code); GTID \(event.gtid)")
                return
            }
            engineApply(event.change, txid: event.txid)
            storage.markExecuted(event.gtid)
            slavePos = event.gtid  // MariaDB's mysql.gtid_slave_pos, written in the same transaction
            if config.logSlaveUpdates {
                writeBinlog(event)
                for s in dumpSessions { s.pump() }
            }
        }
        if relayPos < relayIndex.count { noteExecuted(sourceIndex: relayIndex[relayPos]) }
        relayPos += 1
        if relayPos > 4096 && relayPos * 2 > relayLog.count {
            relayLog.removeFirst(relayPos)  // relay_log_purge
            relayIndex.removeFirst(min(relayPos, relayIndex.count))
            relayPos = 0
        }
        sqlWake()
    }

    /// What the files on this host hold that `set` lacks, in order: the binary log
    /// (readable even when mysqld is dead, as MHA's save_binary_logs reads it over
    /// SSH) and, while mysqld runs, the relay log's received but unapplied events.
    public func eventsOnDisk(notIn set: GTIDSet) -> [BinlogEvent] {
        var seen = set
        var out: [BinlogEvent] = []
        for e in storage.binlog where !seen.contains(e.gtid) {
            out.append(e)
            seen.insert(e.gtid)
        }
        if relayPos < relayLog.count {
            for e in relayLog[relayPos...] where !seen.contains(e.gtid) {
                out.append(e)
                seen.insert(e.gtid)
            }
        }
        return out
    }

    /// GTIDs this server has executed or received (Executed_Gtid_Set ∪ Retrieved_Gtid_Set).
    public var knownGTIDs: GTIDSet { storage.gtidExecuted.union(retrieved) }
}
