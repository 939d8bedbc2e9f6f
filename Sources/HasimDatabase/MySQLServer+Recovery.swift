import HasimKernel
@_spi(Oracle) import HasimNetwork

// Start-up, crash and InnoDB crash recovery: what a mysqld keeps across a death
// (tables, binlog, master.info) and what it loses (sessions, threads, relay log).

extension MySQLServer {
    // MARK: block devices (DRBD, shared disk)

    /// Commits since the last checkpoint: the redo crash recovery replays.
    public var redoPending: Int { commitsSinceCheckpoint }
    /// A cluster manager, not the init system, starts a cluster-managed mysqld.
    public func setAutostart(_ on: Bool) { config.autostart = on }
    /// Clean stop (a standby's mysqld that the cluster manager keeps stopped).
    public func stop() {
        guard state != .down else { return }
        sim.record(name, .mysqlStopped, "")
        network.processDied(process)
        // A clean shutdown flushes the binlog, the redo log and the position files.
        storage.binlogSynced = storage.binlog.count
        storage.redoTail.removeAll()
        storage.redoTailHead = 0
        execPositionSynced = execPosition
        ioPositionSynced = sourcePosition
        loseVolatileState()
    }
    /// Mounts a filesystem holding `storage` as the datadir (mysqld must be down);
    /// the next start replays `redoPending` transactions. Not a replica any more.
    public func mount(_ storage: Storage, redoPending: Int) {
        guard state == .down else { return }
        self.storage = storage
        commitsSinceCheckpoint = redoPending
        source = nil
    }

    // MARK: lifecycle

    /// Starts mysqld now: the process is up at once, accepts connections after
    /// start-up and InnoDB crash recovery.
    public func start(immediately: Bool = false) {
        guard host.isUp, state == .down else { return }
        network.processStarted(process)
        state = .starting
        let redo = Time.scaled(config.redoApplyPerTransaction, Int64(commitsSinceCheckpoint))
        let delay = immediately ? 0 : Time.sum(config.startupTime, redo)
        sim.record(name, .mysqlStarting, immediately ? "" : "start-up \(Time.format(config.startupTime)) + redo replay \(Time.format(redo))")
        sim.schedule(after: delay, handler, tag: Tag.ready.rawValue, arg: life)
    }

    func becomeReady() {
        state = .running
        storage.recoverPrepared()
        semiSyncOn = config.semiSync.sourceEnabled
        commitsSinceCheckpoint = 0
        nextCheckpoint = sim.now + config.checkpointInterval
        readOnly = config.readOnlyAtStartup
        superReadOnly = false
        network.listen(process, port: config.port, self)
        sim.record(name, .mysqlReady, readOnly ? "read_only=ON" : "read_only=OFF")
        // skip_slave_start=OFF: a configured replica starts its threads on boot.
        if source != nil { startReplicaThreads() }
    }

    /// mysqld dies (kill -9, OOM); the host and its TCP stack stay up.
    public func crash() {
        guard state != .down else { return }
        sim.record(name, .processCrash, "mysqld")
        network.processDied(process)
        loseUnflushedWrites(host: false)
        loseVolatileState()
    }

    public func hostDidCrash() {
        loseUnflushedWrites(host: true)
        loseVolatileState()
    }

    public func hostDidRestart() {
        if config.autostart { start() }
    }

    func loseVolatileState() {
        state = .down
        life += 1
        sessions.removeAll()
        // Slots count from 0 again, as the emptied array and free list did.
        pending.removeAll()
        stalledCommits.removeAll()
        // A read lock belongs to a session: it ends with the process.
        readLocked = false
        lockWaiters.removeAll()
        ioGeneration += 1
        resetApplier()
        if config.diskFsync != nil {
            // Commits waiting for an fsync are never acknowledged.
            redoDisk.lose()
            binlogDisk.lose()
        }
        ioConnection = nil
        ioState = "No"
        sqlRunning = false
        semiSyncOn = false
        ackedIndex.removeAll()
        semiSyncWaits.removeAll()
        semiSyncHead = 0
        lockedRows.removeAll()
        rowWaiters.removeAll()
        // relay_log_recovery=ON (the crash-safe setting): the relay log is discarded
        // and the IO thread fetches again from what was executed.
        relayLog.removeAll()
        relayIndex.removeAll()
        lastReceivedGTID = nil
        relayPos = 0
        retrieved = GTIDSet()
    }

}
