import HasimKernel
import HasimNetwork

// Client sessions and the SQL layer: statements, row locks, the commit path
// (engine + binlog + GTID) that replicas and semi-sync hang off.

extension MySQLServer {
    // MARK: client sessions

    public func accept(_ connection: Connection) -> ConnectionDelegate? {
        guard state == .running else { return nil }
        let s = Session(server: self, connection: connection)
        sessions.append(s)
        return s
    }

    func sessionClosed(_ s: Session) {
        sessions.removeAll { $0 === s }
    }

    /// KILL every client connection (what MMM does to the old writer).
    public func killClientSessions() {
        let victims = sessions.filter { !$0.isDump }
        for s in victims {
            network.close(s.connection, from: .server)
            sessions.removeAll { $0 === s }
        }
    }

    func reply(_ s: Session, _ id: Int64, _ result: QueryResult) {
        network.send(ResultMessage(id: id, result: result, server: nameIndex), on: s.connection, from: .server)
    }

    /// `reply(s, id, .ok(affected:insertID:))` without the `QueryResult` (the answer to each write).
    func replyOK(_ s: Session, _ id: Int64, affected: Int, insertID: Int64?) {
        // The connection lent at +0: the session holds it (a `let`) and the caller holds the
        // session; read as a plain property it was a retain and a release per answer.
        _ = Unmanaged.passUnretained(s.connection)._withUnsafeGuaranteedRef {
            network.send(ResultMessage(id: id, okAffected: affected, insertID: insertID, server: nameIndex),
                         on: $0, from: .server)
        }
    }

    func execute(_ query: Query, id: Int64, from s: Session) {
        guard state == .running else { return }
        switch query {
        case .insert(let table, let txid):
            executeWrite(table: table, isUpdate: false, key: 0, txid: txid, id: id, from: s)
        case .update(let table, let key, let txid):
            executeWrite(table: table, isUpdate: true, key: key, txid: txid, id: id, from: s)
        case .ping:
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .setReadOnly(let ro):
            if readOnly != ro { sim.record(name, .readOnly, ro ? "ON" : "OFF") }
            readOnly = ro
            // MySQL: read_only=OFF also turns super_read_only off.
            if !ro { superReadOnly = false }
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .setSuperReadOnly(let sro):
            if superReadOnly != sro { sim.record(name, .readOnly, sro ? "super_read_only=ON" : "super_read_only=OFF") }
            superReadOnly = sro
            if sro { readOnly = true }
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .stopReplica:
            stopReplicaThreads()
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .stopReplicaIOThread:
            stopReplica(.io)
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .startReplica:
            if source == nil { reply(s, id, .error(.notReplica)); return }
            startReplicaThreads()
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .resetReplicaAll:
            if sqlRunning || ioState != "No" { reply(s, id, .error(.replicaRunning)); return }
            if source != nil { sim.record(name, .sourceChanged, "RESET SLAVE ALL") }
            source = nil
            setPosition(nil)
            clearRelayLog()
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .changeSource(let address):
            if sqlRunning || ioState != "No" { reply(s, id, .error(.replicaRunning)); return }
            if config.flavor == .mysql && !config.gtidMode { reply(s, id, .error(.autoPositionNeedsGTIDs)); return }
            source = address
            clearRelayLog()
            // MariaDB with MASTER_USE_GTID=no and no coordinates: the start of the source's binlog.
            setPosition(config.replicatesByPosition ? 0 : nil)
            sim.record(name, .sourceChanged, "CHANGE MASTER TO \(address)")
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .showReplicaStatus:
            reply(s, id, .replicaStatus(replicaStatus))
        case .changeSourceToPosition(let address, let position):
            if sqlRunning || ioState != "No" { reply(s, id, .error(.replicaRunning)); return }
            source = address
            clearRelayLog()
            setPosition(position)
            sim.record(name, .sourceChanged, "CHANGE MASTER TO \(address) position \(position)")
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .showWsrepStatus, .setWsrepProviderOptions:
            // No wsrep provider loaded: an empty status, and the variable is not settable.
            reply(s, id, .empty)
        case .showMasterStatus:
            reply(s, id, .masterStatus(executed: storage.gtidExecuted, readOnly: readOnly, binlogPosition: storage.binlog.count))
        case .applyEvents(let events):
            // Run by a SUPER user (the failover tool): only super_read_only stops it.
            if superReadOnly { reply(s, id, .error(.superReadOnly)); return }
            var applied = 0
            for e in events where !storage.gtidExecuted.contains(e.gtid) {
                if let err = storage.conflict(e.change) {
                    reply(s, id, .error(err))
                    return
                }
                commit(e)
                applied += 1
            }
            reply(s, id, .ok(affected: applied, insertID: nil))
        case .killClientSessions:
            reply(s, id, .ok(affected: 0, insertID: nil))
            killClientSessions()
        case .flushTablesWithReadLock, .unlockTables, .skipReplicaEvent, .readBinlog:
            executeAdministrative(query, id: id, from: s)
        case .selectLatest(let table):
            if let (key, row) = storage.latest(table) {
                reply(s, id, .row(key: key, txid: row.txid))
            } else {
                reply(s, id, .empty)
            }
        }
    }

    /// A client's INSERT (`key` unused: the auto-increment one is reserved here) or UPDATE of
    /// row `key`, given by its fields: the session calls it straight from a packed query
    /// message, without building the `Query` (an enum that may hold references, copied and
    /// destroyed through value witnesses).
    func executeWrite(table: Table, isUpdate: Bool, key: Int64, txid: Int64, id: Int64, from s: Session) {
        guard state == .running else { return }
        if readOnly {
            reply(s, id, .error(.readOnly))
            return
        }
        if readLocked {
            let query: Query = isUpdate ? .update(table: table, key: key, txid: txid) : .insert(table: table, txid: txid)
            waitForReadLock(query, id: id, from: s)
            return
        }
        // InnoDB reserves the auto-increment value when the statement runs.
        let rowKey = isUpdate ? key : storage.nextKey(table, increment: config.autoIncrementIncrement,
                                                      offset: config.autoIncrementOffset)
        // The write built where it is stored (a `let` stored first was copied: a retain of the
        // session and a release). The slot freed last, else a new one: the numbers the array
        // and its free list gave.
        let slot = pending.store(PendingWrite(session: s, queryID: id, table: table, isUpdate: isUpdate, txid: txid, key: rowKey))
        let jitter = config.commitLatency / 4
        let normal = config.commitLatency - jitter / 2 + (jitter > 0 ? SimTime(rng.next(upperBound: UInt64(jitter))) : 0)
        let latency = diskSlowdown == 1 ? normal : Time.scaled(normal, by: diskSlowdown)
        sim.schedule(after: latency, handler, tag: Tag.commit.rawValue, arg: ((life & 0x7FFF_FFFF) << 32) | Int64(slot))
    }

    func finishWrite(_ slot: Int) {
        // Moved out of its slot, not copied (a copy retained the session and the query); the
        // slot is free from here on.
        guard let w = pending.take(slot) else { return }
        let change: RowChange
        let txid = w.txid
        var lockKey: Int64?
        if !w.isUpdate {
            let t = txid
            change = .insert(table: w.table, key: w.key, row: Row(value: t, txid: t))
            if let err = storage.conflictInPlace(change) {
                reply(w.session, w.queryID, .error(err))
                return
            }
        } else {
            let table = w.table, key = w.key, t = txid
            let rk = Int64(table.rawValue) << 56 | key
            if lockedRows.contains(rk) {
                // InnoDB row lock held by a transaction waiting for its semi-sync ACK: the write
                // waits in its slot again (the one just freed: the slot table reuses it first).
                rowWaiters[rk, default: []].append(pending.store(w))
                return
            }
            guard let row = storage.rowInPlace(table, key) else {
                // A no-op UPDATE is not logged in row format.
                replyOK(w.session, w.queryID, affected: 0, insertID: nil)
                return
            }
            change = .update(table: table, key: key, after: Row(value: row.value + 1, txid: t))
            lockKey = rk
        }
        // MySQL numbers each server's transactions; MariaDB's seq_no runs across the domain.
        let seq = config.flavor == .mariadb ? storage.gtidExecuted.highestSeq : storage.gtidExecuted.highest(of: config.serverID)
        let gtid = GTID(origin: config.serverID, seq: seq + 1)
        let event = BinlogEvent(gtid: gtid, txid: txid, change: change, originalCommit: sim.now,
                                commitGroup: currentCommitGroup)
        let insertID: Int64? = { if case .insert = change { return change.key } else { return nil } }()
        let mustWait = semiSyncOn && (config.semiSync.waitNoReplica || connectedSemiSyncReplicas > 0)
        if semiSyncOn && !mustWait { switchSemiSyncOff("no semi-sync replica connected (rpl_semi_sync_master_wait_no_slave=OFF)") }
        guard mustWait else {
            if let gate = commitGate {
                commit(event)
                // A replicated block device (DRBD) decides when the write is "written".
                let l = life, session = w.session, queryID = w.queryID
                gate(event) { [unowned(unsafe) self] in
                    guard self.life == l, self.state == .running else { return }
                    self.replyOK(session, queryID, affected: 1, insertID: insertID)
                }
                return
            }
            // Moved into the commit (the binlog keeps it): no gate needs it afterwards.
            commit(consume event, change: change)
            if config.diskFsync != nil {
                // The client's OK waits for the group commit's fsyncs.
                let l = life, session = w.session, queryID = w.queryID
                durable(binlog: true) { [unowned(unsafe) self] in
                    guard self.life == l, self.state == .running else { return }
                    self.replyOK(session, queryID, affected: 1, insertID: insertID)
                }
            } else {
                replyOK(w.session, w.queryID, affected: 1, insertID: insertID)
            }
            return
        }
        let index = storage.binlog.count
        if config.semiSync.waitPoint == .afterSync {
            // Binlog written and synced; the engine commit (visibility) waits for the ACK.
            storage.markExecuted(event.gtid)
            writeBinlog(event)
            storage.markPrepared(index)
            countCommit()
            if let rk = lockKey { lockedRows.insert(rk) }
            pumpDumpSessions()
        } else {
            commit(event)
            lockKey = nil
        }
        semiSyncWaits.append(SemiSyncWait(session: w.session, queryID: w.queryID, index: index,
                                          insertID: insertID, lockedRow: lockKey))
        sim.schedule(after: config.semiSync.timeout, handler, tag: Tag.semiSyncTimeout.rawValue,
                     arg: ((life & 0x7FFF_FFFF) << 32) | Int64(index))
        releaseAcknowledged()
    }

    /// Binlog, engine and GTID state move together (sync_binlog=1, XA with InnoDB).
    func commit(_ event: consuming BinlogEvent) {
        let change = event.change
        commit(event, change: change)
    }

    /// `commit` with the event's change as the caller built it (unpacking it again from the
    /// record was a call per client commit).
    func commit(_ event: consuming BinlogEvent, change: RowChange) {
        engineApply(change, txid: event.txid)
        storage.markExecuted(event.gtid)
        writeBinlog(event)
        countCommit()
        pumpDumpSessions()
    }

    @inline(__always)
    func countCommit() {
        if sim.now >= nextCheckpoint {
            commitsSinceCheckpoint = 0
            nextCheckpoint = sim.now + config.checkpointInterval
        }
        commitsSinceCheckpoint += 1
    }
}
