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
    /// The same hosts, unretained, in a buffer of the network's own (`hosts` keeps them alive,
    /// and no host is ever removed): `withHost` lends one at +0. A host read from the array was
    /// retained and released around each use, two per host per segment on the delivery path.
    private var hostRefs = UnsafeMutablePointer<Unmanaged<Host>>.allocate(capacity: 16)
    /// Grown by doubling: a topology of 10,000 hosts copied the buffer once per host before.
    private var hostRefsCapacity = 16
    private var hostByName: [String: HostID] = [:]
    private var addressOwner: [IPAddress: HostID] = [:]
    var handler: HandlerID!
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
    public var sameSite: LinkSpec = .sameSite { didSet { resolveLinks() } }
    public var crossSite: LinkSpec = .crossSite { didSet { resolveLinks() } }
    /// The link in force between two sites, set or default, [a * siteNames.count + b]: resolved
    /// when a link or a default changes, so a packet reads one entry (through the optional table
    /// and the defaults it cost `link` about 42 instructions a packet).
    private var paths: [LinkSpec] = []
    /// `paths` as a packet draws them, same index: a log-normal latency's median already in
    /// seconds (`Time.seconds(median)`, the double `LatencyModel.sample` divided out per draw),
    /// so a draw is one call (`SimRandom.logNormalDuration`): the normal, its `exp` and the
    /// conversion.
    private var draws: [PathDraw] = []

    struct PathDraw {
        var latency: LatencyModel
        /// For a log-normal latency (`logNormal`): the median in seconds and the shape.
        var logNormal: Bool
        var medianSeconds: Double
        var sigma: Double
        var loss: Double

        init(_ link: LinkSpec) {
            latency = link.latency
            loss = link.loss
            if case .logNormal(let median, let sigma) = link.latency {
                logNormal = true
                medianSeconds = Time.seconds(median)
                self.sigma = sigma
            } else {
                logNormal = false
                medianSeconds = 0
                sigma = 0
            }
        }

        /// `latency.sample(&rng)`: the same operations on the same values, so the same draw.
        @inline(__always)
        func sample(_ rng: inout SimRandom) -> SimTime {
            guard logNormal else { return latency.sample(&rng) }
            return rng.logNormalDuration(medianSeconds: medianSeconds, sigma: sigma)
        }
    }
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
    public var resolver: ((IPAddress, Host) -> HostID?)? { didSet { hasResolver = resolver != nil } }
    /// Whether `resolver` is set, asked per client segment without loading the closure.
    private(set) var hasResolver = false
    /// The VIPs and the hosts' ARP caches (FrontDoors/VIPTable.swift), when the world has a VIP.
    public internal(set) var vips: VIPTable? {
        didSet { vipsRef = vips.map { Unmanaged.passUnretained($0) } }
    }
    /// `vips` unretained, for the per-segment resolve and confirm at +0: `vips` keeps the table
    /// alive and is set only outside a segment's handling (a call through the strong property
    /// retained and released the table around each segment).
    private(set) var vipsRef: Unmanaged<VIPTable>?
    /// The authoritative DNS and the hosts' resolver caches (FrontDoors/DNSService.swift).
    public internal(set) var dns: DNSService?

    var inFlight = SlotTable<InFlight>()
    /// The messages of data segments in flight or held for retransmission, by slot (a data
    /// packet's payload); a slot is freed when its segment is delivered or dropped.
    var messages = SlotTable<any WireMessage>()
    /// The datagrams in flight, by slot (`Packet.datagram`); freed when delivered or dropped.
    var datagrams = SlotTable<Datagram>()
    /// Whether a directed pair's partition is at the hosts' firewall (see `firewalled`).
    func isFirewalled(_ from: HostID, _ to: HostID) -> Bool {
        !firewalled.isEmpty && firewalled.contains(Self.pair(from.raw, to.raw))
    }

    var nextConnectionID = 0

    /// A segment. Trivial to copy, and two words: a data segment names its message by its slot in `messages`,
    /// so that copying or switching on a packet costs no reference counting. With the message
    /// inline (an existential, address-only), each copy and each `switch` that bound it went
    /// through the value witnesses (a retain of its box or record, later a release): several
    /// per packet (issue 15).
    enum Packet {
        case data(Int)
        case fin
        case rst
        case syn(pending: Int)
        case synAck(pending: Int)
        case refuse(pending: Int)
        case ping(pending: Int)
        case pong(pending: Int)
        /// A segment of a connection that reached a host without that connection (the VIP moved).
        case stray
        /// UDP (Datagram.swift): no connection, never retransmitted. By its slot in `datagrams`,
        /// as data by its message's: with the datagram inline (41 bytes) every packet was that
        /// large, went by address and was copied word by word into and out of its in-flight
        /// record; by slot a packet is two words.
        case datagram(Int)
    }

    struct InFlight {
        /// The segment's place in its connection's direction (for retransmission order).
        var seq: UInt64 = 0
        var from: HostID
        var to: HostID
        var fromIncarnation: UInt32
        /// The segment's connection, unretained: with a strong reference here the record was not
        /// trivial, and each copy of it went through its value witnesses (a retain and a release
        /// of the connection per copy and per binding). It stays alive because the network keeps
        /// a connection with a segment in flight (`Connection.segmentsInFlight`) in
        /// `connectionsOpened` or `landing`: retained by hand per record instead, it cost a
        /// retain and a release (two atomic operations) per segment.
        var connection: Unmanaged<Connection>?
        var side: Connection.Side  // the side that sent it
        var packet: Packet
    }

    struct PendingConnect {
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
    var pendingConnects: [Int: PendingConnect] = [:]
    var pendingPings: [Int: (done: Bool, completion: (Bool) -> Void)] = [:]
    var nextPending = 0

    public init(sim: Simulation) {
        self.sim = sim
        rng = sim.random("network")
        handler = sim.register(self)
    }

    deinit {
        hostRefs.deallocate()
    }

    // MARK: topology

    @discardableResult
    public func addHost(_ name: String, site: String, address: IPAddress? = nil) -> Host {
        precondition(hostByName[name] == nil, "duplicate host \(name)")
        let id = HostID(hosts.count)
        let host = Host(id: id, name: name, site: site, address: address ?? IPAddress(name),
                        machine: Machine(name: name, cores: 0, sim: sim))
        hosts.append(host)
        if hosts.count > hostRefsCapacity {
            hostRefsCapacity *= 2
            let refs = UnsafeMutablePointer<Unmanaged<Host>>.allocate(capacity: hostRefsCapacity)
            refs.initialize(from: hostRefs, count: hosts.count - 1)
            hostRefs.deallocate()
            hostRefs = refs
        }
        (hostRefs + hosts.count - 1).initialize(to: Unmanaged.passUnretained(host))
        hostByName[name] = id
        siteOf.append(siteIndex(site))
        host.siteIndex = siteOf[id.raw]
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

    /// Lends a host at +0 (no retain or release): every host lives as long as the network.
    @inline(__always)
    func withHost<R>(_ id: HostID, _ body: (Host) -> R) -> R {
        hostRefs[id.raw]._withUnsafeGuaranteedRef(body)
    }

    /// Sets the link between two sites (order does not matter).
    public func setLink(_ a: String, _ b: String, _ spec: LinkSpec) {
        let i = siteIndex(a), j = siteIndex(b), n = siteNames.count
        linkTable[i * n + j] = spec
        linkTable[j * n + i] = spec
        resolveLinks()
    }

    /// Rebuilds `paths` from the links set and the two defaults (rare: topology and setup).
    private func resolveLinks() {
        let n = siteNames.count
        paths = (0..<(n * n)).map { i in linkTable[i] ?? (i / n == i % n ? sameSite : crossSite) }
        draws = paths.map(PathDraw.init)
    }

    /// The index of a site, adding it (and growing the link table) the first time.
    private func siteIndex(_ site: String) -> Int {
        if let i = siteNames.firstIndex(of: site) { return i }
        let old = siteNames.count, n = old + 1
        var table = [LinkSpec?](repeating: nil, count: n * n)
        for a in 0..<old { for b in 0..<old { table[a * n + b] = linkTable[a * old + b] } }
        siteNames.append(site)
        linkTable = table
        resolveLinks()
        return old
    }

    public func link(_ from: Host, _ to: Host) -> LinkSpec { paths[pathIndex(from, to)] }

    /// Read per packet: the hosts' own site indices (`Host.siteIndex`), not `siteOf` (two
    /// bounds-checked array reads).
    @inline(__always)
    private func pathIndex(_ from: Host, _ to: Host) -> Int {
        from.siteIndex &* siteNames.count &+ to.siteIndex
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
        // The link read once (it was read again, with its bounds check, for its loss).
        let link = draws[pathIndex(from, to)]
        var d = link.sample(&rng)
        if !extraDelay.isEmpty { d = Time.sum(d, extraDelay[Self.pair(from.id.raw, to.id.raw)] ?? 0) }
        var loss = link.loss
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

    var pendingSynAcks: [Int: Connection] = [:]

    // MARK: the end of a run

    /// Every connection that may still hold a delegate: one whose end died silently (its host
    /// lost power) is in no process's list, yet its delegates and it may hold each other.
    /// Compacted as it grows, so closed connections do not accumulate. With `landing`, what
    /// keeps a connection alive while a segment of it is in flight.
    private var connectionsOpened: [Connection] = []
    /// The connections out of `connectionsOpened` with segments in flight: kept (the in-flight
    /// record names its connection unretained) until the last is handled (`landed`), which is
    /// when the record's own reference used to free them. Apart from the list, so the list and
    /// its compactions are as they were: a connection's lifetime is observable (its
    /// retransmission timer holds it weakly, TCPRetransmission.swift).
    private var landing: [Connection] = []

    /// A connection out of the list sends (its kernel's RST, a retransmission): kept until it lands.
    @inline(never)
    func track(_ c: Connection) {
        c.landing = true
        landing.append(c)
    }

    /// The last segment in flight of a connection kept only for its segments was handled: it is
    /// let go now (and freed now if nothing else holds it).
    @inline(never)
    func landed(_ c: Connection) {
        c.landing = false
        if let i = landing.firstIndex(where: { $0 === c }) { landing.remove(at: i) }
    }
    private var compactAt = 64

    func opened(_ c: Connection) {
        connectionsOpened.append(c)
        c.tracked = true
        if connectionsOpened.count >= compactAt {
            connectionsOpened.removeAll { c in
                guard c.isReleased else { return false }
                c.tracked = false
                // With segments in flight it is kept until they are handled (`landed`).
                if c.segmentsInFlight > 0 { track(c) }
                return true
            }
            compactAt = max(64, connectionsOpened.count * 2)
        }
    }

    /// Breaks the cycles between hosts, processes, listeners, connections and their delegates,
    /// and drops the callbacks of pending connects and pings (Simulation.close).
    public func simulationDidClose() {
        for c in connectionsOpened { c.release() }
        connectionsOpened.removeAll()
        for c in landing { c.release() }
        landing.removeAll()
        for c in pendingSynAcks.values { c.release() }
        pendingSynAcks.removeAll()
        pendingConnects.removeAll()
        pendingPings.removeAll()
        // The records hold their connections unretained: nothing to let go of.
        inFlight.removeAll()
        messages.removeAll()
        datagrams.removeAll()
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
}

extension Network {
    /// The message of a data segment that arrives, moved out of its slot (no copy).
    @inline(__always)
    func takeMessage(_ slot: Int) -> (any WireMessage)? {
        messages.take(slot)
    }

    /// A segment that goes nowhere: a data segment's message is released.
    @inline(__always)
    func discard(_ packet: Packet) {
        switch packet {
        case .data(let slot): _ = takeMessage(slot)
        case .datagram(let slot): _ = datagrams.take(slot)
        default: break
        }
    }

    /// Messages of data segments still in flight or held (for tests: 0 once all are settled).
    var liveMessages: Int { messages.liveCount }
    /// Datagrams in flight (for tests: 0 once all are delivered or dropped).
    var liveDatagrams: Int { datagrams.liveCount }

    /// Empties a direction's retransmission queue, releasing the messages it held.
    func dropHeld(_ c: Connection, _ d: Int) {
        for (_, p) in c.ends[d].held { discard(p) }
        c.ends[d].held.removeAll()
    }
}
