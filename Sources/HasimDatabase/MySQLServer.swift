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
    /// `name` interned (`ServerNames`): what each answer to a client carries.
    let nameIndex: UInt16
    public let process: NetProcess
    /// The process's (weak) observer in this object's place: see LifecycleRelay.
    private lazy var lifecycle = LifecycleRelay(self)
    public internal(set) var config: ServerConfig
    public internal(set) var storage = Storage()
    /// The instant the run stops at, when the runner knows it: no event is handled after it.
    /// Not a mysqld setting: it lets the binlog drop write times that binlog expiry could only
    /// read after it (see `forgetBinlogWriteTimes`). `.max`: unknown, every time is kept.
    public var runEnd: SimTime = .max
    public internal(set) var state: State = .down
    public internal(set) var readOnly = false
    public internal(set) var superReadOnly = false
    /// CHANGE MASTER TO target, kept in mysql.slave_master_info (durable).
    public internal(set) var source: IPAddress?
    public internal(set) var replicationFailures: [ReplicationFailure] = []

    let sim: Simulation
    let network: Network
    var handler: HandlerID!
    var rng: SimRandom
    /// Its own stream, so that turning the apply spread on moves no other draw.
    var applyRNG: SimRandom
    /// Bumped on every crash: events of an earlier life are ignored.
    var life: Int64 = 0

    var sessions: [Session] = [] { didSet { refreshDumpSessions() } }
    /// The binlog dump threads among `sessions`: every commit wakes them, so the commit path
    /// walks these few rather than every client session (60 in a pool).
    /// Held unretained: `sessions` (and each connection's end) keeps them alive, and a commit's
    /// walk then costs no retain and release of the array and of each session.
    private(set) var dumpSessions: [Unmanaged<Session>] = []
    func refreshDumpSessions() { dumpSessions = sessions.filter(\.isDump).map { Unmanaged.passUnretained($0) } }
    /// Every binlog dump thread sends what its replica lacks (after each binlog write). By
    /// index: a pump that changes `sessions` replaces the array, and the walk reads the new one.
    /// Inlined up to the test for none (a replica without replicas of its own, at each applied
    /// transaction: the call cost more than the test).
    @inline(__always)
    func pumpDumpSessions() {
        if !dumpSessions.isEmpty { pumpEachDumpSession() }
    }

    @inline(never)
    private func pumpEachDumpSession() {
        var i = 0
        while i < dumpSessions.count {
            dumpSessions[i]._withUnsafeGuaranteedRef { $0.pump() }
            i += 1
        }
    }
    /// Client writes between their execution and their commit, by slot (the commit event
    /// names the slot). The kernel's slot table: as an array of optionals with a free list
    /// beside it, each write's store and take were three uniqueness checks, a generic take of
    /// the optional and the free list's append (about 100 instructions a write, session 18).
    var pending = SlotTable<PendingWrite>()
    var commitsSinceCheckpoint: Int = 0
    var nextCheckpoint: SimTime = 0

    // Replica side.
    var relayLog: [BinlogEvent] = []
    var relayPos = 0
    var retrieved = GTIDSet()
    var ioState = "No"
    var ioGeneration: Int64 = 0
    var ioConnection: Connection?
    var ioLastReceive: SimTime = 0
    var lastIOError: MySQLError?
    var sqlRunning = false
    /// Transactions handed to workers from relayPos on, in relay order: finished or not;
    /// those before `applyDoneHead` have committed.
    var applyDone: [Bool] = []
    var applyDoneHead = 0
    var applyHeadSerial: Int64 = 0
    var workersBusy = 0
    /// The apply time last computed, and the slowdown and sql_thread_rate it was for.
    var applyTimeFor: (slowdown: Double, rate: Double, time: SimTime) = (.nan, .nan, 0)
    /// The datadir's files (diskFsync): the redo log and the binlog, each with group commit, both
    /// on the machine's disk (diskBatching).
    lazy var redoDisk = diskLog(fsync: config.diskFsync, stream: "disk/\(name)/redo")
    lazy var binlogDisk = diskLog(fsync: config.binlogFsync ?? config.diskFsync, stream: "disk/\(name)/binlog")
    private func diskLog(fsync: LatencyModel?, stream: String) -> RedoLog {
        let log = RedoLog(sim: sim, fsync: fsync, stream: stream)
        log.owner = process
        if config.diskBatching {
            // The first server on the machine sets the disk's properties (one mysql: section).
            let disk = host.machine.disk
            if disk.requests == 0 {
                disk.streaming = config.diskFlushStreaming
                disk.perRequest = config.diskFlushPerRequest
                disk.busy = config.diskFlushBusy
            }
            log.device = disk
        }
        return log
    }
    var sqlGeneration: Int64 = 0
    var lastSQLError: MySQLError?

    // Semi-sync, source side.
    public internal(set) var semiSyncOn = false
    var ackedIndex: [UInt32: Int] = [:]
    var semiSyncWaits: [SemiSyncWait] = []
    var semiSyncHead = 0
    /// Rows locked by transactions waiting (AFTER_SYNC) for their ACK, and writes queued behind them.
    var lockedRows = Set<Int64>()
    var rowWaiters: [Int64: [Int]] = [:]
    // File/position replication: the next source binlog index to ask for.
    var sourcePosition: Int?
    /// The source position of each relay-log event (file/position replication).
    var relayIndex: [Int] = []
    /// Exec_Master_Log_Pos: the source position after the last applied event (gtid_mode=OFF),
    /// and its copies as last fsynced (relay-log.info, master.info).
    var execPosition: Int?
    var execPositionSynced: Int?
    var ioPositionSynced: Int?
    var appliedSinceInfoSync = 0
    /// MariaDB: the last GTID applied by replication (mysql.gtid_slave_pos, durable) and the
    /// last one the IO thread wrote to the relay log (where a reconnect resumes).
    var slavePos: GTID?
    // Disk faults (MySQLServer+Faults.swift).
    public internal(set) var diskStalled = false
    var stalledCommits: [Int] = []
    var stalledApplies: [Int64] = []
    /// How many times slower than normal writes to disk are (1: healthy).
    public internal(set) var diskSlowdown: Double = 1
    // FLUSH TABLES WITH READ LOCK (MySQLServer+ReadLock.swift).
    public internal(set) var readLocked = false
    var lockWaiters: [LockWaiter] = []
    var lockWaitSerial: Int64 = 0
    var lastReceivedGTID: GTID?
    var receivedSinceMasterInfoSync = 0

    struct SemiSyncWait {
        var session: Session
        var queryID: Int64
        var index: Int
        var insertID: Int64?
        var lockedRow: Int64?
        var released = false
    }

    enum Tag: UInt32 { case commit = 1, applied = 2, ready = 3, semiSyncTimeout = 4, lockWaitTimeout = 5 }

    /// A client's INSERT or UPDATE between its execution and its commit. The statement is kept
    /// by its fields, not as a `Query`: a `Query` may hold references, and each copy or destroy
    /// of the slot was then an outlined value-witness call (two per write).
    struct PendingWrite {
        var session: Session
        var queryID: Int64
        var table: Table
        var isUpdate: Bool
        var txid: Int64
        /// The auto-increment key reserved for an insert; the row's key for an update.
        var key: Int64
    }

    /// Optional: called with each client commit after the local write; the commit is
    /// acknowledged when it calls back (DRBD protocol A/B/C). nil: acknowledged at once.
    public var commitGate: ((BinlogEvent, @escaping () -> Void) -> Void)?

    public init(name: String, host: Host, network: Network, config: ServerConfig) {
        self.name = name
        nameIndex = ServerNames.index(name)
        self.network = network
        self.sim = network.sim
        self.config = config
        self.process = network.spawn("mysqld", on: host)
        self.rng = network.sim.random("mysqld/\(name)")
        self.applyRNG = network.sim.random("mysqld/\(name)/apply")
        handler = sim.register(self)
        process.observer = lifecycle
        // The process starts "not running" until `boot` has recovered it.
        network.processDied(process)
        nextCheckpoint = config.checkpointInterval
    }

    public var host: Host { process.host }

    /// Seeds starting data identical on every server (before the run starts).
    public func seed(hotRows: Int) { storage.seedRows(.counters, count: hotRows) }

    /// Sets where this server replicates from at start (as its my.cnf/master.info would).
    public func configureReplica(of address: IPAddress) {
        source = address
        // gtid_mode=OFF: CHANGE MASTER TO MASTER_LOG_FILE/POS at the start of the source's binlog.
        if config.replicatesByPosition { setPosition(0) }
    }

    /// The replica's position files (master.info, relay-log.info) all at `position`.
    func setPosition(_ position: Int?) {
        sourcePosition = position
        execPosition = position
        execPositionSynced = position
        ioPositionSynced = position
        appliedSinceInfoSync = 0
        receivedSinceMasterInfoSync = 0
    }

    public func setReadOnlyAtStartup(_ ro: Bool) { config.readOnlyAtStartup = ro }


    public func handle(_ event: Event, in sim: Simulation) {
        // SIGSTOP: the thread this event wakes runs at SIGCONT.
        if process.isPaused {
            // unowned(unsafe), as every callback of the server: see Network.connect.
            process.whenRunnable { [unowned(unsafe) self] in self.handle(event, in: sim) }
            return
        }
        switch Tag(rawValue: event.tag) {
        case .commit:
            let slot = Int(event.arg & 0xFFFF_FFFF)
            guard event.arg >> 32 == life & 0x7FFF_FFFF else { return }
            // A stalled disk: the fsync of this commit does not return until the stall ends.
            if diskStalled { stalledCommits.append(slot) } else { finishWrite(slot) }
        case .applied:
            // A stalled disk: the worker's writes do not return until the stall ends.
            // A read lock: the applier waits for UNLOCK TABLES.
            if diskStalled || readLocked { stalledApplies.append(event.arg) } else { sqlApplied(event.arg) }
        case .ready:
            if event.arg == life, state == .starting { becomeReady() }
        case .semiSyncTimeout:
            if event.arg >> 32 == life & 0x7FFF_FFFF { semiSyncTimedOut(index: Int(event.arg & 0xFFFF_FFFF)) }
        case .lockWaitTimeout:
            if event.arg >> 32 == life & 0x7FFF_FFFF { lockWaitTimedOut(serial: event.arg & 0xFFFF_FFFF) }
        case nil:
            break
        }
    }
}
