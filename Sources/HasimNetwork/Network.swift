import HasimKernel

extension TraceKind {
    public static let hostCrash = TraceKind("host_crash")
    public static let hostRestart = TraceKind("host_restart")
    public static let processCrash = TraceKind("process_crash")
    public static let processStart = TraceKind("process_start")
    public static let partition = TraceKind("partition")
    public static let heal = TraceKind("heal")
    public static let latencySpike = TraceKind("latency_spike")
}

/// Owns delivery: every byte between processes goes through here, so partitions,
/// crashes and latency act on it. Hosts never sleep or read a clock of their own.
public final class Network: EventHandler {
    public let sim: Simulation
    public private(set) var hosts: [Host] = []
    private var hostByName: [String: HostID] = [:]
    private var addressOwner: [IPAddress: HostID] = [:]
    private var handler: HandlerID!
    private var rng: SimRandom

    // Directed path state, indexed [from * n + to]; rebuilt when hosts are added.
    /// Directed host pairs cut by a partition, and extra latency between pairs: sparse, so
    /// a topology of 10,000 hosts costs nothing until a fault touches it (a dense n×n
    /// matrix was 900 MB there and O(n³) to build). Packets check `isEmpty` first.
    private var blocked = Set<UInt64>()
    private var extraDelay: [UInt64: SimTime] = [:]
    /// Loss added by faults (packet_loss), per directed pair: the rates in force, and the
    /// chance a packet survives them all (Network+Loss.swift).
    var extraLoss: [UInt64: (rates: [Double], survive: Double)] = [:]

    @inline(__always) static func pair(_ a: Int, _ b: Int) -> UInt64 { UInt64(a) << 32 | UInt64(b) }
    /// Links set between sites, by site index (`siteOf`): [a * siteNames.count + b], both orders.
    /// Looked up for every packet, so by index rather than by a string key built per packet.
    private var siteNames: [String] = []
    private var siteOf: [Int] = []  // by host id
    private var linkTable: [LinkSpec?] = []
    public var sameSite: LinkSpec = .sameSite
    public var crossSite: LinkSpec = .crossSite
    /// Minimum TCP retransmission timeout (Linux TCP_RTO_MIN, 200 ms; on a LAN the RTO is
    /// at this floor, since srtt + 4·rttvar is far below it).
    public var retransmitTimeout: SimTime = Time.ms(200)
    /// Linux `net.ipv4.tcp_retries2` (default 15): how many back-offs an established
    /// connection's unacknowledged data survives before the kernel resets it.
    public var tcpRetries2 = 15
    /// Directed host pairs whose partition is a drop in the hosts' own firewall (nft/iptables
    /// OUTPUT): the sender's send fails locally (EPERM), so its kernel tries again at every write.
    var firewalled = Set<UInt64>()

    /// Resolves an address to the host that answers for it, as seen from a host.
    /// The default knows only hosts' own addresses; VIP/ARP layers replace it.
    public var resolver: ((IPAddress, Host) -> HostID?)?
    /// The VIPs and the hosts' ARP caches (FrontDoors/VIPTable.swift), when the world has a VIP.
    public internal(set) var vips: VIPTable?
    /// The authoritative DNS and the hosts' resolver caches (FrontDoors/DNSService.swift).
    public internal(set) var dns: DNSService?

    private var inFlight: [InFlight?] = []
    /// Whether a directed pair's partition is at the hosts' firewall (see `firewalled`).
    func isFirewalled(_ from: HostID, _ to: HostID) -> Bool {
        !firewalled.isEmpty && firewalled.contains(Self.pair(from.raw, to.raw))
    }

    private var freeSlots: [Int] = []
    private var nextConnectionID = 0

    enum Packet {
        case data(WireMessage)
        case fin
        case rst
        case syn(pending: Int)
        case synAck(pending: Int)
        case refuse(pending: Int)
        case ping(pending: Int)
        case pong(pending: Int)
        /// A segment of a connection that reached a host without that connection (the VIP moved).
        case stray
        /// UDP (Datagram.swift): no connection, never retransmitted.
        case datagram(Datagram)
    }

    private struct InFlight {
        /// The segment's place in its connection's direction (for retransmission order).
        var seq: UInt64 = 0
        var from: HostID
        var to: HostID
        var fromIncarnation: UInt32
        var connection: Connection?
        var side: Connection.Side  // the side that sent it
        var packet: Packet
    }

    private struct PendingConnect {
        var process: NetProcess
        var dialled: IPAddress
        var port: Int
        var delegate: ConnectionDelegate
        var completion: (Result<Connection, ConnectError>) -> Void
        var timer: EventID?
        var done = false
        /// The host the last SYN went to (nil: none yet, the address did not resolve).
        var sentTo: HostID?
        /// The director that sent the SYN on to a real server, and its host.
        var via: HostID?
        var director: PacketDirector?
    }
    private var pendingConnects: [Int: PendingConnect] = [:]
    private var pendingPings: [Int: (done: Bool, completion: (Bool) -> Void)] = [:]
    private var nextPending = 0

    public init(sim: Simulation) {
        self.sim = sim
        rng = sim.random("network")
        handler = sim.register(self)
    }

    // MARK: topology

    @discardableResult
    public func addHost(_ name: String, site: String, address: IPAddress? = nil) -> Host {
        precondition(hostByName[name] == nil, "duplicate host \(name)")
        let id = HostID(hosts.count)
        let host = Host(id: id, name: name, site: site, address: address ?? IPAddress(name),
                        machine: Machine(name: name, cores: 0, sim: sim))
        hosts.append(host)
        hostByName[name] = id
        siteOf.append(siteIndex(site))
        addressOwner[host.address] = id
        return host
    }

    /// Puts hosts on one machine with `cores` CPUs (VMs on one hypervisor, or every server of a
    /// test bench on one box): their CPU bursts queue for the same cores.
    @discardableResult
    public func place(_ hosts: [Host], onMachine name: String, cores: Int) -> Machine {
        let m = Machine(name: name, cores: cores, sim: sim)
        for h in hosts { h.machine = m }
        return m
    }

    public func host(named name: String) -> Host? { hostByName[name].map { hosts[$0.raw] } }
    public func host(_ id: HostID) -> Host { hosts[id.raw] }

    /// Sets the link between two sites (order does not matter).
    public func setLink(_ a: String, _ b: String, _ spec: LinkSpec) {
        let i = siteIndex(a), j = siteIndex(b), n = siteNames.count
        linkTable[i * n + j] = spec
        linkTable[j * n + i] = spec
    }

    /// The index of a site, adding it (and growing the link table) the first time.
    private func siteIndex(_ site: String) -> Int {
        if let i = siteNames.firstIndex(of: site) { return i }
        let old = siteNames.count, n = old + 1
        var table = [LinkSpec?](repeating: nil, count: n * n)
        for a in 0..<old { for b in 0..<old { table[a * n + b] = linkTable[a * old + b] } }
        siteNames.append(site)
        linkTable = table
        return old
    }

    public func link(_ from: Host, _ to: Host) -> LinkSpec {
        let a = siteOf[from.id.raw], b = siteOf[to.id.raw]
        if let s = linkTable[a * siteNames.count + b] { return s }
        return a == b ? sameSite : crossSite
    }

    public func spawn(_ name: String, on host: Host) -> NetProcess {
        let p = NetProcess(name: name, host: host)
        host.processes.append(p)
        return p
    }

    public func resolve(_ address: IPAddress, from host: Host) -> HostID? {
        if let r = resolver { return r(address, host) }
        return addressOwner[address]
    }

    /// Which host owns an address: the world's view, for the resolver and the measurements;
    /// a tool learns it by connecting (Oracle SPI, as `Host.isUp`).
    @_spi(Oracle) public func ownerOfAddress(_ address: IPAddress) -> HostID? { addressOwner[address] }

    // MARK: path state

    /// Whether the path holds now: the world's truth (SPI Oracle, as `Host.isUp`); a tool learns
    /// it only by sending something and seeing an answer or a timeout.
    @_spi(Oracle) public func canReach(_ from: HostID, _ to: HostID) -> Bool {
        from == to || blocked.isEmpty || !blocked.contains(Self.pair(from.raw, to.raw))
    }

    /// Blocks traffic from every host of `a` to every host of `b` (and back unless `oneWay`).
    /// With `atHosts`, the drop is each host's own firewall (nft OUTPUT), as the validation
    /// runs make a host silent: senders see EPERM and retry at each write, not only on the timer.
    public func partition(_ a: [HostID], _ b: [HostID], oneWay: Bool = false, atHosts: Bool = false) {
        setBlocked(a, b, oneWay: oneWay, to: true)
        if atHosts { setPairs(a, b, oneWay: oneWay) { firewalled.insert($0) } }
        sim.record(describe(a), .partition, "\(oneWay ? "one-way " : "")from \(describe(a)) to \(describe(b))")
    }

    public func heal(_ a: [HostID], _ b: [HostID], oneWay: Bool = false) {
        setBlocked(a, b, oneWay: oneWay, to: false)
        if !firewalled.isEmpty { setPairs(a, b, oneWay: oneWay) { firewalled.remove($0) } }
        sim.record(describe(a), .heal, "\(describe(a)) <-> \(describe(b))")
    }

    private func setBlocked(_ a: [HostID], _ b: [HostID], oneWay: Bool, to value: Bool) {
        setPairs(a, b, oneWay: oneWay) { key in if value { blocked.insert(key) } else { blocked.remove(key) } }
    }

    private func setPairs(_ a: [HostID], _ b: [HostID], oneWay: Bool, _ set: (UInt64) -> Void) {
        for x in a {
            for y in b where x != y {
                set(Self.pair(x.raw, y.raw))
                if !oneWay { set(Self.pair(y.raw, x.raw)) }
            }
        }
    }

    /// Adds `delay` to every packet between the two sets (both ways) until removed.
    public func addLatency(_ a: [HostID], _ b: [HostID], _ delay: SimTime) {
        func add(_ key: UInt64) {
            let v = extraDelay[key, default: 0] + delay
            extraDelay[key] = v == 0 ? nil : v
        }
        for x in a {
            for y in b where x != y {
                add(Self.pair(x.raw, y.raw))
                add(Self.pair(y.raw, x.raw))
            }
        }
    }

    private func describe(_ ids: [HostID]) -> String {
        ids.map { hosts[$0.raw].name }.joined(separator: ",")
    }

    func oneWayDelay(_ from: Host, _ to: Host, reliable: Bool) -> SimTime? {
        if from.id == to.id { return Time.us(20) }  // loopback
        let spec = link(from, to)
        var d = spec.latency.sample(&rng)
        if !extraDelay.isEmpty { d = Time.sum(d, extraDelay[Self.pair(from.id.raw, to.id.raw)] ?? 0) }
        var loss = spec.loss
        if !extraLoss.isEmpty, let extra = extraLoss[Self.pair(from.id.raw, to.id.raw)] {
            // Independent drops: the link's own loss and each fault's.
            loss = 1 - (1 - loss) * extra.survive
        }
        if loss > 0 {
            if !reliable { if rng.chance(loss) { return nil } } else {
                // Each loss costs a retransmission timeout, doubling up to TCP_RTO_MAX; after
                // tcp_retries2 of them the kernel gives up and the connection breaks
                // (ETIMEDOUT). Without that limit a link that loses nearly everything
                // looped until the delay overflowed (issue 17).
                var rto = retransmitTimeout
                var retransmissions = 0
                while rng.chance(loss) {
                    retransmissions += 1
                    if retransmissions > tcpRetries2 { return nil }
                    d = Time.sum(d, rto); rto = min(rto * 2, Time.s(120))
                }
            }
        }
        return d
    }

    // MARK: faults on hosts and processes

    /// The host loses power: every process dies without a word, packets in flight
    /// to or from it are lost, peers learn only through their own timeouts.
    public func crashHost(_ host: Host) {
        guard host.isUp else { return }
        host.isUp = false
        host.incarnation &+= 1
        sim.record(host.name, .hostCrash)
        for p in host.processes {
            p.listeners.removeAll()
            p.directors.removeAll()
            p.datagramSockets.removeAll()
            // No FIN, no RST: the peers keep believing in these connections.
            p.connections.removeAll()
            p.forgetFrozen()
            if p.isRunning {
                p.isRunning = false
                p.incarnation &+= 1
            }
            p.observer?.hostDidCrash()
        }
    }

    /// The host boots again; its processes start only if their owners start them.
    public func restartHost(_ host: Host) {
        guard !host.isUp else { return }
        host.isUp = true
        sim.record(host.name, .hostRestart)
        for p in host.processes { p.observer?.hostDidRestart() }
    }

    /// The program dies but its host lives: the kernel resets every connection
    /// (peers hear RST after one trip) and refuses new connects at once.
    public func processDied(_ p: NetProcess) {
        guard p.isRunning else { return }
        p.isRunning = false
        p.incarnation &+= 1
        p.listeners.removeAll()
        p.directors.removeAll()
        p.datagramSockets.removeAll()
        // SIGKILL ends a stopped process too; what it had queued dies with it.
        p.forgetFrozen()
        let conns = p.connections
        p.connections.removeAll()
        for c in conns {
            let side: Connection.Side = c.client === p ? .client : .server
            guard !c.knownClosed[side.rawValue] else { continue }
            c.markClosed(side)
            // The kernel aborts the socket: unsent and unacknowledged data are discarded.
            c.held[side.rawValue].removeAll()
            if p.host.isUp { sendPacket(.rst, on: c, from: side) }
        }
    }

    /// The program starts (again); it must listen anew.
    public func processStarted(_ p: NetProcess) {
        guard p.host.isUp, !p.isRunning else { return }
        p.isRunning = true
    }

    // MARK: listening and connecting

    public func listen(_ p: NetProcess, port: Int, _ listener: Listener) {
        p.listeners[port] = listener
    }

    public func stopListening(_ p: NetProcess, port: Int) {
        p.listeners[port] = nil
    }

    /// Opens a connection. Calls back once: connected, refused (after one round
    /// trip, when the host lives but nothing listens), or timed out.
    public func connect(from p: NetProcess, to address: IPAddress, port: Int, timeout: SimTime,
                        delegate: ConnectionDelegate,
                        completion: @escaping (Result<Connection, ConnectError>) -> Void) {
        guard p.isAlive else { return }
        let id = nextPending
        nextPending += 1
        pendingConnects[id] = PendingConnect(process: p, dialled: address, port: port,
                                             delegate: delegate, completion: completion)
        let inc = p.incarnation
        // Callbacks capture their model object `unowned(unsafe)`, not `weak`: a weak reference
        // gives the object a side table for life, after which every retain and release of it takes
        // the runtime's slow path (a tenth of a run). The network, servers, Galera nodes, clients
        // and their threads live until Simulation.close, which drops pending callbacks unrun.
        pendingConnects[id]!.timer = sim.after(timeout) { [unowned(unsafe) self] in
            guard var pc = self.pendingConnects[id], !pc.done else { return }
            pc.done = true
            self.pendingConnects[id] = nil
            if pc.process.incarnation == inc { pc.process.whenRunnable { pc.completion(.failure(.timedOut)) } }
        }
        // No ARP answer: behaves like a dead host (the connect times out).
        retrySYN(id)
        // Unanswered SYNs are retransmitted as Linux does (TCP_TIMEOUT_INIT 1 s, doubling:
        // at 1, 3, 7, 15 ... s), each to wherever the address resolves then: a SYN lost to a
        // partition is sent again once it heals, and one to a VIP follows the ARP cache.
        resendSYN(id, after: Time.s(1))
    }

    private func resendSYN(_ id: Int, after rto: SimTime) {
        sim.after(rto) { [unowned(unsafe) self] in
            guard let pc = self.pendingConnects[id], !pc.done else { return }
            self.retrySYN(id)
            self.resendSYN(id, after: rto * 2)
        }
    }

    /// Sends a pending connect's SYN where its address resolves now.
    private func retrySYN(_ id: Int) {
        guard let pc = pendingConnects[id], !pc.done, pc.process.isAlive,
              let t = resolve(pc.dialled, from: pc.process.host) else { return }
        pendingConnects[id]!.sentTo = t
        send(.syn(pending: id), from: pc.process.host, to: hosts[t.raw], connection: nil, side: .client)
    }

    /// The ARP layer learned where `address` is, for the hosts `affected` selects: a SYN
    /// waiting for that resolution (Linux queues it on the INCOMPLETE neighbour) goes now.
    func neighbourUpdated(_ address: IPAddress, on affected: (Host) -> Bool) {
        for id in pendingConnects.keys.sorted() {
            guard let pc = pendingConnects[id], pc.dialled == address, affected(pc.process.host) else { continue }
            retrySYN(id)
        }
    }

    /// ICMP echo: true if the host answered within the timeout.
    public func ping(from p: NetProcess, to address: IPAddress, timeout: SimTime,
                     completion: @escaping (Bool) -> Void) {
        let id = nextPending
        nextPending += 1
        pendingPings[id] = (false, completion)
        sim.after(timeout) { [unowned(unsafe) self] in
            guard let pp = self.pendingPings[id], !pp.done else { return }
            self.pendingPings[id] = nil
            pp.completion(false)
        }
        guard let target = resolve(address, from: p.host) else { return }
        send(.ping(pending: id), from: p.host, to: hosts[target.raw], connection: nil, side: .client, reliable: false)
    }

    // MARK: sending

    /// Sends a message on a connection. Returns false if this end already knows
    /// the connection is gone (the caller gets error 2013/2006 at once).
    @discardableResult
    public func send(_ message: WireMessage, on c: Connection, from side: Connection.Side) -> Bool {
        guard !c.knownClosed[side.rawValue], c.endAlive(side) else { return false }
        sendPacket(.data(message), on: c, from: side)
        return true
    }

    /// Closes cleanly: the peer hears FIN after one trip.
    public func close(_ c: Connection, from side: Connection.Side) {
        guard !c.knownClosed[side.rawValue] else { return }
        c.markClosed(side)
        c.process(side).connections.removeAll { $0 === c }
        if c.endAlive(side) { sendPacket(.fin, on: c, from: side) }
    }

    func sendPacket(_ packet: Packet, on c: Connection, from side: Connection.Side) {
        let d = side.rawValue
        if !c.held[d].isEmpty {
            // Behind segments waiting for retransmission: TCP's send queue keeps the order.
            c.sent[d] &+= 1
            c.held[d].append((c.sent[d], packet))
            if c.localDrop[d] { writeAfterLocalDrop(c, side) }  // EPERM: every write tries again
            return
        }
        let fromHost = c.process(side).host
        let toHost = c.process(side.other).host
        if side == .client, resolver != nil, c.via == nil, c.dialled != toHost.address {
            // The client's kernel sends to whichever host its ARP cache says holds the
            // dialled address (a VIP) now, not to the host that accepted the connection.
            // A connection to a VIP knows the VIP's slot: no address lookup per segment.
            let found = c.neighbourSlot >= 0 ? vips?.resolve(vip: c.neighbourSlot, from: fromHost) : resolve(c.dialled, from: fromHost)
            guard let target = found else {
                // No one answers for the address: the segment waits for the retransmission timer.
                c.sent[d] &+= 1
                hold(packet, seq: c.sent[d], on: c, from: side, local: false)
                return
            }
            if target != toHost.id {
                // Another host holds the VIP now: its kernel knows no such connection.
                send(.stray, from: fromHost, to: hosts[target.raw], connection: c, side: side)
                return
            }
        }
        send(packet, from: fromHost, to: toHost, connection: c, side: side)
    }

    func send(_ packet: Packet, from: Host, to: Host, connection: Connection?, side: Connection.Side,
                      reliable: Bool = true) {
        guard from.isUp else { return }
        if let c = connection, let v = c.via, side == .client || c.viaReplies, from !== v, to !== v {
            sendVia(packet, from: from, via: v, to: to, c, side, reliable: reliable)
            return
        }
        var seq: UInt64 = 0
        if let c = connection { c.sent[side.rawValue] &+= 1; seq = c.sent[side.rawValue] }
        if !canReach(from.id, to.id) {
            // Lost on the dead path: TCP keeps it and retransmits (an RST or a stray segment is
            // never retransmitted).
            if let c = connection {
                hold(packet, seq: seq, on: c, from: side, local: isFirewalled(from.id, to.id))
            }
            return
        }
        guard let delay = oneWayDelay(from, to, reliable: reliable) else {
            // TCP gave up retransmitting: the connection is broken, as on a dead path.
            if reliable, let c = connection { lossBudgetSpent(c, side) }
            return
        }
        let at: SimTime
        if from.nic.shaped || to.nic.shaped {
            guard let t = shapedArrival(packet, from: from, to: to, latency: delay) else {
                // Dropped at the tail of a full transmit queue: TCP retransmits it after its RTO.
                if let c = connection { hold(packet, seq: seq, on: c, from: side, local: false) }
                return
            }
            at = t
        } else {
            at = Time.sum(sim.now, delay)
        }
        enqueue(packet, seq: seq, from: from, to: to, connection: connection, side: side, at: at)
    }

    /// Schedules a packet's delivery at `at` (in order with what its connection sent before).
    func enqueue(_ packet: Packet, seq: UInt64, from: Host, to: Host, connection: Connection?, side: Connection.Side, at arrival: SimTime) {
        var at = arrival
        if let c = connection {
            let d = side.rawValue
            at = max(at, c.lastDelivery[d])
            c.lastDelivery[d] = at
        }
        let slot: Int
        let item = InFlight(seq: seq, from: from.id, to: to.id, fromIncarnation: from.incarnation,
                            connection: connection, side: side, packet: packet)
        if let s = freeSlots.popLast() { inFlight[s] = item; slot = s } else { inFlight.append(item); slot = inFlight.count - 1 }
        sim.schedule(at: at, handler, tag: 0, arg: Int64(slot))
    }

    public func handle(_ event: Event, in sim: Simulation) {
        let slot = Int(event.arg)
        // Moved out of its slot, not copied: no retain and release of its connection and message.
        guard let item = inFlight[slot].take() else { return }
        freeSlots.append(slot)
        deliver(item)
    }

    private func deliver(_ item: InFlight) {
        let from = hosts[item.from.raw], to = hosts[item.to.raw]
        // Lost if the sender's host died meanwhile (what was in flight is gone),
        // the receiver is down, or a partition started while it travelled.
        guard from.incarnation == item.fromIncarnation else { return }
        if let c = item.connection, item.packet.isRetransmitted,
           !to.isUp || !canReach(from.id, to.id) || !c.held[item.side.rawValue].isEmpty {
            // Lost to a partition that started while it travelled or to a host that is down, or
            // behind a lost segment (the receiver delivers in order): back to the sender's
            // retransmission queue.
            hold(item.packet, seq: item.seq, on: c, from: item.side, local: false)
            return
        }
        if !to.isUp || !canReach(from.id, to.id) { return }
        switch item.packet {
        case .syn(let id):
            // A retransmitted SYN that another host already answered is ignored.
            guard let pc = pendingConnects[id], !pc.done, pendingSynAcks[id] == nil else { return }
            if let proc = to.processes.first(where: { $0.isAlive && $0.listeners[pc.port] != nil }),
               let listener = proc.listeners[pc.port] {
                if proc.isPaused {
                    // A stopped program accepts nothing: once its accept queue is full the
                    // kernel drops further SYNs (tcp_conn_request: sk_acceptq_is_full, the
                    // ListenOverflows counter) and the client's connect times out. Real:
                    // a stopped Tomcat (AJP acceptCount 100) made mod_jk's later connects time
                    // out (validation/results/web-tomcat-pause-ping.json).
                    let queued = proc.unaccepted[pc.port, default: 0]
                    guard queued < listener.acceptBacklog else { return }
                    proc.unaccepted[pc.port] = queued + 1
                }
                if proc.isPaused && listener.speaksFirst {
                    // A connection here includes the server's first words (MySQL's greeting, SSH's
                    // banner: those servers speak first). A stopped program sends none: the kernel
                    // keeps the SYN in its backlog and the client waits, within its connect timeout.
                    proc.frozen.append { [unowned(unsafe) self] in self.answerSYN(id, proc: proc, listener: listener, from: from, to: to) }
                    return
                }
                answerSYN(id, proc: proc, listener: listener, from: from, to: to)
            } else if let d = director(on: to, port: pc.port) {
                // An IPVS director: the SYN goes on to the real server its scheduler picks;
                // none available, and the director's own stack answers RST.
                guard let real = d.schedule(port: pc.port, from: pc.process.host) else {
                    send(.refuse(pending: id), from: to, to: pc.process.host, connection: nil, side: .server)
                    return
                }
                pendingConnects[id]!.via = to.id
                pendingConnects[id]!.director = d
                send(.syn(pending: id), from: to, to: real, connection: nil, side: .client)
            } else {
                send(.refuse(pending: id), from: to, to: pc.process.host, connection: nil, side: .server)
            }
        case .synAck(let id):
            let c = pendingSynAcks.removeValue(forKey: id)
            guard var pc = pendingConnects[id], !pc.done, let c else { return }
            pc.done = true
            pendingConnects[id] = nil
            if let t = pc.timer { sim.cancel(t) }
            // Even if the server end closed meanwhile: the client learns it from the FIN/RST that follows.
            guard pc.process.isAlive else { return }
            // The SYN-ACK acknowledges our SYN: forward progress confirms the neighbour entry.
            if c.neighbourSlot >= 0 { vips?.confirm(slot: c.neighbourSlot, from: to) }
            c.setDelegate(pc.delegate, for: .client)
            pc.process.connections.append(c)
            pc.process.whenRunnable { pc.completion(.success(c)) }
        case .refuse(let id):
            guard var pc = pendingConnects[id], !pc.done else { return }
            pc.done = true
            pendingConnects[id] = nil
            if let t = pc.timer { sim.cancel(t) }
            if pc.process.isAlive { pc.process.whenRunnable { pc.completion(.failure(.refused)) } }
        case .ping(let id):
            send(.pong(pending: id), from: to, to: from, connection: nil, side: .server, reliable: false)
        case .pong(let id):
            guard let pp = pendingPings[id], !pp.done else { return }
            pendingPings[id] = nil
            pp.completion(true)
        case .datagram(let d):
            deliverDatagram(d, to: to)
        case .stray:
            // The kernel answers a segment of an unknown connection with RST.
            if let c = item.connection { send(.rst, from: to, to: from, connection: c, side: .server) }
        case .data(let message):
            // Bytes already sent by a process that has since died are still
            // delivered by its host's kernel (retransmitted across a partition, see TCPRetransmission).
            guard let c = item.connection else { return }
            let rx = item.side.other
            if resetIfUnknown(c, rx, at: to, from: from) { return }
            guard c.endAlive(rx), !c.knownClosed[rx.rawValue] else { return }
            // A reply acknowledges what the client sent: TCP confirms the neighbour entry
            // (`tcp_ack` FLAG_FORWARD_PROGRESS → `sk_dst_confirm`).
            if rx == .client && c.neighbourSlot >= 0 { vips?.confirm(slot: c.neighbourSlot, from: to) }
            let p = c.process(rx)
            if p.isPaused {
                // Acknowledged and queued in the socket's receive buffer: read at SIGCONT.
                p.frozen.append {
                    guard c.endAlive(rx), !c.knownClosed[rx.rawValue] else { return }
                    c.delegates[rx.rawValue]?.received(message, on: c)
                }
                return
            }
            c.delegates[rx.rawValue]?.received(message, on: c)
        case .fin, .rst:
            guard let c = item.connection else { return }
            let rx = item.side.other
            if case .fin = item.packet, resetIfUnknown(c, rx, at: to, from: from) { return }
            let reason: CloseReason
            if case .rst = item.packet { reason = .reset } else { reason = .closedByPeer }
            // A stopped program learns of the close when it next reads the socket.
            let p = c.process(rx)
            if p.isPaused { p.frozen.append { [unowned(unsafe) self] in self.peerClosed(c, rx, reason) } } else { peerClosed(c, rx, reason) }
        }
    }

    private var pendingSynAcks: [Int: Connection] = [:]

    // MARK: the end of a run

    /// Every connection that may still hold a delegate: one whose end died silently (its host
    /// lost power) is in no process's list, yet its delegates and it may hold each other.
    /// Compacted as it grows, so closed connections do not accumulate.
    private var connectionsOpened: [Connection] = []
    private var compactAt = 64

    private func opened(_ c: Connection) {
        connectionsOpened.append(c)
        if connectionsOpened.count >= compactAt {
            connectionsOpened.removeAll { $0.isReleased }
            compactAt = max(64, connectionsOpened.count * 2)
        }
    }

    /// Breaks the cycles between hosts, processes, listeners, connections and their delegates,
    /// and drops the callbacks of pending connects and pings (Simulation.close).
    public func simulationDidClose() {
        for c in connectionsOpened { c.release() }
        connectionsOpened.removeAll()
        for c in pendingSynAcks.values { c.release() }
        pendingSynAcks.removeAll()
        pendingConnects.removeAll()
        pendingPings.removeAll()
        inFlight.removeAll()
        freeSlots.removeAll()
        for h in hosts {
            for p in h.processes {
                for c in p.connections { c.release() }
                p.connections.removeAll()
                p.listeners.removeAll()
                p.datagramSockets.removeAll()
                p.frozen.removeAll()    // a paused program's queued reads hold its connections
                p.observer?.networkDidClose()
                p.observer = nil
            }
            h.processes.removeAll()
        }
        resolver = nil
        vips = nil
        dns = nil
    }

    /// The listening program accepts a connect: SYN-ACK (and its greeting) go back.
    private func answerSYN(_ id: Int, proc: NetProcess, listener: Listener, from: Host, to: Host) {
        guard let pc = pendingConnects[id], !pc.done, pendingSynAcks[id] == nil, proc.isAlive else { return }
        nextConnectionID += 1
        let c = Connection(id: nextConnectionID, client: pc.process, server: proc, dialled: pc.dialled, port: pc.port)
        opened(c)
        c.neighbourSlot = vips?.slot(of: pc.dialled) ?? -1
        // The client's host: `from` is the director's when the SYN came through one.
        let client = pc.process.host
        if let v = pc.via, let d = pc.director { throughDirector(c, via: hosts[v.raw], d) }
        guard let serverDelegate = listener.accept(c) else {
            send(.refuse(pending: id), from: to, to: client, connection: nil, side: .server)
            return
        }
        c.setDelegate(serverDelegate, for: .server)
        proc.connections.append(c)
        pendingConnects[id]!.delegate = pc.delegate
        pendingSynAcks[id] = c
        // On the connection's server-to-client path, so a FIN or RST sent right after
        // the accept (a proxy with no server to use) cannot overtake it.
        send(.synAck(pending: id), from: to, to: client, connection: c, side: .server)
    }
}
