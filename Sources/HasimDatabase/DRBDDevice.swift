import HasimKernel
@_spi(Oracle) import HasimNetwork

extension TraceKind {
    /// A DRBD connection or role change (detail in drbdsetup's words).
    public static let drbdState = TraceKind("drbd_state")
    /// DRBD's handshake found that both nodes wrote as Primary while disconnected.
    public static let drbdSplitBrain = TraceKind("drbd_split_brain")
}

/// What "written" means before a write returns (LINBIT DRBD User's Guide, "Replication modes").
public enum DRBDProtocol: String, Sendable, CaseIterable {
    /// Local disk write done and the packet in the local TCP send buffer.
    case A
    /// Local disk write done and the packet reached the peer (its memory).
    case B
    /// Local and remote disk writes both confirmed.
    case C
}

public struct DRBDConfig: Sendable, Equatable {
    public var proto: DRBDProtocol = .C
    /// `timeout` 6 s: the peer is considered dead if an expected answer does not come.
    public var timeout: SimTime = Time.s(6)
    /// `connect-int` 10 s.
    public var connectInterval: SimTime = Time.s(10)
    /// `ping-int` 10 s: keep-alive after idle.
    public var pingInterval: SimTime = Time.s(10)
    /// `ping-timeout` 500 ms.
    public var pingTimeout: SimTime = Time.ms(500)
    /// The peer's disk write of one replicated write (protocol C waits for it).
    public var peerDiskWrite: SimTime = Time.us(500)
    public var port = 7789
    public init() {}
}

extension Storage {
    /// The same blocks written on another disk (a DRBD peer's backing device).
    mutating func writeReplicated(_ e: BinlogEvent) {
        apply(e.change, txid: e.txid)
        markExecuted(e.gtid)
        appendBinlog(e)
        binlogSynced = binlog.count  // on the backing device, not in a page cache
    }
}

struct DRBDData: WireMessage { let seq: Int64; let event: BinlogEvent }
struct DRBDAck: WireMessage { let seq: Int64 }
struct DRBDPing: WireMessage {}
struct DRBDPingAck: WireMessage {}
struct DRBDHello: WireMessage { let primary: Bool; let newData: Bool }

/// One DRBD resource between two hosts, each running mysqld on top of it. The Primary's
/// data is its mysqld's datadir; the Secondary's is `disk`, a block copy that receives
/// every write over a TCP connection (port 7789) and that a promotion mounts.
public final class DRBDResource: EventHandler {
    public enum Role: String, Sendable { case primary = "Primary", secondary = "Secondary" }
    public enum ConnState: String, Sendable {
        case connected = "Connected", wfConnection = "WFConnection", standAlone = "StandAlone"
    }

    public final class Node: Listener, ConnectionDelegate, HostLifecycleObserver {
        public let server: MySQLServer
        let process: NetProcess
        unowned let resource: DRBDResource
        public internal(set) var role: Role
        public internal(set) var cstate: ConnState = .wfConnection
        /// The backing disk while Secondary (the Primary's data lives in its mysqld).
        public internal(set) var disk: Storage
        /// Writes since the last checkpoint on `disk`: the redo a mount must replay.
        var diskRedo = 0
        var diskNextCheckpoint: SimTime = 0
        /// A new data generation since the last sync (wrote as Primary while disconnected):
        /// DRBD's current UUID moved on.
        public internal(set) var newData = false
        var connection: Connection?
        var side: Connection.Side = .client
        var lastReceived: SimTime = 0
        var pingSentAt: SimTime?
        var generation: Int64 = 0

        init(server: MySQLServer, role: Role, resource: DRBDResource) {
            self.server = server
            self.role = role
            self.resource = resource
            self.disk = server.storage
            process = resource.network.spawn("drbd", on: server.host)
        }

        public func accept(_ connection: Connection) -> ConnectionDelegate? {
            guard self.connection == nil, cstate != .standAlone else { return nil }
            resource.attach(self, connection, side: .server)
            return self
        }
        public func received(_ message: WireMessage, on connection: Connection) {
            guard connection === self.connection else { return }
            resource.received(message, by: self)
        }
        public func closed(_ connection: Connection, reason: CloseReason) {
            guard connection === self.connection else { return }
            resource.lostConnection(self, "connection closed by peer")
        }
        public func hostDidCrash() {
            connection = nil
            cstate = .wfConnection
            generation += 1
            if role == .primary { resource.pending.removeAll() }
        }
        public func hostDidRestart() {
            // The node comes back Secondary with what its disk held.
            resource.network.processStarted(process)
            resource.network.listen(process, port: resource.config.port, self)
            if role == .primary {
                role = .secondary
                disk = server.storage
                diskRedo = server.redoPending
            }
            resource.sim.record(server.name, .drbdState, "node up: Secondary/\(cstate.rawValue)")
            resource.scheduleConnect(from: self)
            resource.arm(self, .ping, after: resource.config.pingInterval)
        }
    }

    public let sim: Simulation
    let network: Network
    public let config: DRBDConfig
    public private(set) var nodes: [Node] = []
    private var handler: HandlerID!
    private var nextSeq: Int64 = 0
    private var ackedSeq: Int64 = 0
    /// Writes of the Primary waiting to be "written" per protocol, oldest first.
    fileprivate var pending: [(seq: Int64, sentAt: SimTime, done: () -> Void)] = []
    private var pendingHead = 0
    private var timeoutArmed = false
    private var timers: [(Node, Int64, Kind)] = []
    private var freeTimers: [Int] = []
    fileprivate enum Kind { case connect, ping, pingCheck, timeout, diskWrite(Int64, BinlogEvent) }

    /// `primary` starts Primary with its mysqld running; `secondary` starts Secondary
    /// with an identical disk (initial sync done).
    public init(primary: MySQLServer, secondary: MySQLServer, network: Network, config: DRBDConfig) {
        sim = network.sim
        self.network = network
        self.config = config
        nodes.append(Node(server: primary, role: .primary, resource: self))
        nodes.append(Node(server: secondary, role: .secondary, resource: self))
        handler = sim.register(self)
    }

    public func node(_ server: MySQLServer) -> Node? { nodes.first { $0.server === server } }
    func peer(of n: Node) -> Node { n === nodes[0] ? nodes[1] : nodes[0] }

    /// Brings the connection up and installs the commit gate on the Primary's mysqld.
    public func start() {
        for n in nodes {
            n.process.observer = n
            network.listen(n.process, port: config.port, n)
            n.diskNextCheckpoint = sim.now + n.server.config.checkpointInterval
        }
        for n in nodes { installGate(n) }
        scheduleConnect(from: nodes[0], after: 0)
        for n in nodes { arm(n, .ping, after: config.pingInterval) }
    }

    private func installGate(_ n: Node) {
        n.server.commitGate = { [unowned(unsafe) self, unowned n] event, done in
            self.write(event, from: n, done: done)
        }
    }

    // MARK: timers

    fileprivate func arm(_ n: Node, _ kind: Kind, after delay: SimTime) {
        let item = (n, n.generation, kind)
        let slot: Int
        if let s = freeTimers.popLast() { timers[s] = item; slot = s } else { timers.append(item); slot = timers.count - 1 }
        sim.schedule(after: delay, handler, tag: 0, arg: Int64(slot))
    }

    public func handle(_ event: Event, in sim: Simulation) {
        let slot = Int(event.arg)
        let (n, gen, kind) = timers[slot]
        freeTimers.append(slot)
        guard gen == n.generation, n.server.host.isUp else {
            if case .timeout = kind { timeoutArmed = false }
            return
        }
        switch kind {
        case .connect: connect(from: n)
        case .ping: ping(n)
        case .pingCheck:
            if let t = n.pingSentAt, n.lastReceived < t { lostConnection(n, "PingAck did not arrive in time") }
        case .timeout: checkTimeout(n)
        case .diskWrite(let seq, let e):
            n.disk.writeReplicated(e)
            countDiskWrite(n)
            if config.proto == .C, let c = n.connection { _ = network.send(DRBDAck(seq: seq), on: c, from: n.side) }
        }
    }

    private func countDiskWrite(_ n: Node) {
        if sim.now >= n.diskNextCheckpoint {
            n.diskRedo = 0
            n.diskNextCheckpoint = sim.now + n.server.config.checkpointInterval
        }
        n.diskRedo += 1
    }

    // MARK: connection

    func scheduleConnect(from n: Node, after delay: SimTime? = nil) {
        arm(n, .connect, after: delay ?? config.connectInterval)
    }

    private func connect(from n: Node) {
        guard n.connection == nil, n.cstate != .standAlone else { return }
        let p = peer(of: n)
        let gen = n.generation
        network.connect(from: n.process, to: p.server.host.address, port: config.port, timeout: config.connectInterval,
                        delegate: n) { [unowned(unsafe) self] r in
            guard gen == n.generation else { return }
            switch r {
            case .success(let c):
                if n.connection != nil || n.cstate == .standAlone { self.network.close(c, from: .client); return }
                self.attach(n, c, side: .client)
            case .failure:
                self.scheduleConnect(from: n)
            }
        }
    }

    fileprivate func attach(_ n: Node, _ c: Connection, side: Connection.Side) {
        n.connection = c
        n.side = side
        n.lastReceived = sim.now
        // The connecting side speaks first; the accepting side answers (see `received`).
        if side == .client { _ = network.send(DRBDHello(primary: n.role == .primary, newData: n.newData), on: c, from: side) }
    }

    fileprivate func lostConnection(_ n: Node, _ why: String) {
        guard let c = n.connection else { return }
        n.connection = nil
        n.pingSentAt = nil
        network.close(c, from: n.side)
        guard n.cstate == .connected else { if n.cstate != .standAlone { scheduleConnect(from: n) }; return }
        n.cstate = .wfConnection
        sim.record(n.server.name, .drbdState, "\(n.role.rawValue): \(why); Connected -> WFConnection")
        if n.role == .primary { disconnectedAsPrimary(n) }
        scheduleConnect(from: n)
    }

    /// The Primary goes on alone: waiting writes complete locally, a new data generation starts.
    private func disconnectedAsPrimary(_ n: Node) {
        n.newData = true
        let waiting = pending[pendingHead...].map(\.done)
        pending.removeAll()
        pendingHead = 0
        for done in waiting { done() }
    }

    fileprivate func received(_ m: WireMessage, by n: Node) {
        n.lastReceived = sim.now
        // WireMessage.as: one metadata comparison each, no runtime cast.
        if let d = m.as(DRBDData.self) {
            if config.proto == .B { _ = network.send(DRBDAck(seq: d.seq), on: n.connection!, from: n.side) }
            arm(n, .diskWrite(d.seq, d.event), after: config.peerDiskWrite)
        } else if let a = m.as(DRBDAck.self) {
            ackedSeq = max(ackedSeq, a.seq)
            releaseAcked()
        } else if m.as(DRBDPing.self) != nil {
            _ = network.send(DRBDPingAck(), on: n.connection!, from: n.side)
        } else if m.as(DRBDPingAck.self) != nil {
            n.pingSentAt = nil
        } else if let h = m.as(DRBDHello.self) {
            if n.side == .server, let c = n.connection {
                _ = network.send(DRBDHello(primary: n.role == .primary, newData: n.newData), on: c, from: n.side)
            }
            handshake(n, peerPrimary: h.primary, peerNewData: h.newData)
        }
    }

    private func handshake(_ n: Node, peerPrimary: Bool, peerNewData: Bool) {
        let p = peer(of: n)
        if n.newData && peerNewData {
            // Both data generations moved on: drbd refuses to connect.
            n.cstate = .standAlone
            sim.record(n.server.name, .drbdSplitBrain, "Split-Brain detected, dropping connection! (peer \(p.server.name))")
            if let c = n.connection { n.connection = nil; network.close(c, from: n.side) }
            return
        }
        if n.role == .primary && peerPrimary {
            n.cstate = .standAlone
            sim.record(n.server.name, .drbdSplitBrain, "peer \(p.server.name) is Primary too, dropping connection!")
            if let c = n.connection { n.connection = nil; network.close(c, from: n.side) }
            return
        }
        n.cstate = .connected
        // Resync: the Secondary (no new data of its own) becomes SyncTarget and takes the
        // Primary's blocks, its own unreplicated writes discarded. Done, instantaneously,
        // when the Primary's end is connected: every later write is shipped.
        if n.role == .primary && !peerNewData {
            if n.newData { sim.record(p.server.name, .drbdState, "SyncTarget: resync from \(n.server.name) done; UpToDate") }
            p.disk = n.server.storage
            p.diskRedo = 0
            n.newData = false
        }
    }

    // MARK: writes

    private func write(_ event: BinlogEvent, from n: Node, done: @escaping () -> Void) {
        guard n.role == .primary, let c = n.connection, n.cstate == .connected else {
            // Disconnected Primary: the write is local only.
            n.newData = true
            done()
            return
        }
        nextSeq += 1
        _ = network.send(DRBDData(seq: nextSeq, event: event), on: c, from: n.side)
        if config.proto == .A { done(); return }
        pending.append((nextSeq, sim.now, done))
        if !timeoutArmed { timeoutArmed = true; arm(n, .timeout, after: config.timeout) }
    }

    private func releaseAcked() {
        while pendingHead < pending.count, pending[pendingHead].seq <= ackedSeq {
            let done = pending[pendingHead].done
            pendingHead += 1
            done()
        }
        if pendingHead > 1024 && pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
    }

    private func checkTimeout(_ n: Node) {
        timeoutArmed = false
        guard pendingHead < pending.count else { return }
        let oldest = pending[pendingHead].sentAt
        if sim.now - oldest >= config.timeout {
            lostConnection(n, "peer did not answer within timeout \(Time.format(config.timeout))")
        } else {
            timeoutArmed = true
            arm(n, .timeout, after: oldest + config.timeout - sim.now)
        }
    }

    private func ping(_ n: Node) {
        let idle = sim.now - n.lastReceived
        if n.connection != nil, idle < config.pingInterval {
            arm(n, .ping, after: config.pingInterval - idle)
            return
        }
        arm(n, .ping, after: config.pingInterval)
        guard let c = n.connection, n.cstate == .connected, n.pingSentAt == nil else { return }
        n.pingSentAt = sim.now
        _ = network.send(DRBDPing(), on: c, from: n.side)
        arm(n, .pingCheck, after: config.pingTimeout)
    }

    // MARK: cluster manager's calls (drbdadm)

    /// `drbdadm primary`: refused while connected to a Primary peer (single-primary mode).
    /// Returns nil on success, else drbdadm's error.
    public func promote(_ n: Node) -> String? {
        if n.role == .primary { return nil }
        let p = peer(of: n)
        if n.connection != nil && p.role == .primary && n.cstate == .connected {
            return "State change failed: (-1) Multiple primaries not allowed by config"
        }
        n.role = .primary
        if n.connection == nil || n.cstate != .connected { n.newData = true }
        sim.record(n.server.name, .drbdState, "Secondary -> Primary (\(n.cstate.rawValue))")
        // Ping timers of a Secondary are not needed any more; a Primary's pending list is its own.
        ackedSeq = nextSeq
        pending.removeAll()
        pendingHead = 0
        return nil
    }

    /// Mounts the device on the node's mysqld datadir (the node must be Primary).
    public func mount(_ n: Node) {
        n.server.mount(n.disk, redoPending: n.diskRedo)
    }
}
