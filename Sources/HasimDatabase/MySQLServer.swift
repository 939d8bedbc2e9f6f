import HasimKernel
import HasimNetwork

extension TraceKind {
    public static let mysqlReady = TraceKind("mysql_ready")
    public static let mysqlStarting = TraceKind("mysql_starting")
    public static let mysqlStopped = TraceKind("mysql_stopped")
    public static let replicationError = TraceKind("replication_error")
    public static let replicationIOError = TraceKind("replication_io_error")
    public static let replicationConnected = TraceKind("replication_connected")
    public static let replicaStarted = TraceKind("replica_started")
    public static let replicaStopped = TraceKind("replica_stopped")
    public static let readOnly = TraceKind("read_only")
    public static let sourceChanged = TraceKind("source_changed")
    /// Rpl_semi_sync_master_status went OFF (timeout) or back ON (a replica caught up).
    public static let semiSyncOff = TraceKind("semi_sync_off")
    public static let semiSyncOn = TraceKind("semi_sync_on")
}

/// A replication thread stopped by an error: a "replication crash".
public struct ReplicationFailure: Sendable, Equatable {
    public var time: SimTime
    /// "sql" or "io".
    public var thread: String
    public var error: MySQLError
    /// The transaction it stopped on.
    public var gtid: GTID?
}

/// A mysqld on a host: InnoDB tables and binary log (durable), client sessions,
/// binlog dump threads for its replicas, and, as a replica, an IO thread and an
/// SQL thread. Everything it does goes through the network; it never sleeps.
public final class MySQLServer: EventHandler, Listener, HostLifecycleObserver {
    public enum State: String, Sendable { case down, starting, running }

    public let name: String
    public let process: NetProcess
    public private(set) var config: ServerConfig
    public private(set) var storage = Storage()
    public private(set) var state: State = .down
    public private(set) var readOnly = false
    public private(set) var superReadOnly = false
    /// CHANGE MASTER TO target, kept in mysql.slave_master_info (durable).
    public private(set) var source: IPAddress?
    public private(set) var replicationFailures: [ReplicationFailure] = []

    let sim: Simulation
    let network: Network
    private var handler: HandlerID!
    private var rng: SimRandom
    /// Bumped on every crash: events of an earlier life are ignored.
    private var life: Int64 = 0

    private var sessions: [Session] = []
    private var pending: [PendingWrite?] = []
    private var freePending: [Int] = []
    private var commitsSinceCheckpoint: Int = 0
    private var nextCheckpoint: SimTime = 0

    // Replica side.
    private var relayLog: [BinlogEvent] = []
    private var relayPos = 0
    private var retrieved = GTIDSet()
    private var ioState = "No"
    private var ioGeneration: Int64 = 0
    private var ioConnection: Connection?
    private var ioLastReceive: SimTime = 0
    private var lastIOError: MySQLError?
    private var sqlRunning = false
    private var sqlBusy = false
    private var sqlGeneration: Int64 = 0
    private var lastSQLError: MySQLError?

    // Semi-sync, source side.
    public private(set) var semiSyncOn = false
    private var ackedIndex: [UInt32: Int] = [:]
    private var semiSyncWaits: [SemiSyncWait] = []
    private var semiSyncHead = 0
    /// Rows locked by transactions waiting (AFTER_SYNC) for their ACK, and writes queued behind them.
    private var lockedRows = Set<Int64>()
    private var rowWaiters: [Int64: [Int]] = [:]
    // File/position replication: the next source binlog index to ask for.
    private var sourcePosition: Int?

    struct SemiSyncWait {
        var session: Session
        var queryID: Int64
        var index: Int
        var insertID: Int64?
        var lockedRow: Int64?
        var released = false
    }

    private enum Tag: UInt32 { case commit = 1, applied = 2, ready = 3, semiSyncTimeout = 4 }

    struct PendingWrite {
        var session: Session
        var queryID: Int64
        var query: Query
        var key: Int64
    }

    public init(name: String, host: Host, network: Network, config: ServerConfig) {
        self.name = name
        self.network = network
        self.sim = network.sim
        self.config = config
        self.process = network.spawn("mysqld", on: host)
        self.rng = network.sim.random("mysqld/\(name)")
        handler = sim.register(self)
        process.observer = self
        // The process starts "not running" until `boot` has recovered it.
        network.processDied(process)
        nextCheckpoint = config.checkpointInterval
    }

    public var host: Host { process.host }

    /// Seeds starting data identical on every server (before the run starts).
    public func seed(hotRows: Int) { storage.seedRows(.counters, count: hotRows) }

    /// Sets where this server replicates from at start (as its my.cnf/master.info would).
    public func configureReplica(of address: IPAddress) { source = address }

    public func setReadOnlyAtStartup(_ ro: Bool) { config.readOnlyAtStartup = ro }

    // MARK: block devices (DRBD, shared disk)

    /// Optional: called with each client commit after the local write; the commit is
    /// acknowledged when it calls back (DRBD protocol A/B/C). nil: acknowledged at once.
    public var commitGate: ((BinlogEvent, @escaping () -> Void) -> Void)?
    /// Commits since the last checkpoint: the redo crash recovery replays.
    public var redoPending: Int { commitsSinceCheckpoint }
    /// A cluster manager, not the init system, starts a cluster-managed mysqld.
    public func setAutostart(_ on: Bool) { config.autostart = on }
    /// Clean stop (a standby's mysqld that the cluster manager keeps stopped).
    public func stop() {
        guard state != .down else { return }
        sim.record(name, .mysqlStopped, "")
        network.processDied(process)
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
        let redo = SimTime(commitsSinceCheckpoint) * config.redoApplyPerTransaction
        let delay = immediately ? 0 : config.startupTime + redo
        sim.record(name, .mysqlStarting, immediately ? "" : "start-up \(Time.format(config.startupTime)) + redo replay \(Time.format(redo))")
        sim.schedule(after: delay, handler, tag: Tag.ready.rawValue, arg: life)
    }

    private func becomeReady() {
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
        loseVolatileState()
    }

    public func hostDidCrash() { loseVolatileState() }

    public func hostDidRestart() {
        if config.autostart { start() }
    }

    private func loseVolatileState() {
        state = .down
        life += 1
        sessions.removeAll()
        pending.removeAll()
        freePending.removeAll()
        ioGeneration += 1
        sqlGeneration += 1
        ioConnection = nil
        ioState = "No"
        sqlRunning = false
        sqlBusy = false
        semiSyncOn = false
        ackedIndex.removeAll()
        semiSyncWaits.removeAll()
        semiSyncHead = 0
        lockedRows.removeAll()
        rowWaiters.removeAll()
        // relay_log_recovery=ON (the crash-safe setting): the relay log is discarded
        // and the IO thread fetches again from what was executed.
        relayLog.removeAll()
        relayPos = 0
        retrieved = GTIDSet()
    }

    public func handle(_ event: Event, in sim: Simulation) {
        switch Tag(rawValue: event.tag) {
        case .commit:
            let slot = Int(event.arg & 0xFFFF_FFFF)
            if event.arg >> 32 == life & 0x7FFF_FFFF { finishWrite(slot) }
        case .applied:
            if event.arg == sqlGeneration { sqlApplyNext() }
        case .ready:
            if event.arg == life, state == .starting { becomeReady() }
        case .semiSyncTimeout:
            if event.arg >> 32 == life & 0x7FFF_FFFF { semiSyncTimedOut(index: Int(event.arg & 0xFFFF_FFFF)) }
        case nil:
            break
        }
    }

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
        network.send(ResultMessage(id: id, result: result, server: name), on: s.connection, from: .server)
    }

    func execute(_ query: Query, id: Int64, from s: Session) {
        guard state == .running else { return }
        switch query {
        case .insert(let table, _), .update(let table, _, _):
            if readOnly {
                reply(s, id, .error(.readOnly))
                return
            }
            var key: Int64 = 0
            if case .insert = query {
                // InnoDB reserves the auto-increment value when the statement runs.
                key = storage.nextKey(table, increment: config.autoIncrementIncrement, offset: config.autoIncrementOffset)
            } else if case .update(_, let k, _) = query {
                key = k
            }
            let item = PendingWrite(session: s, queryID: id, query: query, key: key)
            let slot: Int
            if let f = freePending.popLast() { pending[f] = item; slot = f } else { pending.append(item); slot = pending.count - 1 }
            let jitter = config.commitLatency / 4
            let latency = config.commitLatency - jitter / 2 + (jitter > 0 ? SimTime(rng.next(upperBound: UInt64(jitter))) : 0)
            sim.schedule(after: latency, handler, tag: Tag.commit.rawValue, arg: ((life & 0x7FFF_FFFF) << 32) | Int64(slot))
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
        case .startReplica:
            if source == nil { reply(s, id, .error(.notReplica)); return }
            startReplicaThreads()
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .resetReplicaAll:
            if sqlRunning || ioState != "No" { reply(s, id, .error(.replicaRunning)); return }
            if source != nil { sim.record(name, .sourceChanged, "RESET SLAVE ALL") }
            source = nil
            sourcePosition = nil
            clearRelayLog()
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .changeSource(let address):
            if sqlRunning || ioState != "No" { reply(s, id, .error(.replicaRunning)); return }
            source = address
            clearRelayLog()
            sourcePosition = nil
            sim.record(name, .sourceChanged, "CHANGE MASTER TO \(address)")
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .showReplicaStatus:
            reply(s, id, .replicaStatus(replicaStatus))
        case .changeSourceToPosition(let address, let position):
            if sqlRunning || ioState != "No" { reply(s, id, .error(.replicaRunning)); return }
            source = address
            clearRelayLog()
            sourcePosition = position
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
        case .selectLatest(let table):
            if let (key, row) = storage.latest(table) {
                reply(s, id, .row(key: key, txid: row.txid))
            } else {
                reply(s, id, .empty)
            }
        }
    }

    private func finishWrite(_ slot: Int) {
        guard let w = pending[slot] else { return }
        let change: RowChange
        let txid: Int64
        var lockKey: Int64?
        switch w.query {
        case .insert(let table, let t):
            txid = t
            change = .insert(table: table, key: w.key, row: Row(value: t, txid: t))
            if let err = storage.conflict(change) {
                releasePending(slot)
                reply(w.session, w.queryID, .error(err))
                return
            }
        case .update(let table, let key, let t):
            txid = t
            let rk = Int64(table.rawValue) << 56 | key
            if lockedRows.contains(rk) {
                // InnoDB row lock held by a transaction waiting for its semi-sync ACK.
                rowWaiters[rk, default: []].append(slot)
                return
            }
            guard let row = storage.row(table, key) else {
                // A no-op UPDATE is not logged in row format.
                releasePending(slot)
                reply(w.session, w.queryID, .ok(affected: 0, insertID: nil))
                return
            }
            change = .update(table: table, key: key, after: Row(value: row.value + 1, txid: t))
            lockKey = rk
        default:
            releasePending(slot)
            return
        }
        releasePending(slot)
        let gtid = GTID(origin: config.serverID, seq: storage.gtidExecuted.highest(of: config.serverID) + 1)
        let event = BinlogEvent(gtid: gtid, txid: txid, change: change, originalCommit: sim.now)
        let insertID: Int64? = { if case .insert = change { return change.key } else { return nil } }()
        let mustWait = semiSyncOn && (config.semiSync.waitNoReplica || connectedSemiSyncReplicas > 0)
        if semiSyncOn && !mustWait { switchSemiSyncOff("no semi-sync replica connected (rpl_semi_sync_master_wait_no_slave=OFF)") }
        guard mustWait else {
            commit(event)
            if let gate = commitGate {
                // A replicated block device (DRBD) decides when the write is "written".
                let l = life, session = w.session, queryID = w.queryID
                gate(event) { [weak self] in
                    guard let self, self.life == l, self.state == .running else { return }
                    self.reply(session, queryID, .ok(affected: 1, insertID: insertID))
                }
            } else {
                reply(w.session, w.queryID, .ok(affected: 1, insertID: insertID))
            }
            return
        }
        let index = storage.binlog.count
        if config.semiSync.waitPoint == .afterSync {
            // Binlog written and synced; the engine commit (visibility) waits for the ACK.
            storage.markExecuted(event.gtid)
            storage.appendBinlog(event)
            storage.markPrepared(index)
            countCommit()
            if let rk = lockKey { lockedRows.insert(rk) }
            for s in sessions where s.isDump { s.pump() }
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

    private func releasePending(_ slot: Int) {
        pending[slot] = nil
        freePending.append(slot)
    }

    /// Binlog, engine and GTID state move together (sync_binlog=1, XA with InnoDB).
    private func commit(_ event: BinlogEvent) {
        storage.apply(event.change, txid: event.txid)
        storage.markExecuted(event.gtid)
        storage.appendBinlog(event)
        countCommit()
        for s in sessions where s.isDump { s.pump() }
    }

    private func countCommit() {
        if sim.now >= nextCheckpoint {
            commitsSinceCheckpoint = 0
            nextCheckpoint = sim.now + config.checkpointInterval
        }
        commitsSinceCheckpoint += 1
    }

    // MARK: semi-sync (source side)

    private var connectedSemiSyncReplicas: Int { sessions.filter { $0.isDump && $0.isSemiSync }.count }

    /// Whether the event at `index` should be acknowledged: always while semi-sync
    /// is ON; while OFF, only the event at the end of the binlog, so that a replica
    /// that has caught up answers and semi-sync can switch on again (the plugin's
    /// updateSyncHeader / try_switch_on).
    func wantsAck(index: Int) -> Bool {
        semiSyncOn || (config.semiSync.sourceEnabled && index >= storage.binlog.count - 1)
    }

    func semiSyncAck(replica: UInt32, index: Int) {
        if index > ackedIndex[replica, default: -1] { ackedIndex[replica] = index }
        // "When at least one semisynchronous slave catches up, semisynchronous replication is resumed."
        if !semiSyncOn && config.semiSync.sourceEnabled && state == .running && index >= storage.binlog.count - 1 {
            semiSyncOn = true
            sim.record(name, .semiSyncOn, "replica server_id \(replica) caught up")
        }
        releaseAcknowledged()
    }

    /// Releases, in commit order, the waits that enough replicas have acknowledged.
    private func releaseAcknowledged() {
        let need = max(1, config.semiSync.waitForReplicaCount)
        while semiSyncHead < semiSyncWaits.count {
            let w = semiSyncWaits[semiSyncHead]
            var acks = 0
            for (_, acked) in ackedIndex where acked >= w.index { acks += 1 }
            guard acks >= need else { break }
            releaseWait(semiSyncHead)
        }
        compactWaits()
    }

    private func releaseWait(_ i: Int) {
        let w = semiSyncWaits[i]
        semiSyncHead = i + 1
        if w.released { return }
        semiSyncWaits[i].released = true
        if storage.preparedInBinlog.contains(w.index) { storage.commitPrepared(w.index) }
        reply(w.session, w.queryID, .ok(affected: 1, insertID: w.insertID))
        if let rk = w.lockedRow {
            lockedRows.remove(rk)
            if let waiters = rowWaiters.removeValue(forKey: rk) {
                for slot in waiters { finishWrite(slot) }
            }
        }
    }

    private func compactWaits() {
        if semiSyncHead > 1024 && semiSyncHead * 2 > semiSyncWaits.count {
            semiSyncWaits.removeFirst(semiSyncHead)
            semiSyncHead = 0
        } else if semiSyncHead == semiSyncWaits.count {
            semiSyncWaits.removeAll(keepingCapacity: true)
            semiSyncHead = 0
        }
    }

    private func semiSyncTimedOut(index: Int) {
        guard semiSyncHead < semiSyncWaits.count, semiSyncWaits[semiSyncHead].index <= index else { return }
        switchSemiSyncOff("Timeout waiting for reply of binlog position \(index), semi-sync up to \(ackedIndex.values.max() ?? -1)")
    }

    private func switchSemiSyncOff(_ why: String) {
        if semiSyncOn { sim.record(name, .semiSyncOff, why) }
        semiSyncOn = false
        // Every waiting commit returns: the source now runs asynchronously.
        while semiSyncHead < semiSyncWaits.count { releaseWait(semiSyncHead) }
        compactWaits()
    }

    // MARK: replica threads

    public var replicaStatus: ReplicaStatus? {
        guard source != nil else { return nil }
        let behind: SimTime?
        if !sqlRunning || ioState != "Yes" {
            behind = nil
        } else if relayPos < relayLog.count {
            behind = max(0, sim.now - relayLog[relayPos].originalCommit)
        } else {
            behind = 0
        }
        return ReplicaStatus(ioRunning: ioState, sqlRunning: sqlRunning, source: source,
                             lastIOError: lastIOError, lastSQLError: lastSQLError,
                             retrieved: retrieved, executed: storage.gtidExecuted,
                             relayLogPending: relayLog.count - relayPos, secondsBehind: behind)
    }

    /// Transactions received but not yet applied.
    public var relayLogBacklog: Int { relayLog.count - relayPos }

    private func clearRelayLog() {
        relayLog.removeAll()
        relayPos = 0
        retrieved = GTIDSet()
        lastIOError = nil
        lastSQLError = nil
    }

    public func startReplicaThreads() {
        guard state == .running, source != nil else { return }
        sim.record(name, .replicaStarted, "source \(source!)")
        if !sqlRunning {
            sqlRunning = true
            lastSQLError = nil
            sqlGeneration += 1
            sqlBusy = false
            sqlWake()
        }
        if ioState == "No" {
            lastIOError = nil
            ioConnect()
        }
    }

    public func stopReplicaThreads() {
        if sqlRunning || ioState != "No" { sim.record(name, .replicaStopped) }
        sqlRunning = false
        sqlBusy = false
        sqlGeneration += 1
        ioGeneration += 1
        if let c = ioConnection { network.close(c, from: .client) }
        ioConnection = nil
        ioState = "No"
    }

    private func ioConnect() {
        guard let source, state == .running else { return }
        ioGeneration += 1
        let gen = ioGeneration
        ioState = "Connecting"
        let link = ReplicaLink(server: self, generation: gen)
        network.connect(from: process, to: source, port: config.port, timeout: config.slaveNetTimeout,
                        delegate: link) { [weak self] result in
            guard let self, gen == self.ioGeneration else { return }
            switch result {
            case .success(let c):
                self.ioConnection = c
                self.ioState = "Yes"
                self.ioLastReceive = self.sim.now
                self.sim.record(self.name, .replicationConnected, "to \(source)")
                self.network.send(BinlogDumpRequest(replicaServerID: self.config.serverID,
                                                    gtids: self.storage.gtidExecuted.union(self.retrieved),
                                                    position: self.sourcePosition,
                                                    semiSync: self.config.semiSync.replicaEnabled),
                                  on: c, from: .client)
                self.armReadTimeout(gen)
            case .failure(let e):
                let err = MySQLError(code: 2003, message: "error connecting to master '\(source):\(self.config.port)' (\(e == .refused ? 111 : 110)) - retry-time: \(self.config.connectRetry / Time.second)")
                self.ioFailed(err, retryAfter: self.config.connectRetry)
            }
        }
    }

    private func ioFailed(_ err: MySQLError, retryAfter: SimTime) {
        lastIOError = err
        ioState = "Connecting"
        ioConnection = nil
        sim.record(name, .replicationIOError, "\(err.code) \(err.message)")
        ioGeneration += 1
        let gen = ioGeneration
        sim.after(retryAfter) { [weak self] in
            guard let self, gen == self.ioGeneration else { return }
            self.ioConnect()
        }
    }

    /// slave_net_timeout: no event or heartbeat for this long means the source is gone.
    private func armReadTimeout(_ gen: Int64) {
        let due = ioLastReceive + config.slaveNetTimeout
        sim.at(due) { [weak self] in
            guard let self, gen == self.ioGeneration, self.ioState == "Yes" else { return }
            if self.sim.now - self.ioLastReceive >= self.config.slaveNetTimeout {
                if let c = self.ioConnection { self.network.close(c, from: .client) }
                self.lastIOError = MySQLError(code: 2013, message: "Lost connection to MySQL server during query (read timeout \(self.config.slaveNetTimeout / Time.second)s)")
                self.sim.record(self.name, .replicationIOError, "2013 read timeout; reconnecting")
                self.ioConnection = nil
                self.ioConnect()
            } else {
                self.armReadTimeout(gen)
            }
        }
    }

    fileprivate func ioReceived(_ message: WireMessage, generation: Int64) {
        guard generation == ioGeneration else { return }
        ioLastReceive = sim.now
        if let m = message as? BinlogEventMessage {
            let g = m.event.gtid
            if sourcePosition != nil { sourcePosition = m.index + 1 }
            if !retrieved.contains(g) && !storage.gtidExecuted.contains(g) {
                relayLog.append(m.event)
                retrieved.insert(g)
                sqlWake()
            }
            // Semi-sync: ACK once the event is in the relay log (written and flushed).
            if m.needsAck && config.semiSync.replicaEnabled, let c = ioConnection {
                network.send(SemiSyncAck(replicaServerID: config.serverID, index: m.index), on: c, from: .client)
            }
        }
    }

    fileprivate func ioClosed(generation: Int64) {
        guard generation == ioGeneration, state == .running else { return }
        // The source's kernel answered RST/FIN: noticed at once, reconnect now.
        let err = MySQLError(code: 2013, message: "Lost connection to MySQL server during query")
        lastIOError = err
        sim.record(name, .replicationIOError, "2013 connection to source lost; reconnecting")
        ioConnection = nil
        ioConnect()
    }

    private func sqlWake() {
        guard sqlRunning, !sqlBusy, relayPos < relayLog.count else { return }
        sqlBusy = true
        let cost = Time.fromSeconds(1.0 / max(config.sqlThreadRate, 1e-9))
        sim.schedule(after: cost, handler, tag: Tag.applied.rawValue, arg: sqlGeneration)
    }

    private func sqlApplyNext() {
        sqlBusy = false
        guard sqlRunning, relayPos < relayLog.count else { return }
        let event = relayLog[relayPos]
        if !storage.gtidExecuted.contains(event.gtid) {
            if let err = storage.conflict(event.change) {
                sqlRunning = false
                lastSQLError = err
                let failure = ReplicationFailure(time: sim.now, thread: "sql", error: err, gtid: event.gtid)
                replicationFailures.append(failure)
                sim.record(name, .replicationError,
                           "Slave SQL thread stopped: Error '\(err.message)' on query. Error_code: \(err.code); GTID \(event.gtid)")
                return
            }
            storage.apply(event.change, txid: event.txid)
            storage.markExecuted(event.gtid)
            if config.logSlaveUpdates {
                storage.appendBinlog(event)
                for s in sessions where s.isDump { s.pump() }
            }
        }
        relayPos += 1
        if relayPos > 4096 && relayPos * 2 > relayLog.count {
            relayLog.removeFirst(relayPos)  // relay_log_purge
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

    // MARK: dump threads (source side)

    func binlogEvent(at index: Int) -> BinlogEvent? {
        index < storage.binlog.count ? storage.binlog[index] : nil
    }
    var binlogCount: Int { storage.binlog.count }
    var heartbeatPeriod: SimTime { config.heartbeatPeriod }
}

/// The IO thread's end of the replication connection.
final class ReplicaLink: ConnectionDelegate {
    weak var server: MySQLServer?
    let generation: Int64
    init(server: MySQLServer, generation: Int64) {
        self.server = server
        self.generation = generation
    }
    func received(_ message: WireMessage, on connection: Connection) {
        server?.ioReceived(message, generation: generation)
    }
    func closed(_ connection: Connection, reason: CloseReason) {
        server?.ioClosed(generation: generation)
    }
}

/// A client connection on the server: runs queries, or, after COM_BINLOG_DUMP,
/// becomes the binlog dump thread that streams events to a replica.
final class Session: ConnectionDelegate {
    unowned let server: MySQLServer
    let connection: Connection
    private(set) var isDump = false
    private(set) var isSemiSync = false
    private var replicaID: UInt32 = 0
    private var dumpPosition = 0
    private var replicaHas = GTIDSet()
    private var lastSent: SimTime = 0
    private var heartbeatArmed = false

    init(server: MySQLServer, connection: Connection) {
        self.server = server
        self.connection = connection
    }

    func received(_ message: WireMessage, on connection: Connection) {
        if let q = message as? QueryMessage {
            server.execute(q.query, id: q.id, from: self)
        } else if let ack = message as? SemiSyncAck {
            server.semiSyncAck(replica: ack.replicaServerID, index: ack.index)
        } else if let d = message as? BinlogDumpRequest {
            isDump = true
            isSemiSync = d.semiSync
            replicaID = d.replicaServerID
            // GTID auto-position sends what the replica lacks; file/position starts at the position.
            replicaHas = d.position == nil ? d.gtids : GTIDSet()
            dumpPosition = d.position ?? 0
            lastSent = server.sim.now
            pump()
            armHeartbeat()
        }
    }

    func closed(_ connection: Connection, reason: CloseReason) {
        server.sessionClosed(self)
    }

    /// Sends every binlog event the replica lacks, in binlog order.
    func pump() {
        guard connection.isOpen else { return }
        while let e = server.binlogEvent(at: dumpPosition) {
            let index = dumpPosition
            dumpPosition += 1
            if replicaHas.contains(e.gtid) { continue }
            server.network.send(BinlogEventMessage(event: e, index: index, needsAck: isSemiSync && server.wantsAck(index: index)),
                                on: connection, from: .server)
            lastSent = server.sim.now
        }
    }

    /// MASTER_HEARTBEAT_PERIOD: when idle, tell the replica we are alive.
    private func armHeartbeat() {
        let period = server.heartbeatPeriod
        guard period > 0 else { return }
        server.sim.at(lastSent + period) { [weak self] in
            guard let self, self.connection.isOpen, self.server.state == .running else { return }
            if self.server.sim.now - self.lastSent >= period {
                self.server.network.send(HeartbeatMessage(), on: self.connection, from: .server)
                self.lastSent = self.server.sim.now
            }
            self.armHeartbeat()
        }
    }
}
