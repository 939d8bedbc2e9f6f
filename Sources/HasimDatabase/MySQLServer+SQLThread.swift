import HasimKernel
import HasimNetwork

// The replica SQL thread: applies the relay log in order; stops on an error.

extension MySQLServer {
    /// Transactions that may apply at once: the SQL thread alone is one worker.
    private var applyWorkers: Int { max(1, config.parallelWorkers) }

    /// Transactions handed to workers and not yet committed.
    var applyInFlight: Int { applyDone.count - applyDoneHead }

    /// Hands the next transactions of the relay log to free workers (the SQL thread as the
    /// coordinator). Each costs its apply time; they commit in relay-log order.
    ///
    /// Inlined up to the loop's first test: two of its three calls per replicated transaction
    /// find no worker free or nothing received, and a call cost more than those tests.
    @inline(__always)
    func sqlWake() {
        guard sqlRunning, workersBusy < applyWorkers, relayPos + applyInFlight < relayLog.count else { return }
        sqlHandOut()
    }

    private func sqlHandOut() {
        let workers = applyWorkers
        while workersBusy < workers, relayPos + applyInFlight < relayLog.count,
              applyInFlight == 0 || mayStart(relayLog[relayPos + applyInFlight]) {
            workersBusy += 1
            applyDone.append(false)
            let duration: SimTime
            if config.sqlApplySigma > 0 {
                let seconds = diskSlowdown / max(config.sqlThreadRate, 1e-9)
                duration = Time.fromSeconds(applyRNG.logNormal(median: seconds, sigma: config.sqlApplySigma))
            } else {
                duration = fixedApplyTime
            }
            let serial = applyHeadSerial + Int64(applyInFlight - 1)
            sim.schedule(after: duration, handler, tag: Tag.applied.rawValue,
                         arg: (sqlGeneration & 0x7FFF_FFFF) << 32 | (serial & 0xFFFF_FFFF))
        }
    }

    /// A transaction's apply time without the spread: the same arithmetic as the spread's
    /// median, done again only when the disk's slowdown or the rate changed (a division and a
    /// rounding through libm per applied transaction otherwise).
    private var fixedApplyTime: SimTime {
        let rate = config.sqlThreadRate
        if applyTimeFor.slowdown != diskSlowdown || applyTimeFor.rate != rate {
            applyTimeFor = (diskSlowdown, rate, Time.fromSeconds(diskSlowdown / max(rate, 1e-9)))
        }
        return applyTimeFor.time
    }

    /// Whether `event` may start while the transactions in flight (some) have not committed.
    private func mayStart(_ event: BinlogEvent) -> Bool {
        switch config.parallelMode {
        case .conservative, .logicalClock:
            // A transaction of the same source group commit as the last one handed out (they
            // prepared together on the source, so none waits for another's row), or any once
            // every transaction in flight has reached its commit (MariaDB's group_commit_orderer:
            // the next group starts while the previous one waits for its fsyncs).
            let last = relayLog[relayPos + applyInFlight - 1]
            return (event.commitGroup != 0 && last.commitGroup == event.commitGroup)
                || !applyDone[applyDoneHead...].contains(false)
        case .optimistic:
            // A row one in flight writes: the real worker would hit the lock, roll back and retry.
            for e in relayLog[relayPos..<(relayPos + applyInFlight)]
            where e.change.table == event.change.table && e.change.key == event.change.key { return false }
            return true
        }
    }

    /// A worker finished executing transaction `arg` (generation and serial).
    func sqlApplied(_ arg: Int64) {
        guard arg >> 32 == sqlGeneration & 0x7FFF_FFFF, sqlRunning else { return }
        let i = Int((arg & 0xFFFF_FFFF) - (applyHeadSerial & 0xFFFF_FFFF))
        guard i >= 0, i < applyInFlight else { return }
        applyDone[applyDoneHead + i] = true
        commitInOrder()
    }

    /// Commits the finished transactions at the head of the relay log, in order
    /// (slave_preserve_commit_order; MariaDB always). A commit waits for the disk when
    /// disk_fsync is modelled: commits that queue meanwhile share the next fsync.
    /// Inlined into its one caller: the call's entry and exit, per applied transaction.
    @inline(__always)
    private func commitInOrder() {
        while sqlRunning, applyDoneHead < applyDone.count, applyDone[applyDoneHead] {
            // The head moves on, and the committed entries go 1,024 at a time (a removeFirst, or
            // a removeAll, per transaction was a uniqueness check and a memmove call).
            applyDoneHead += 1
            if applyDoneHead >= 1024 {
                applyDone.removeFirst(applyDoneHead)
                applyDoneHead = 0
            }
            applyHeadSerial += 1
            let event = relayLog[relayPos]
            // Read off the record once: each read of `change` unpacks it again.
            let gtid = event.gtid, change = event.change
            // gtid_mode=ON skips what gtid_executed already has; with OFF nothing tells it.
            if !config.skipsByGTIDSet || !storage.gtidExecuted.contains(gtid) {
                if let err = storage.conflictInPlace(change) {
                    sqlRunning = false
                    resetApplier()
                    lastSQLError = err
                    let failure = ReplicationFailure(time: sim.now, thread: "sql", error: err, gtid: gtid)
                    replicationFailures.append(failure)
                    sim.record(name, .replicationError,
                               "Slave SQL thread stopped: Error '\(err.message)' on query. Error_code: \(err.code); GTID \(gtid)")
                    return
                }
                engineApply(change, txid: event.txid)
                storage.markExecuted(gtid)
                slavePos = gtid  // MariaDB's mysql.gtid_slave_pos, written in the same transaction
                if config.logSlaveUpdates {
                    // Moved into the binlog: the relay log's read was this transaction's +1
                    // (passed as a copy, it was another retain, and a release at the loop's end).
                    writeBinlog(consume event)
                    pumpDumpSessions()
                }
                if relayPos < relayIndex.count { noteExecuted(sourceIndex: relayIndex[relayPos]) }
                relayPos += 1
                guard config.diskFsync != nil else {
                    // No disk model: durable at once, as `durable` would call back right here;
                    // without the closure it would allocate for every applied transaction.
                    workersBusy -= 1
                    sqlWake()
                    continue
                }
                let g = sqlGeneration
                durable(binlog: config.logSlaveUpdates) { [unowned(unsafe) self] in
                    guard self.sqlGeneration == g else { return }
                    self.workersBusy -= 1
                    self.sqlWake()
                }
            } else {
                if relayPos < relayIndex.count { noteExecuted(sourceIndex: relayIndex[relayPos]) }
                relayPos += 1
                workersBusy -= 1
            }
        }
        if applyInFlight == 0 && relayPos > 4096 && relayPos * 2 > relayLog.count {
            relayLog.removeFirst(relayPos)  // relay_log_purge
            relayIndex.removeFirst(min(relayPos, relayIndex.count))
            relayPos = 0
        }
        sqlWake()
    }

    /// Calls `done` once this commit is on disk: the redo fsync (innodb_flush_log_at_trx_commit=1)
    /// then, when it writes a binlog, the binlog fsync (sync_binlog=1). Without a disk model,
    /// at once (the cost is inside commit_latency / sql_thread_rate).
    func durable(binlog: Bool, _ done: @escaping () -> Void) {
        guard config.diskFsync != nil else { done(); return }
        let syncBinlog = binlog && config.syncBinlog == 1
        let afterRedo: () -> Void = syncBinlog ? { [unowned(unsafe) self] in self.binlogDisk.commit(done) } : done
        if config.innodbFlushLogAtTrxCommit == 1 { redoDisk.commit(afterRedo) } else { afterRedo() }
    }

    /// The group commit a commit arriving now belongs to on this server: the commits that
    /// queue behind one fsync. 0 (applied alone by a conservative replica) without a disk
    /// model or when no fsync is waited for (a group is then only the commits written together).
    /// Inlined: without a disk model (the benches) it is the first test alone, per client commit.
    @inline(__always)
    var currentCommitGroup: Int64 {
        guard config.diskFsync != nil else { return 0 }
        // MariaDB's commit_id is the binlog group commit (with sync_binlog=0 it only gathers the
        // few commits written together: taken as none here); MySQL's last_committed marks the
        // transactions that prepared together, i.e. shared a redo fsync.
        let n: Int
        if config.syncBinlog == 1 {
            n = binlogDisk.nextGroup
        } else if config.flavor == .mysql && config.innodbFlushLogAtTrxCommit == 1 {
            n = redoDisk.nextGroup
        } else {
            return 0
        }
        return Int64(config.serverID) << 40 | Int64(n)
    }

    /// The applier stops: work in flight is dropped (its events stay in the relay log).
    func resetApplier() {
        sqlGeneration += 1
        workersBusy = 0
        applyDone.removeAll()
        applyDoneHead = 0
        stalledApplies.removeAll()
    }

    /// What the files on this host hold that `set` lacks, in order: the binary log
    /// (readable even when mysqld is dead, as MHA's save_binary_logs reads it over
    /// SSH) and, while mysqld runs, the relay log's received but unapplied events.
    public func eventsOnDisk(notIn set: GTIDSet) -> [BinlogEvent] {
        var seen = set
        var out: [BinlogEvent] = []
        // Past what `set` holds without reading each event (MHA asks for a failover's few
        // missing transactions at the end of a binary log of hundreds of thousands).
        let log = storage.binlog
        var i = log.skipPacked(heldIn: seen, from: 0)
        while i < log.count {
            let e = log[i]
            if !seen.contains(e.gtid) {
                out.append(e)
                seen.insert(e.gtid)
            }
            i = log.skipPacked(heldIn: seen, from: i + 1)
        }
        if relayPos < relayLog.count {
            for e in relayLog[relayPos...] where !seen.contains(e.gtid) {
                out.append(e)
                seen.insert(e.gtid)
            }
        }
        return out
    }

    /// save_binary_logs on this host: the binary log from event `index` on, read from the
    /// files (mysqld may be dead); nil if those files were purged.
    public func binlogEvents(from index: Int) -> [BinlogEvent]? {
        guard index >= storage.binlogPurged else { return nil }
        return index < storage.binlog.count ? Array(storage.binlog[index...]) : []
    }

    /// apply_diff_relay_logs --command=generate on this host: the relay-log events that came
    /// from source position `position` on; nil if the relay log no longer starts that early
    /// (relay_log_purge removed it, or nothing from that source is left).
    public func relayLogEvents(fromSourcePosition position: Int) -> [BinlogEvent]? {
        guard let read = sourcePosition else { return nil }
        if position >= read { return [] }
        guard let first = relayIndex.first, first <= position else { return nil }
        let start = relayIndex.firstIndex { $0 >= position } ?? relayIndex.count
        return Array(relayLog[start..<min(relayLog.count, relayIndex.count)])
    }

    /// GTIDs this server has executed or received (Executed_Gtid_Set ∪ Retrieved_Gtid_Set).
    public var knownGTIDs: GTIDSet { storage.gtidExecuted.union(retrieved) }
}
