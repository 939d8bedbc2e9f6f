import HasimKernel
@_spi(Oracle) import HasimNetwork

/// A Galera (wsrep) node: one mysqld with the Galera provider loaded. Clients speak the
/// ordinary client protocol on `port`; members talk to each other on `groupPort`.
///
/// The node is split along Galera's own seams, one file each:
/// - GaleraMembership: EVS membership rounds and the Primary Component (quorum by weight);
/// - GaleraOrdering: total order of write-sets (no member is special) and certification;
/// - GaleraCommit: local transactions, row locks, the ordered commit queue, appliers and
///   brute-force aborts, flow control;
/// - GaleraStateTransfer: IST/SST and the Joiner/Joined/Synced/Donor states.
public final class GaleraNode: Listener, HostLifecycleObserver, DatabaseNode, ComputeTarget {
    /// wsrep_local_state_comment.
    public enum State: String, Sendable { case down, joiner, joined, synced, donor }

    public let name: String
    /// `name` interned (`ServerNames`): what each answer to a client carries.
    let nameIndex: UInt16
    public let index: Int
    public let process: NetProcess
    /// The process's (weak) observer in this object's place: see LifecycleRelay.
    private lazy var lifecycle = LifecycleRelay(self)
    public var config: GaleraConfig
    public internal(set) var storage = Storage()
    public internal(set) var state: State = .down
    public internal(set) var isPrimary = false
    /// Seqno of the last write-set delivered in total order (wsrep_last_received).
    public internal(set) var lastSeqno: Int64 = 0
    /// Seqno of the last write-set committed here (wsrep_last_committed; grastate.dat).
    public internal(set) var appliedSeqno: Int64 = 0
    /// Members of the current view (indexes, sorted), self included.
    public internal(set) var view: [Int] = []
    public internal(set) var viewID: Int64 = 0
    /// wsrep_local_cert_failures, wsrep_local_bf_aborts, state transfers received.
    public internal(set) var certificationFailures = 0
    public internal(set) var bfAborts = 0
    public internal(set) var transfers: [(at: SimTime, ist: Bool, gap: Int64)] = []
    /// Time this node was kept from sending by flow control, and FC_PAUSE messages it sent.
    public internal(set) var flowControlPaused: SimTime = 0
    public internal(set) var flowControlSent = 0

    let sim: Simulation
    let network: Network
    /// The host's clustercheck service, if installed (it holds the node, not the other way).
    public var clusterCheck: ClusterCheck?
    var peers: [GaleraNode] = []
    /// Bumped at every death: callbacks of an earlier life do nothing.
    var life: Int64 = 0
    /// When each peer was last heard from (evs inactivity check): written for every group message.
    let lastHeard = PeerTimes()
    var out = GroupConnections(count: 0)
    var connecting: [Bool] = []
    var connectedAt: [SimTime] = []
    var dialFailedAt: [SimTime] = []
    var queued: [[WireMessage]] = []
    var sessions: [GaleraSession] = []

    // Membership (GaleraMembership.swift).
    var viewMask: UInt64 = 0
    /// gvwstate.dat: the last Primary Component this node belonged to (survives restarts).
    var primaryView = PrimaryView(id: 0, members: [], lineage: "")
    /// Started since it last belonged to a Primary Component: its `primaryView` is what
    /// gvwstate.dat said (pc.recovery), not a component it is part of.
    var restoredView = false
    var installing = false
    var proposal: [Int] = []
    var round: Int64 = 0
    var roundStarted: SimTime = 0
    /// Rounds entered (GATHER), so a retransmission timer of an earlier round stops.
    var gather: Int64 = 0
    var lastJoinSent: SimTime = -Time.s(3600)
    /// Peers the last inactivity check found silent for evs.suspect_timeout.
    var suspectedMask: UInt64 = 0
    var joins: [GJoin?] = []
    var deferred: [(Stamp, WriteSet)] = []
    var bootstrapRequested = false
    var excludedUntil: [SimTime] = []

    // grastate.dat and InnoDB's wsrep position (GaleraNewCluster.swift): they survive restarts.
    /// grastate.dat's seqno: -1 while mysqld runs and after a crash, the position after a clean stop.
    var grastateSeqno: Int64 = -1
    /// grastate.dat's safe_to_bootstrap (replicator_smm.cpp: set when a Primary view has one member).
    var safeToBootstrap = false
    /// The wsrep XID InnoDB recovers (`mysqld --wsrep-recover`): the last committed seqno.
    var innodbSeqno: Int64 = 0

    // Ordering and certification (GaleraOrdering.swift).
    var clock: Int64 = 0
    /// Write-sets received and not delivered, by stamp, from `pendingHead` (the ones before it
    /// are delivered, dropped in batches).
    let pending = PlainBuffer<PendingWriteSet>()
    var pendingHead = 0
    /// How many of `pending`'s first entries every member of `prefixMask` is known to have:
    /// deliverReady resumes its scan there instead of at 0 on every acknowledgement.
    var receivedPrefix = 0
    var prefixMask: UInt64 = 0
    var earlyAcks: [Stamp: UInt64] = [:]
    /// Each member's all-received-up-to as it last reported it (this member's own included).
    /// (A fixed buffer held as a `let`, as `lastHeard`: read and written per group message.)
    let safeUpTo = PeerValues<Stamp>()
    var lastDelivered = Stamp.zero
    /// The certification index: each row's last certified write-set (CertEntry, packed).
    var cert: GaleraRowIndex
    /// The seqnos this node could still send by IST (GaleraGCache.swift).
    var gcache = GaleraGCache()

    // Local transactions, commit queue, flow control (GaleraCommit.swift).
    var nextLocal: Int64 = 1
    var trx = LocalTrxTable()
    /// This node's write-sets in the group, ascending by stamp, from `replicatingHead`.
    let replicating = PlainBuffer<ReplicatingWriteSet>()
    var replicatingHead = 0
    var held: [Int64] = []
    /// Each row's lock holder: a local transaction, `applierLock`, or GaleraRowIndex.none.
    var rowLocks = GaleraLockTable()
    var lockWaiters: [CertKey: [Int64]] = [:]
    var commitQueue: [CommitItem] = []
    /// Items whose commit burst is in flight, by slot (the burst names its slot).
    var commitBursts = SlotTable<CommitItem>()
    /// Local commits' answers waiting for the redo log (its job names the slot), and free slots.
    var durableReplies: [DurableReply?] = []
    var durableFree: [Int] = []
    var commitHead = 0
    var committing = false
    var fcSent = false
    var fcOffset = 0
    var pausedBy: UInt64 = 0
    var pauseStart: SimTime?

    /// gcomm's receive thread: group messages are handled one at a time, in arrival order.
    /// Made in init, not lazily: a lazy property's getter (an optional check, a retain and a
    /// release) ran for every group message received.
    let gcomm: GcommThread
    /// InnoDB's redo log on this host's disk: local commits are acknowledged once it is flushed.
    lazy var redo: RedoLog = {
        let log = RedoLog(sim: sim, fsync: config.diskFsync, stream: "disk/\(name)")
        log.owner = process
        return log
    }()

    // State transfer (GaleraStateTransfer.swift).
    var transferring = false
    var buffered: [(seqno: Int64, stamp: Stamp, ws: WriteSet)] = []
    var transferredUpTo = Stamp.zero
    var joinedAt: Int64 = 0
    var stateRequests: [(Int, Int64)] = []
    /// Local writes wait while > 0 (an rsync SST donor's lock, FLUSH TABLES WITH READ LOCK).
    var donorLocks = 0
    /// FLUSH TABLES ... WITH READ LOCK held: the appliers wait (GaleraDesync.swift).
    var readLocked = false
    /// wsrep_desync=ON (by FTWRL or SET GLOBAL): no flow control from this node.
    var desynced = false
    /// Serving an SST as donor.
    var donating = false
    var lockedWrites: [(Query, Int64, GaleraSession)] = []

    public init(name: String, index: Int, host: Host, network: Network, config: GaleraConfig) {
        self.name = name
        nameIndex = ServerNames.index(name)
        self.index = index
        self.network = network
        self.sim = network.sim
        self.config = config
        // Laid out by the keys' stride: one residue's pages while one node writes.
        cert = GaleraRowIndex(stride: config.autoIncrementIncrement)
        let p = network.spawn("mysqld", on: host)
        self.process = p
        gcomm = GcommThread(machine: host.machine, incarnation: p.incarnation)
        network.processDied(process)
        process.observer = lifecycle
    }

    public var host: Host { process.host }

    /// Sets the cluster (wsrep_cluster_address); every node in the same order.
    public func join(cluster: [GaleraNode]) {
        precondition(cluster.count <= 64, "a view is a 64-bit member mask")
        peers = cluster
        let n = cluster.count
        lastHeard.reset(count: n, to: -1)
        safeUpTo.reset(count: n, to: .zero)
        out = GroupConnections(count: n)
        connecting = Array(repeating: false, count: n)
        connectedAt = Array(repeating: 0, count: n)
        dialFailedAt = Array(repeating: -Time.s(3600), count: n)
        queued = Array(repeating: [], count: n)
        joins = Array(repeating: nil, count: n)
        excludedUntil = Array(repeating: -1, count: n)
        primaryView = PrimaryView(id: 1, members: Array(0..<n), lineage: "pc1")
    }

    public func seed(hotRows: Int) { storage.seedRows(.counters, count: hotRows) }

    /// Whether the node accepts client writes (wsrep_ready=ON and not a joiner).
    public var isReady: Bool { isPrimary && (state == .synced || state == .donor) }
    /// wsrep_cluster_status.
    public var clusterStatus: String { state == .down ? "Disconnected" : (isPrimary ? "Primary" : "non-Primary") }
    /// wsrep_local_state: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced (0 when down).
    public var localState: Int {
        switch state {
        case .down: return 0
        case .joiner: return 1
        case .donor: return 2
        case .joined: return 3
        case .synced: return 4
        }
    }
    public var applyQueueLength: Int { commitQueue.count - commitHead }

    // MARK: DatabaseNode

    public var isRunning: Bool { state != .down }
    public var replicationSource: IPAddress? { nil }
    public var sqlThreadRunning: Bool { false }
    public var replicationFailures: [ReplicationFailure] { [] }
    public func bootAtStart() { startBootstrapped() }
    public func startProcess() { start() }

    // MARK: lifecycle

    /// Starts as a member of the freshly bootstrapped cluster (all nodes at time zero).
    public func startBootstrapped() {
        guard host.isUp else { return }
        network.processStarted(process)
        life += 1
        setState(.synced)
        view = Array(0..<peers.count)
        viewMask = mask(view)
        viewID = 1
        isPrimary = true
        safeToBootstrap = peers.count == 1
        recordWriterGroup()
        for i in peers.indices { lastHeard[i] = sim.now }
        begin()
    }

    /// systemctl start mysql: start-up, then joins the group (IST/SST if behind).
    public func start() {
        guard host.isUp, state == .down else { return }
        network.processStarted(process)
        life += 1
        let l = life
        setState(.joiner)
        isPrimary = false
        restoredView = true
        view = [index]
        viewMask = mask(view)
        sim.record(name, .mysqlStarting, "start-up \(Time.format(config.startupTime))")
        afterRunnable(config.startupTime) { [unowned(unsafe) self] in
            guard self.life == l else { return }
            self.begin()
        }
    }

    func begin() {
        network.listen(process, port: config.port, self)
        network.listen(process, port: config.groupPort, GroupListener(node: self))
        sim.record(name, .mysqlReady, clusterStatus)
        let l = life
        // The timers of a real mysqld start whenever it did: their phase against a fault varies.
        var rng = sim.random("galera/\(name)/\(life)")
        let phase = SimTime(rng.unit() * Double(config.inactiveCheckPeriod))
        keepalive(l)
        afterRunnable(phase) { [unowned(unsafe) self] in self.check(l) }
    }

    public func crash() {
        guard state != .down else { return }
        sim.record(name, .processCrash, "mysqld")
        network.processDied(process)
        loseVolatile()
    }

    public func hostDidCrash() { loseVolatile() }
    public func hostDidRestart() { if config.autostart { start() } }
    /// The run is over: every node lists every other (wsrep_cluster_address) and its sessions
    /// and transactions point back at it; dropping them lets the finished cluster be freed.
    public func networkDidClose() {
        peers = []
        sessions = []
        out = GroupConnections(count: 0)
        queued = []
        trx.removeAll()
        lockedWrites = []
        durableReplies = []
        durableFree = []
    }

    /// A CPU burst of this node is done: the step it was for (GaleraBurst).
    public func computed(_ tag: UInt32, _ arg: Int64, _ arg2: Int64) {
        switch tag {
        case GaleraBurst.gcomm: gcomm.done(UInt32(truncatingIfNeeded: arg), self)
        case GaleraBurst.sent: if life == arg2 { acked(Stamp(t: arg, origin: index), by: index) }
        case GaleraBurst.committed: committed(slot: Int(arg), life: arg2)
        case GaleraBurst.durable: durable(slot: Int(arg), life: arg2)
        default: executed(arg, life: arg2)
        }
    }

    func loseVolatile() {
        let wasPrimary = isPrimary
        state = .down
        isPrimary = false
        if wasPrimary { recordWriterGroup() }
        life += 1
        sessions.removeAll()
        trx.removeAll(); clearReplicating(); held.removeAll()
        rowLocks.removeAll(); lockWaiters.removeAll()
        clearPending(); earlyAcks.removeAll(); deferred.removeAll(); buffered.removeAll()
        for i in 0..<safeUpTo.count { safeUpTo[i] = .zero }
        commitQueue.removeAll(); commitHead = 0; committing = false
        redo.lose()
        // The log dropped its waiting commits: their answers are never sent.
        durableReplies.removeAll(); durableFree.removeAll()
        installing = false; bootstrapRequested = false; suspectedMask = 0
        for i in joins.indices { joins[i] = nil }
        // Committed data survives; what was delivered but not committed is lost (the node will
        // catch up). Without --wsrep-recover grastate.dat says seqno -1 after a crash.
        if appliedSeqno >= 0 { innodbSeqno = appliedSeqno }
        lastSeqno = config.wsrepRecover ? appliedSeqno : -1
        if !config.wsrepRecover { appliedSeqno = -1 }
        gcache.removeAll()
        pausedBy = 0; fcSent = false; fcOffset = 0; pauseStart = nil
        for i in out.indices { out[i] = nil; connecting[i] = false; queued[i].removeAll(); dialFailedAt[i] = -Time.s(3600) }
        transferring = false
        stateRequests.removeAll()
        donorLocks = 0
        lockedWrites.removeAll()
        readLocked = false; desynced = false; donating = false
    }

    func setState(_ s: State) {
        guard s != state else { return }
        state = s
        if s != .down { sim.record(name, .galeraState, s.rawValue.capitalized) }
    }

    /// The writer-group contract (WriterGroup.swift): members of one Primary Component share
    /// the component's identity; outside one, "".
    func recordWriterGroup() {
        let id = isPrimary ? primaryView.lineage : ""
        sim.record(name, .writerGroup, id)
    }

    func mask(_ members: [Int]) -> UInt64 { members.reduce(0) { $0 | (1 << UInt64($1)) } }

    // MARK: client sessions

    public func accept(_ connection: Connection) -> ConnectionDelegate? {
        guard state != .down, connection.port == config.port else { return nil }
        let s = GaleraSession(node: self, connection: connection)
        sessions.append(s)
        return s
    }

    func sessionClosed(_ s: GaleraSession) { sessions.removeAll { $0 === s } }

    func reply(_ s: GaleraSession, _ id: Int64, _ result: QueryResult) {
        network.send(ResultMessage(id: id, result: result, server: nameIndex), on: s.connection, from: .server)
    }

    func execute(_ query: Query, id: Int64, from s: GaleraSession) {
        guard state != .down else { return }
        switch query {
        case .ping:
            // Statements that touch no table run even outside the Primary Component: a plain
            // `SELECT 1` (or a mysql-check) cannot tell a non-Primary node from a good one.
            // Its own CPU is negligible, but on cores shared with queued work (an overloaded
            // machine) its thread waits for a core behind that work, so a health check slows down
            // with the backlog. A host of its own never queues: the answer is immediate.
            if host.machine.cores == 0 {
                reply(s, id, .ok(affected: 0, insertID: nil))
            } else {
                let l = life
                host.machine.compute(process, 0) { [unowned(unsafe) self] in
                    guard self.life == l else { return }
                    self.reply(s, id, .ok(affected: 0, insertID: nil))
                }
            }
            return
        case .showMasterStatus:
            reply(s, id, .masterStatus(executed: storage.gtidExecuted, readOnly: false, binlogPosition: Int(lastSeqno)))
            return
        case .showReplicaStatus:
            reply(s, id, .replicaStatus(nil))
            return
        case .showWsrepStatus:
            reply(s, id, .wsrepStatus(WsrepStatus(clusterStatus: clusterStatus, localState: localState, lastCommitted: appliedSeqno)))
            return
        case .setWsrepProviderOptions(let options):
            // Accepted on a non-Primary node too: that is where pc.bootstrap is needed.
            if options.replacingOccurrences(of: " ", with: "").lowercased().contains("pc.bootstrap=yes") { bootstrap() }
            reply(s, id, .ok(affected: 0, insertID: nil))
            return
        case .flushTablesWithReadLock, .unlockTables:
            // Taken and released without the Primary Component, as on the real node.
            if query == .unlockTables { unlockTables() } else { flushTablesWithReadLock(global: true) }
            reply(s, id, .ok(affected: 0, insertID: nil))
            return
        default: break
        }
        guard isReady else { reply(s, id, .error(.wsrepNotReady)); return }
        switch query {
        case .insert, .update:
            submit(query, id: id, from: s, retries: 0)
        case .selectLatest(let table):
            if let (key, row) = storage.latest(table) { reply(s, id, .row(key: key, txid: row.txid)) } else { reply(s, id, .empty) }
        case .killClientSessions:
            reply(s, id, .ok(affected: 0, insertID: nil))
            for v in sessions where v !== s { network.close(v.connection, from: .server) }
            sessions.removeAll { $0 !== s }
        default:
            reply(s, id, .ok(affected: 0, insertID: nil))
        }
    }
}

final class GaleraSession: ConnectionDelegate {
    // unowned(unsafe): read for every message; a checked `unowned` costs a strong retain and
    // release per read (swift_unownedRetainStrong). The node outlives its sessions: both live until
    // Simulation.close, after which no message is delivered.
    unowned(unsafe) let node: GaleraNode
    let connection: Connection
    init(node: GaleraNode, connection: Connection) { self.node = node; self.connection = connection }
    func received(_ message: WireMessage, on connection: Connection) {
        if let q = message.as(QueryMessage.self) { node.execute(q.query, id: q.id, from: self) }
    }
    func closed(_ connection: Connection, reason: CloseReason) { node.sessionClosed(self) }
}

/// The steps a Galera node runs as CPU bursts (Machine.compute's value jobs, no closure per
/// step): the tag, and what `arg` and `arg2` carry.
enum GaleraBurst {
    /// A statement executed on its connection thread: the local transaction's id, the node's life.
    static let executed: UInt32 = 0
    /// The copies of a write-set are sent: its stamp's time, the node's life.
    static let sent: UInt32 = 1
    /// An ordered commit or an applier's apply: its slot in `commitBursts`, the node's life.
    static let committed: UInt32 = 2
    /// gcomm's thread has handled a message: the thread's generation.
    static let gcomm: UInt32 = 3
    /// Not a burst: the redo log's fsync covers a local commit (RedoLog's value job); its slot
    /// in `durableReplies`, the node's life.
    static let durable: UInt32 = 4
}
