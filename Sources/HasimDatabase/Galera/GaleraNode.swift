import HasimKernel
import HasimNetwork

extension TraceKind {
    public static let galeraView = TraceKind("galera_view")
    public static let galeraStateTransfer = TraceKind("galera_state_transfer")
    public static let galeraFlowControl = TraceKind("galera_flow_control")
    public static let galeraBootstrap = TraceKind("galera_bootstrap")
}

extension MySQLError {
    /// What a node outside the Primary Component answers (wsrep_ready=OFF).
    public static let wsrepNotReady = MySQLError(code: 1047, message: "WSREP has not yet prepared node for application use")
    /// A certification failure: the client sees a deadlock and may retry.
    public static let certificationDeadlock = MySQLError(code: 1213, message: "Deadlock found when trying to get lock; try restarting transaction")
}

/// wsrep / Galera provider settings (defaults: Galera 3/4 documentation).
public struct GaleraConfig: Sendable {
    public var port = 3306
    public var groupPort = 4567
    /// evs.keepalive_period, evs.suspect_timeout, evs.inactive_timeout.
    public var keepalivePeriod: SimTime = Time.s(1)
    public var suspectTimeout: SimTime = Time.s(5)
    public var inactiveTimeout: SimTime = Time.s(15)
    /// pc.weight.
    public var weight = 1
    /// gcs.fc_limit, gcs.fc_factor, gcs.fc_master_slave.
    public var fcLimit = 16
    public var fcFactor = 1.0
    public var fcMasterSlave = false
    /// Local execution + InnoDB commit on the node the client talks to.
    public var localCommit: SimTime = Time.us(500)
    /// Time an applier thread needs per remote write-set (wsrep_slave_threads effect folded in).
    public var applyTime: SimTime = Time.us(200)
    /// gcache.size expressed in write-sets (gcache.size / average write-set size).
    public var gcacheWriteSets = 131_072
    /// IST cost per write-set sent from the donor's gcache.
    public var istPerWriteSet: SimTime = Time.us(20)
    /// SST (full copy from the donor, e.g. xtrabackup) duration.
    public var sstDuration: SimTime = Time.s(60)
    /// wsrep_sst_method rsync/mysqldump: the donor holds FLUSH TABLES WITH READ LOCK for the whole
    /// SST, so its clients' writes wait; xtrabackup-v2 / mariabackup do not block.
    public var sstBlocksDonor = false
    /// mysqld start-up before the node joins the group.
    public var startupTime: SimTime = Time.s(5)
    /// mysqld starts when its host boots (systemd enabled).
    public var autostart = true
    /// wsrep_retry_autocommit: re-runs of an autocommit statement that failed certification.
    public var retryAutocommit = 1
    /// wsrep_auto_increment_control=ON: increment = cluster size, offset = node index + 1.
    public var autoIncrementIncrement: Int64 = 1
    public var autoIncrementOffset: Int64 = 1
    public init() {}
}

// MARK: group messages (port 4567)

struct GKeepalive: WireMessage { var from: Int; var seqno: Int64; var primary: Bool; var synced: Bool }
struct GWriteSet: WireMessage { var ws: WriteSet }
struct GOrdered: WireMessage { var seqno: Int64; var ws: WriteSet }
struct GAck: WireMessage { var from: Int; var seqno: Int64 }
struct GFlow: WireMessage { var from: Int; var pause: Bool }
struct GStateRequest: WireMessage { var from: Int; var seqno: Int64 }
struct GStateTransfer: WireMessage {
    var storage: Storage; var seqno: Int64; var cert: [CertKey: CertEntry]; var ist: Bool
}

struct CertKey: Hashable, Sendable { var table: UInt8; var key: Int64 }
struct CertEntry: Sendable { var seqno: Int64; var origin: Int }

/// One transaction's write-set: the row it changes and what the origin had seen.
public struct WriteSet: Sendable {
    var origin: Int
    var localID: Int64
    var table: Table
    var key: Int64
    var isInsert: Bool
    var txid: Int64
    /// The last seqno the origin had received when the transaction ran (certification bound).
    var dependsOn: Int64
}

/// A Galera (wsrep) node: mysqld + the group communication layer. Clients speak the
/// ordinary client protocol on `port`; nodes talk to each other on `groupPort`.
/// Membership, quorum, total order, certification, flow control and state transfer
/// all emerge from the messages exchanged here.
public final class GaleraNode: Listener, HostLifecycleObserver {
    public enum State: String, Sendable { case down, joining, synced }

    public let name: String
    public let index: Int
    public let process: NetProcess
    public var config: GaleraConfig
    public private(set) var storage = Storage()
    public private(set) var state: State = .down
    public private(set) var isPrimary = false
    /// Last seqno received (and certified) in total order.
    public private(set) var lastSeqno: Int64 = 0
    /// Members of the current view (indexes, sorted), self included.
    public private(set) var view: [Int] = []
    /// How many write-sets this node had to refuse in certification, and state transfers done.
    public private(set) var certificationFailures = 0
    public private(set) var transfers: [(at: SimTime, ist: Bool, gap: Int64)] = []
    /// Time spent paused by flow control (as seen by the sequencer node).
    public private(set) var flowControlPaused: SimTime = 0
    /// wsrep_flow_control_sent.
    public private(set) var flowControlSent = 0

    let sim: Simulation
    let network: Network
    var peers: [GaleraNode] = []
    private var life: Int64 = 0
    private var lastHeard: [SimTime] = []
    private var peerSeqno: [Int64] = []
    private var peerPrimary: [Bool] = []
    private var peerSynced: [Bool] = []
    private var out: [Connection?] = []
    private var connecting: [Bool] = []
    private var queued: [[WireMessage]] = []
    /// The weights of the last Primary Component this node belonged to (persisted like gvwstate.dat).
    private var lastPrimaryView: [Int] = []
    private var cert: [CertKey: CertEntry] = [:]
    /// gcache: recent ordered write-sets (bounded).
    private var gcache: [(Int64, WriteSet)] = []
    private var gcacheHead = 0
    private var applyQueue: [WriteSet] = []
    private var applyHead = 0
    private var applying = false
    private var fcSent = false
    private var pausedBy = Set<Int>()
    private var pauseStart: SimTime?
    // Sequencer state.
    private var nextSeqno: Int64 = 1
    private var held: [WriteSet] = []
    // Origin state.
    private var nextLocal: Int64 = 1
    private struct Waiting { var session: GaleraSession; var queryID: Int64; var ws: WriteSet; var seqno: Int64?; var acks: Set<Int>; var certified: Bool; var retries: Int }
    private var waiting: [Int64: Waiting] = [:]
    private var buffered: [(Int64, WriteSet)] = []
    private var sessions: [GaleraSession] = []
    private var transferring = false
    /// FLUSH TABLES WITH READ LOCK held for blocking SSTs, and the writes waiting on it.
    private var donorLocks = 0
    private var lockedWrites: [(Query, Int64, GaleraSession)] = []
    /// Started since it last belonged to a Primary Component.
    private var restarted = false

    public init(name: String, index: Int, host: Host, network: Network, config: GaleraConfig) {
        self.name = name
        self.index = index
        self.network = network
        self.sim = network.sim
        self.config = config
        self.process = network.spawn("mysqld", on: host)
        network.processDied(process)
        process.observer = self
    }

    public var host: Host { process.host }

    /// Sets the cluster (wsrep_cluster_address); every node in the same order.
    public func join(cluster: [GaleraNode]) {
        peers = cluster
        let n = cluster.count
        lastHeard = Array(repeating: -1, count: n)
        peerSeqno = Array(repeating: 0, count: n)
        peerPrimary = Array(repeating: false, count: n)
        peerSynced = Array(repeating: false, count: n)
        out = Array(repeating: nil, count: n)
        connecting = Array(repeating: false, count: n)
        queued = Array(repeating: [], count: n)
        lastPrimaryView = Array(0..<n)
    }

    public func seed(hotRows: Int) { storage.seedRows(.counters, count: hotRows) }

    /// Whether the node accepts client queries (wsrep_ready=ON).
    public var isReady: Bool { state == .synced && isPrimary }
    /// wsrep_cluster_status.
    public var clusterStatus: String { state == .down ? "Disconnected" : (isPrimary ? "Primary" : "non-Primary") }
    public var applyQueueLength: Int { applyQueue.count - applyHead }

    // MARK: lifecycle

    /// Starts the whole cluster at once, as a freshly bootstrapped Primary Component.
    public func startBootstrapped() {
        guard host.isUp else { return }
        network.processStarted(process)
        life += 1
        state = .synced
        isPrimary = true
        view = Array(0..<peers.count)
        for i in peers.indices { lastHeard[i] = sim.now }
        begin()
    }

    /// systemctl start mysql: start-up, then joins the group (IST/SST if behind).
    public func start() {
        guard host.isUp, state == .down else { return }
        network.processStarted(process)
        life += 1
        let l = life
        state = .joining
        isPrimary = false
        restarted = true
        view = [index]
        sim.record(name, .mysqlStarting, "start-up \(Time.format(config.startupTime))")
        sim.after(config.startupTime) { [weak self] in
            guard let self, self.life == l else { return }
            self.begin()
        }
    }

    private func begin() {
        network.listen(process, port: config.port, self)
        network.listen(process, port: config.groupPort, GroupListener(node: self))
        sim.record(name, .mysqlReady, clusterStatus)
        tick(life)
    }

    public func crash() {
        guard state != .down else { return }
        sim.record(name, .processCrash, "mysqld")
        network.processDied(process)
        loseVolatile()
    }

    public func hostDidCrash() { loseVolatile() }
    public func hostDidRestart() { if config.autostart { start() } }

    private func loseVolatile() {
        state = .down
        isPrimary = false
        life += 1
        sessions.removeAll()
        waiting.removeAll()
        held.removeAll()
        buffered.removeAll()
        applyQueue.removeAll(); applyHead = 0; applying = false
        // Applied state survives; the not-yet-applied queue is lost (the node will catch up).
        lastSeqno = appliedSeqno
        gcache.removeAll(); gcacheHead = 0
        pausedBy.removeAll(); fcSent = false; pauseStart = nil
        for i in out.indices { out[i] = nil; connecting[i] = false; queued[i].removeAll() }
        transferring = false
        donorLocks = 0
        lockedWrites.removeAll()
    }

    /// pc.bootstrap=YES on this node: forms a new Primary Component from its current view.
    public func bootstrap() {
        guard state != .down else { return }
        sim.record(name, .galeraBootstrap, "pc.bootstrap=YES (view \(view.map { peers[$0].name }.joined(separator: ",")))")
        lastPrimaryView = view
        // The bootstrapped node's data defines the cluster's state (grastate.dat safe_to_bootstrap).
        if state == .joining && !transferring { state = .synced; buffered.removeAll() }
        isPrimary = false
        setPrimary(true)
    }

    // MARK: group communication

    private var appliedSeqno: Int64 = 0

    private func tick(_ l: Int64) {
        guard life == l, state != .down else { return }
        for j in peers.indices where j != index {
            send(GKeepalive(from: index, seqno: lastSeqno, primary: isPrimary, synced: state == .synced), to: j)
        }
        updateView()
        sim.after(config.keepalivePeriod) { [weak self] in self?.tick(l) }
    }

    private func send(_ m: WireMessage, to j: Int) {
        if j == index { deliver(m); return }
        if let c = out[j], c.isOpen(for: .client), network.send(m, on: c, from: .client) { return }
        out[j] = nil
        // Messages wait for the connection (keepalives are not worth keeping).
        if !(m is GKeepalive) { queued[j].append(m) }
        guard !connecting[j] else { return }
        connecting[j] = true
        let l = life
        network.connect(from: process, to: peers[j].host.address, port: config.groupPort, timeout: config.keepalivePeriod,
                        delegate: OutDelegate()) { [weak self] r in
            guard let self, self.life == l else { return }
            self.connecting[j] = false
            if case .success(let c) = r {
                self.out[j] = c
                let q = self.queued[j]
                self.queued[j].removeAll()
                for m in q { self.network.send(m, on: c, from: .client) }
            } else {
                self.queued[j].removeAll()
            }
        }
    }

    private func broadcast(_ m: WireMessage) { for j in view where j != index { send(m, to: j) } }

    fileprivate func deliver(_ m: WireMessage) {
        guard state != .down else { return }
        switch m {
        case let k as GKeepalive:
            lastHeard[k.from] = sim.now
            peerSeqno[k.from] = k.seqno
            peerPrimary[k.from] = k.primary
            peerSynced[k.from] = k.synced
            if !view.contains(k.from) || (!isPrimary && k.primary) { updateView(force: !isPrimary && k.primary) }
            // A joiner waiting for a synced member to catch up from.
            if isPrimary && state == .joining && !transferring && k.synced && k.primary && view.contains(k.from) { catchUp() }
        case let w as GWriteSet:
            if isPrimary && sequencer == index { order(w.ws) }
        case let o as GOrdered:
            received(o.seqno, o.ws)
        case let a as GAck:
            lastHeard[a.from] = max(lastHeard[a.from], sim.now)
            ack(a.from, a.seqno)
        case let f as GFlow:
            if f.pause { pausedBy.insert(f.from) } else { pausedBy.remove(f.from) }
            flowChanged()
        case let r as GStateRequest:
            donate(to: r.from, joinerSeqno: r.seqno)
        case let t as GStateTransfer:
            installState(t)
        default: break
        }
    }

    /// The group: self plus every peer heard within evs.suspect_timeout.
    private func updateView(force: Bool = false) {
        guard state != .down else { return }
        var v: [Int] = []
        for j in peers.indices where j == index || (lastHeard[j] >= 0 && sim.now - lastHeard[j] < config.suspectTimeout) {
            v.append(j)
        }
        for j in peers.indices where j != index && !v.contains(j) && out[j] != nil && lastHeard[j] >= 0 && sim.now - lastHeard[j] >= config.suspectTimeout {
            // The path is dead as far as we know: dial again.
            if let c = out[j] { network.close(c, from: .client) }
            out[j] = nil
        }
        guard v != view || force else { return }
        let gone = view.filter { !v.contains($0) }
        view = v
        for j in gone { pausedBy.remove(j) }
        let w = v.reduce(0) { $0 + peers[$1].config.weight }
        let base = lastPrimaryView.reduce(0) { $0 + peers[$1].config.weight }
        // Quorum: strictly more than half the weight of the last Primary Component; or joining a
        // peer that is Primary (a restarted node joins the existing component).
        // A restarted node forms no component by weight: it joins a Primary peer, or, with
        // pc.recovery, re-forms its saved component once every member of it is back (gvwstate.dat).
        let quorum = restarted
            ? (v.contains { $0 != index && peerPrimary[$0] } || lastPrimaryView.allSatisfy { v.contains($0) })
            : (2 * w > base || (!isPrimary && v.contains { $0 != index && peerPrimary[$0] }))
        sim.record(name, .galeraView, "view \(v.map { peers[$0].name }.joined(separator: ",")) weight \(w)/\(base) -> \(quorum ? "Primary" : "non-Primary")")
        setPrimary(quorum)
        flowChanged()
        for (id, _) in waiting.sorted(by: { $0.key < $1.key }) { tryCommit(id) }
    }

    private func setPrimary(_ p: Bool) {
        let was = isPrimary
        isPrimary = p
        if p { restarted = false }
        guard p else {
            // Transactions in flight cannot be ordered outside a Primary Component.
            for (id, w) in waiting.sorted(by: { $0.key < $1.key }) {
                waiting[id] = nil
                reply(w.session, w.queryID, .error(.wsrepNotReady))
            }
            return
        }
        lastPrimaryView = view
        if !was {
            // Entering a Primary Component: catch up if a member is ahead.
            catchUp()
            if sequencer == index { nextSeqno = max(nextSeqno, view.map { peerSeqno[$0] }.max().map { $0 + 1 } ?? 1, lastSeqno + 1) }
        }
    }

    /// In a Primary Component: take state from a synced member that is ahead (IST/SST), wait if
    /// only unsynced members are ahead, or declare this node synced.
    private func catchUp() {
        guard !transferring else { return }
        let ahead = view.filter { $0 != index && peerSeqno[$0] > appliedSeqno }
        // A synced member with another history position (ahead, or behind after a bootstrap of a
        // less advanced node) gives this node its state.
        if let donor = view.first(where: { $0 != index && peerSynced[$0] && peerSeqno[$0] != appliedSeqno }) {
            state = .joining
            transferring = true
            send(GStateRequest(from: index, seqno: appliedSeqno), to: donor)
        } else if state == .joining && ahead.isEmpty {
            state = .synced
            drainBuffered()
        }
    }

    private var sequencer: Int { view.first ?? index }

    // MARK: total order, certification, commit

    private func order(_ ws: WriteSet) {
        if !pausedBy.isEmpty { held.append(ws); return }
        let s = max(nextSeqno, lastSeqno + 1)
        nextSeqno = s + 1
        let m = GOrdered(seqno: s, ws: ws)
        broadcast(m)
        received(s, ws)
    }

    private func flowChanged() {
        let paused = !pausedBy.subtracting(Set(pausedBy.filter { !view.contains($0) })).isEmpty
        if paused { if pauseStart == nil { pauseStart = sim.now } } else if let p = pauseStart {
            flowControlPaused += sim.now - p
            pauseStart = nil
        }
        guard !paused, isPrimary, sequencer == index, !held.isEmpty else { return }
        let h = held
        held.removeAll()
        for ws in h { order(ws) }
    }

    private func received(_ seqno: Int64, _ ws: WriteSet) {
        guard state != .down else { return }
        if seqno <= lastSeqno && !transferring { return }
        if transferring || state == .joining { buffered.append((seqno, ws)); send(GAck(from: index, seqno: seqno), to: ws.origin); return }
        lastSeqno = seqno
        if sequencer == index { nextSeqno = max(nextSeqno, seqno + 1) }
        gcache.append((seqno, ws))
        if gcache.count - gcacheHead > config.gcacheWriteSets { gcacheHead += 1 }
        if gcacheHead > 4096 { gcache.removeFirst(gcacheHead); gcacheHead = 0 }
        let ok = certify(seqno, ws)
        if ws.origin == index, let id = waiting.keys.first(where: { waiting[$0]!.ws.localID == ws.localID }) {
            waiting[id]!.seqno = seqno
            waiting[id]!.certified = ok
            if !ok {
                certificationFailures += 1
                let w = waiting.removeValue(forKey: id)!
                if w.retries < config.retryAutocommit {
                    // wsrep_retry_autocommit: the statement runs again, now after what it conflicted with.
                    submit(w.ws.isInsert ? .insert(table: w.ws.table, txid: w.ws.txid) : .update(table: w.ws.table, key: w.ws.key, txid: w.ws.txid),
                           id: w.queryID, from: w.session, retries: w.retries + 1)
                } else {
                    reply(w.session, w.queryID, .error(.certificationDeadlock))
                }
            } else {
                tryCommit(id)
            }
            return
        }
        send(GAck(from: index, seqno: seqno), to: ws.origin)
        if ok { enqueueApply(ws, seqno) }
    }

    /// Deterministic on every node: a write-set fails if another node's write-set ordered after
    /// what its origin had seen changed the same row.
    private func certify(_ seqno: Int64, _ ws: WriteSet) -> Bool {
        let k = CertKey(table: ws.table.rawValue, key: ws.key)
        if let e = cert[k], e.seqno > ws.dependsOn, e.origin != ws.origin { return false }
        cert[k] = CertEntry(seqno: seqno, origin: ws.origin)
        return true
    }

    private func ack(_ from: Int, _ seqno: Int64) {
        guard let id = waiting.keys.first(where: { waiting[$0]!.seqno == seqno }) else { return }
        waiting[id]!.acks.insert(from)
        tryCommit(id)
    }

    private func tryCommit(_ id: Int64) {
        guard isPrimary, let w = waiting[id], let seqno = w.seqno, w.certified else { return }
        // Virtual synchrony: every member of the current view has the write-set.
        guard view.allSatisfy({ $0 == index || w.acks.contains($0) }) else { return }
        waiting[id] = nil
        let l = life
        sim.after(config.localCommit) { [weak self] in
            guard let self, self.life == l else { return }
            self.applyLocal(w.ws)
            self.appliedSeqno = max(self.appliedSeqno, seqno)
            self.reply(w.session, w.queryID, .ok(affected: 1, insertID: w.ws.isInsert ? w.ws.key : nil))
        }
    }

    private func applyLocal(_ ws: WriteSet) {
        if ws.isInsert {
            storage.apply(.insert(table: ws.table, key: ws.key, row: Row(value: ws.txid, txid: ws.txid)), txid: ws.txid)
        } else {
            let v = (storage.row(ws.table, ws.key)?.value ?? 0) + 1
            storage.apply(.update(table: ws.table, key: ws.key, after: Row(value: v, txid: ws.txid)), txid: ws.txid)
        }
    }

    // MARK: appliers and flow control

    private var appliedQueueSeqnos: [Int64] = []

    private func enqueueApply(_ ws: WriteSet, _ seqno: Int64) {
        applyQueue.append(ws)
        appliedQueueSeqnos.append(seqno)
        checkFlow()
        if !applying { applyNext(life) }
    }

    private func applyNext(_ l: Int64) {
        guard life == l, applyHead < applyQueue.count else { applying = false; return }
        applying = true
        sim.after(config.applyTime) { [weak self] in
            guard let self, self.life == l else { return }
            let ws = self.applyQueue[self.applyHead]
            self.applyLocal(ws)
            self.appliedSeqno = max(self.appliedSeqno, self.appliedQueueSeqnos[self.applyHead])
            self.applyHead += 1
            if self.applyHead > 1024 {
                self.applyQueue.removeFirst(self.applyHead); self.appliedQueueSeqnos.removeFirst(self.applyHead); self.applyHead = 0
            }
            self.checkFlow()
            self.applyNext(l)
        }
    }

    /// gcs.fc_limit (scaled by sqrt(N) unless fc_master_slave) and gcs.fc_factor.
    /// upper = fc_limit x (fc_master_slave ? 1 : sqrt(members)) + 0.5 (gcs.cpp _set_fc_limits).
    public var effectiveFCLimit: Double {
        (Double(config.fcLimit) * (config.fcMasterSlave ? 1 : Double(max(1, view.count)).squareRoot()) + 0.5).rounded(.down)
    }
    /// lower = upper x fc_factor + 0.5.
    public var fcLowerLimit: Double { (effectiveFCLimit * config.fcFactor + 0.5).rounded(.down) }

    private func checkFlow() {
        let q = Double(applyQueueLength)
        if !fcSent && q > effectiveFCLimit {
            fcSent = true
            flowControlSent += 1
            if flowControlSent == 1 { sim.record(name, .galeraFlowControl, "first FC_PAUSE: receive queue \(Int(q)) > \(Int(effectiveFCLimit))") }
            for j in view { send(GFlow(from: index, pause: true), to: j) }
        } else if fcSent && q <= fcLowerLimit {
            fcSent = false
            for j in view { send(GFlow(from: index, pause: false), to: j) }
        }
    }

    // MARK: state transfer

    private func donate(to joiner: Int, joinerSeqno: Int64) {
        let oldest = gcacheHead < gcache.count ? gcache[gcacheHead].0 : lastSeqno + 1
        // IST only if the joiner's history is a prefix of ours and the gap is still in the gcache.
        let ist = joinerSeqno <= lastSeqno && joinerSeqno + 1 >= oldest
        let gap = lastSeqno - joinerSeqno
        let duration = ist ? SimTime(gap) * config.istPerWriteSet : config.sstDuration
        sim.record(name, .galeraStateTransfer, "\(ist ? "IST" : "SST") to \(peers[joiner].name): \(gap) write-sets, \(Time.format(duration))")
        // The donor snapshot is taken now; write-sets ordered meanwhile reach the joiner directly.
        let snap = GStateTransfer(storage: storage, seqno: appliedSeqno, cert: cert, ist: ist)
        let l = life
        let blocks = !ist && config.sstBlocksDonor
        if blocks { donorLocks += 1 }
        sim.after(duration) { [weak self] in
            guard let self, self.life == l else { return }
            self.send(snap, to: joiner)
            if blocks {
                self.donorLocks -= 1
                if self.donorLocks == 0 {
                    let w = self.lockedWrites
                    self.lockedWrites.removeAll()
                    for (q, id, s) in w { self.submit(q, id: id, from: s, retries: 0) }
                }
            }
        }
    }

    private func installState(_ t: GStateTransfer) {
        guard transferring else { return }
        let gap = t.seqno - appliedSeqno
        transfers.append((sim.now, t.ist, gap))
        sim.record(name, .galeraStateTransfer, "\(t.ist ? "IST" : "SST") received up to seqno \(t.seqno)")
        storage = t.storage
        cert = t.cert
        lastSeqno = t.seqno
        appliedSeqno = t.seqno
        transferring = false
        applyQueue.removeAll(); appliedQueueSeqnos.removeAll(); applyHead = 0
        state = .synced
        drainBuffered()
    }

    private func drainBuffered() {
        let b = buffered.sorted { $0.0 < $1.0 }
        buffered.removeAll()
        for (s, ws) in b where s > lastSeqno {
            lastSeqno = s
            gcache.append((s, ws))
            if certify(s, ws) { enqueueApply(ws, s) }
        }
    }

    // MARK: client sessions

    public func accept(_ connection: Connection) -> ConnectionDelegate? {
        guard state != .down, connection.port == config.port else { return nil }
        let s = GaleraSession(node: self, connection: connection)
        sessions.append(s)
        return s
    }

    func sessionClosed(_ s: GaleraSession) { sessions.removeAll { $0 === s } }

    func reply(_ s: GaleraSession, _ id: Int64, _ result: QueryResult) {
        network.send(ResultMessage(id: id, result: result, server: name), on: s.connection, from: .server)
    }

    func execute(_ query: Query, id: Int64, from s: GaleraSession) {
        guard state != .down else { return }
        guard isReady else { reply(s, id, .error(.wsrepNotReady)); return }
        switch query {
        case .insert, .update:
            submit(query, id: id, from: s, retries: 0)
        case .ping:
            reply(s, id, .ok(affected: 0, insertID: nil))
        case .selectLatest(let table):
            if let (key, row) = storage.latest(table) { reply(s, id, .row(key: key, txid: row.txid)) } else { reply(s, id, .empty) }
        case .showMasterStatus:
            reply(s, id, .masterStatus(executed: storage.gtidExecuted, readOnly: false, binlogPosition: Int(lastSeqno)))
        case .showReplicaStatus:
            reply(s, id, .replicaStatus(nil))
        case .killClientSessions:
            reply(s, id, .ok(affected: 0, insertID: nil))
            for v in sessions where v !== s { network.close(v.connection, from: .server) }
            sessions.removeAll { $0 !== s }
        default:
            reply(s, id, .ok(affected: 0, insertID: nil))
        }
    }

    /// Executes a write locally and replicates its write-set to the group.
    private func submit(_ query: Query, id: Int64, from s: GaleraSession, retries: Int) {
        if donorLocks > 0 { lockedWrites.append((query, id, s)); return }
        switch query {
        case .insert(let table, let txid), .update(let table, _, let txid):
            var key: Int64 = 0
            var isInsert = false
            if case .insert = query {
                key = storage.nextKey(table, increment: config.autoIncrementIncrement, offset: config.autoIncrementOffset)
                isInsert = true
            } else if case .update(_, let k, _) = query { key = k }
            let ws = WriteSet(origin: index, localID: nextLocal, table: table, key: key, isInsert: isInsert, txid: txid, dependsOn: lastSeqno)
            waiting[nextLocal] = Waiting(session: s, queryID: id, ws: ws, seqno: nil, acks: [], certified: false, retries: retries)
            nextLocal += 1
            // Local execution, then replication of the write-set to the group.
            let l = life
            sim.after(config.localCommit / 2) { [weak self] in
                guard let self, self.life == l else { return }
                self.send(GWriteSet(ws: ws), to: self.sequencer)
            }
        default:
            break
        }
    }
}

final class GaleraSession: ConnectionDelegate {
    unowned let node: GaleraNode
    let connection: Connection
    init(node: GaleraNode, connection: Connection) { self.node = node; self.connection = connection }
    func received(_ message: WireMessage, on connection: Connection) {
        if let q = message as? QueryMessage { node.execute(q.query, id: q.id, from: self) }
    }
    func closed(_ connection: Connection, reason: CloseReason) { node.sessionClosed(self) }
}

private final class GroupListener: Listener {
    unowned let node: GaleraNode
    init(node: GaleraNode) { self.node = node }
    func accept(_ connection: Connection) -> ConnectionDelegate? { GroupIn(node: node) }
}

private final class GroupIn: ConnectionDelegate {
    unowned let node: GaleraNode
    init(node: GaleraNode) { self.node = node }
    func received(_ message: WireMessage, on connection: Connection) { node.deliver(message) }
    func closed(_ connection: Connection, reason: CloseReason) {}
}

private final class OutDelegate: ConnectionDelegate {
    func received(_ message: WireMessage, on connection: Connection) {}
    func closed(_ connection: Connection, reason: CloseReason) {}
}
