import HasimKernel
import HasimNetwork

// What reaches the disk and what a crash takes away: sync_binlog, innodb_flush_log_at_trx_commit,
// the replica's position files, binlog expiry. A process crash keeps what was handed to the OS
// (its page cache lives on); a host crash loses whatever was not yet fsynced or written back.
// Recovery is MySQL's two-phase recovery with the binlog as coordinator: gtid_executed is rebuilt
// from the binlog files, the engine keeps what its redo log holds.

extension MySQLServer {
    /// Writes one event to the binlog (flush stage) and fsyncs it when sync_binlog says so
    /// (one transaction is one commit group here).
    ///
    /// Inlined into its two callers (a client's commit, a replicated one), with expiry's test:
    /// the calls' entries and exits were 40 instructions of the 90 spent here per commit.
    @inline(__always)
    func writeBinlog(_ event: consuming BinlogEvent) {
        storage.appendBinlog(event, at: sim.now)
        let n = config.syncBinlog
        let count = storage.binlog.count
        if n > 0 && count - storage.binlogSynced >= n { storage.binlogSynced = count }
        // Nothing older than expiry's cutoff: its look would stop at once (every commit).
        if config.binlogExpire > 0 && sim.now - config.binlogExpire > storage.unpurgedWrittenAtLeast { expireBinlogs() }
        if count & (Self.forgetWriteTimesEvery - 1) == 0 { forgetBinlogWriteTimes() }
    }

    /// How often (in binlog events) the write times nothing reads again are let go: a
    /// column's chunk (`Chunked`), so each look frees at most a chunk or two.
    static let forgetWriteTimesEvery = 1 << 14

    /// Frees the binlog write times no crash and no expiry will read: 4 bytes an event per
    /// server, otherwise kept for the whole run. Exact, because both readers only move forward:
    /// - a host crash keeps the events the flusher has written back (`writtenBackBinlog`), whose
    ///   limit only grows with time: an event written back now is written back at any later crash;
    /// - expiry reads the time of the first unpurged event and stops at one not older than
    ///   `now − binlog_expire`. Times only grow with the index, so once that event was written
    ///   at or after `runEnd − binlog_expire` (the default 30 days against a run of minutes:
    ///   from the first event), no later one expires before the run ends either.
    private func forgetBinlogWriteTimes() {
        var n = writtenBackBinlog
        if config.binlogExpire > 0 {
            let w = storage.binlogWrittenAt, p = storage.binlogPurged
            let neverExpires = p < w.count && (p < w.forgotten || w[p] >= runEnd &- config.binlogExpire)
            if !neverExpires { n = min(n, p) }
        }
        storage.binlogWrittenAt.forget(before: n)
    }

    /// Engine commit. With innodb_flush_log_at_trx_commit 0 or 2 the before image is kept
    /// until the once-a-second redo flush has it.
    func engineApply(_ change: RowChange, txid: Int64) {
        let undoAt: SimTime? = config.innodbFlushLogAtTrxCommit == 1 ? nil : sim.now
        storage.apply(change, txid: txid, undoAt: undoAt)
        if undoAt != nil { trimRedoTail() }
    }

    /// The instant of the last redo flush by InnoDB's master thread (every innodb_flush_log_at_timeout).
    private var lastRedoFlush: SimTime {
        let every = max(config.innodbFlushLogAtTimeout, 1)
        return sim.now / every * every
    }

    private func trimRedoTail() {
        let flushed = lastRedoFlush
        while storage.redoTailHead < storage.redoTail.count && storage.redoTail[storage.redoTailHead].at <= flushed {
            storage.redoTailHead += 1
        }
        if storage.redoTailHead > 4096 && storage.redoTailHead * 2 > storage.redoTail.count {
            storage.redoTail.removeFirst(storage.redoTailHead)
            storage.redoTailHead = 0
        } else if storage.redoTailHead == storage.redoTail.count {
            storage.redoTail.removeAll(keepingCapacity: true)
            storage.redoTailHead = 0
        }
    }

    /// binlog_expire_logs_seconds: binlogs older than this are purged (MySQL does it at
    /// rotation and start-up; here event by event, an approximation of whole files).
    /// Called by `writeBinlog` once its cutoff is past `unpurgedWrittenAtLeast`.
    @inline(never)
    private func expireBinlogs() {
        let cutoff = sim.now - config.binlogExpire
        var purged = storage.binlogPurged
        // An event whose time was forgotten never expires in this run (forgetBinlogWriteTimes).
        while purged < storage.binlog.count && purged >= storage.binlogWrittenAt.forgotten
                && storage.binlogWrittenAt[purged] < cutoff { purged += 1 }
        storage.purgeBinlog(before: purged)
        let p = storage.binlogPurged, w = storage.binlogWrittenAt
        // The next event to expire: its time, or (none written yet) no earlier than now.
        storage.unpurgedWrittenAtLeast = p >= w.count ? sim.now : p < w.forgotten ? .max : w[p]
    }

    /// What the crash takes from the datadir. `host`: the machine lost power (page cache gone).
    func loseUnflushedWrites(host: Bool) {
        var lostRedo = 0, lostBinlog = 0
        // Redo: with 2 it is in the OS at each commit (a process crash keeps it); with 0 it sits
        // in mysqld's log buffer until the once-a-second write.
        let redoVolatile = config.innodbFlushLogAtTrxCommit == 0 || (host && config.innodbFlushLogAtTrxCommit == 2)
        trimRedoTail()
        if redoVolatile {
            let tail = storage.redoTail[storage.redoTailHead...]
            lostRedo = tail.count
            storage.rollBack(tail)
        }
        storage.redoTail.removeAll()
        storage.redoTailHead = 0
        if host {
            let before = storage.binlog.count
            storage.truncateBinlog(to: max(storage.binlogSynced, writtenBackBinlog))
            lostBinlog = before - storage.binlog.count
        }
        if lostRedo > 0 || lostBinlog > 0 {
            sim.record(name, .durabilityLoss,
                       "lost \(lostBinlog) binlog event(s) (sync_binlog=\(config.syncBinlog)), \(lostRedo) engine commit(s) (innodb_flush_log_at_trx_commit=\(config.innodbFlushLogAtTrxCommit))")
        }
        if config.replicatesByPosition && source != nil { recoverReplicaPosition(host: host) }
    }

    /// Binlog events the kernel's flusher has written back: dirty longer than dirty_expire
    /// at one of its wake-ups. The events whose times were forgotten were written back then.
    private var writtenBackBinlog: Int {
        let every = max(config.osWritebackInterval, 1)
        let limit = sim.now / every * every - config.osDirtyExpire
        var lo = storage.binlogWrittenAt.forgotten, hi = storage.binlogWrittenAt.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if storage.binlogWrittenAt[mid] <= limit { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// File/position replica after a crash: where its threads resume. Crash-safe only with
    /// relay_log_info_repository=TABLE (the position commits with the transaction) and
    /// relay_log_recovery=ON (the IO thread fetches again from that position); otherwise a
    /// stale relay-log.info or master.info makes it repeat (1062) or skip events.
    private func recoverReplicaPosition(host: Bool) {
        guard let exec = execPosition else { return }
        if !host {
            // The position files were written (not fsynced) after each event: the OS has them.
            sourcePosition = exec
            return
        }
        let execDurable = config.relayLogInfoRepository == .table ? exec : (execPositionSynced ?? exec)
        let resume = config.relayLogRecovery ? execDurable : (ioPositionSynced ?? execDurable)
        if resume != exec {
            sim.record(name, .sourceChanged,
                       "restart at source position \(resume), applied up to \(exec) (relay_log_info_repository=\(config.relayLogInfoRepository.rawValue), relay_log_recovery=\(config.relayLogRecovery ? "ON" : "OFF"))")
        }
        sourcePosition = resume
        execPosition = resume
        execPositionSynced = resume
        ioPositionSynced = resume
    }

    /// The SQL thread finished the event that came from source position `index`. Inlined: with
    /// GTID replication (the benches) it is the test alone, per applied transaction.
    @inline(__always)
    func noteExecuted(sourceIndex index: Int) {
        guard config.replicatesByPosition else { return }
        execPosition = index + 1
        appliedSinceInfoSync += 1
        if appliedSinceInfoSync >= max(1, config.syncRelayLogInfo) {
            execPositionSynced = execPosition
            appliedSinceInfoSync = 0
        }
    }

    /// The IO thread wrote the event from source position `index` to the relay log.
    func noteReceived(sourceIndex index: Int) {
        receivedSinceMasterInfoSync += 1
        if receivedSinceMasterInfoSync >= max(1, config.syncMasterInfo) {
            ioPositionSynced = index + 1
            receivedSinceMasterInfoSync = 0
        }
    }
}

extension TraceKind {
    /// A crash took writes that had not reached the disk.
    public static let durabilityLoss = TraceKind("durability_loss")
}
