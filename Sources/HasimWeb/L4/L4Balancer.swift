import HasimKernel
import HasimNetwork
import HasimStrategies

extension TraceKind {
    public static let l4ServerDown = TraceKind("l4_server_down")
    public static let l4ServerUp = TraceKind("l4_server_up")
    public static let l4Weight = TraceKind("l4_weight")
    public static let l4Start = TraceKind("l4_start")
}

/// An L4 load balancer on its own host: Linux IPVS with keepalived's checkers (or a managed
/// cloud LBaaS, which behaves the same way with its provider's defaults). It is a director
/// (HasimNetwork Director.swift), not a proxy: a user's SYN to its address is scheduled to an
/// Apache, and every later segment of that connection passes its host, in both directions in
/// NAT mode and only the user's way with direct server return, so its NIC and per-packet cost
/// are what it costs. What it knows of the Apaches comes from its own checks (TCP connect or
/// HTTP GET over the network), never from their state.
public final class L4Balancer: Daemon, PacketDirector {
    public let spec: L4Spec
    let servers: [Host]
    let names: [String]
    /// ipvsadm's table: weight (a drain sets 0: no new connection, the others go on) and
    /// whether the real server is in the service at all (a removal, or a failed check: keepalived
    /// deletes it, and with `expire_nodest_conn` 0 its connections' packets are then dropped).
    private var weight: [Int]
    private var removed: [Bool]
    private var healthy: [Bool]
    private var successes: [Int]
    private var failures: [Int]
    /// Connections scheduled and not yet seen ending (ActiveConn).
    private var active: [Int]
    private var rr = -1
    private var currentWeight = 0
    private var phaseRNG: SimRandom

    public init(host: Host, network: Network, spec: L4Spec, apaches: [Host]) {
        self.spec = spec
        servers = apaches
        names = apaches.map(\.name)
        weight = apaches.map { spec.weights[$0.name] ?? 1 }
        removed = Array(repeating: false, count: apaches.count)
        healthy = Array(repeating: true, count: apaches.count)
        successes = Array(repeating: 0, count: apaches.count)
        failures = Array(repeating: 0, count: apaches.count)
        active = Array(repeating: 0, count: apaches.count)
        phaseRNG = network.sim.random("l4.checks@\(host.name)")
        super.init(name: spec.mode == .lbaas ? "lbaas" : "ipvs", host: host, network: network)
        var nic = host.nic
        nic.bitsPerSecond = spec.bandwidth
        nic.packetCost = spec.packetCost
        nic.measured = true
        nic.txQueueLen = spec.txQueueLen
        network.setNIC(host, nic)
        boot()
    }

    public var forwardsReplies: Bool { spec.mode.forwardsReplies }
    /// IP-in-IP: a 20-byte outer IPv4 header per packet (LVS-TUN).
    public var tunnelBytes: Int64 { spec.mode == .dsrL3 ? 20 : 0 }
    public var address: IPAddress { host.address }

    private func boot() {
        network.direct(process, port: Apache.port, self)
        // Each checker's first check at a seeded instant within one interval: where the check
        // cycle stands when a fault comes is what seeds explore.
        for i in servers.indices {
            let phase = 1 + SimTime(phaseRNG.next(upperBound: UInt64(max(1, spec.interval))))
            after(phase) { [weak self] in self?.check(i) }
        }
    }

    public override func crashed() {
        // The IPVS table and the checkers' state are in the kernel's and keepalived's memory.
        healthy = Array(repeating: true, count: servers.count)
        successes = Array(repeating: 0, count: servers.count)
        failures = Array(repeating: 0, count: servers.count)
        active = Array(repeating: 0, count: servers.count)
    }

    public override func booted() {
        sim.record(host.name, .l4Start, "\(process.name) started: \(servers.count) real servers")
        boot()
    }

    // MARK: - administration (ipvsadm -e / -d / -a)

    /// `ipvsadm -e ... -w W`: weight 0 drains (no new connections; established ones go on).
    public func setWeight(_ apache: String, _ w: Int) {
        guard isAlive, let i = names.firstIndex(of: apache) else { return }
        weight[i] = w
        sim.record(host.name, .l4Weight, "real server \(apache) weight \(w)")
    }

    /// `ipvsadm -d`: out of the service (true) or back in (false).
    public func setRemoved(_ apache: String, _ out: Bool) {
        guard isAlive, let i = names.firstIndex(of: apache) else { return }
        removed[i] = out
        if !out { weight[i] = spec.weights[apache] ?? 1 }
        sim.record(host.name, .l4Weight, out ? "real server \(apache) deleted" : "real server \(apache) added again")
    }

    // MARK: - health checks (keepalived TCP_CHECK / HTTP_GET; a target group's checks)

    private func check(_ i: Int) {
        let end = CheckEnd()
        var done = false
        let finish: (Bool) -> Void = inThisLife { [weak self] (ok: Bool) in
            guard let self, !done else { return }
            done = true
            self.checked(i, ok: ok)
        }
        network.connect(from: process, to: servers[i].address, port: Apache.port, timeout: spec.timeout, delegate: end,
                        completion: inThisLife { [weak self] (r: Result<Connection, ConnectError>) in
            guard let self else { return }
            guard case .success(let c) = r else { finish(false); return }
            guard self.spec.check == .http else {
                self.network.close(c, from: .client)
                finish(true)
                return
            }
            end.onResponse = { [weak self] status in
                self?.network.close(c, from: .client)
                finish(status == 200)
            }
            end.onClose = { finish(false) }
            self.network.send(HTTPCheckRequest(), on: c, from: .client)
            self.after(self.spec.timeout) { [weak self] in
                guard !done else { return }
                self?.network.close(c, from: .client)
                finish(false)
            }
        })
    }

    private func checked(_ i: Int, ok: Bool) {
        if ok {
            successes[i] += 1
            failures[i] = 0
            if !healthy[i] && successes[i] >= spec.rise {
                healthy[i] = true
                sim.record(host.name, .l4ServerUp, "\(spec.check == .http ? "HTTP_GET" : "TCP_CHECK") on \(names[i]) succeeded: added to the service")
            }
        } else {
            failures[i] += 1
            successes[i] = 0
            if healthy[i] && failures[i] >= spec.fall {
                healthy[i] = false
                sim.record(host.name, .l4ServerDown, "\(spec.check == .http ? "HTTP_GET" : "TCP_CHECK") on \(names[i]) failed \(failures[i]) times: removed from the service")
            }
        }
        let next = !ok && healthy[i] ? spec.retryDelay : spec.interval
        after(next) { [weak self] in self?.check(i) }
    }

    // MARK: - the director

    private func available(_ i: Int) -> Bool { healthy[i] && !removed[i] && weight[i] > 0 }

    public func schedule(port: Int, from client: Host) -> Host? {
        guard isAlive, let i = pick() else { return nil }
        active[i] += 1
        return servers[i]
    }

    /// ip_vs_rr.c, ip_vs_wrr.c (interleaved by the gcd of the weights), ip_vs_lc.c and
    /// ip_vs_wlc.c (overhead = active connections, over the weight), IPVS's first-best ties.
    private func pick() -> Int? {
        let n = servers.count
        switch spec.scheduler {
        case .rr:
            for k in 1...n {
                let i = (rr + k) % n
                if available(i) { rr = i; return i }
            }
            return nil
        case .wrr:
            let ws = servers.indices.filter(available).map { weight[$0] }
            guard let maxW = ws.max() else { return nil }
            let g = ws.reduce(0) { gcd($0, $1) }
            while true {
                rr = (rr + 1) % n
                if rr == 0 {
                    currentWeight -= g
                    if currentWeight <= 0 { currentWeight = maxW }
                }
                if available(rr) && weight[rr] >= currentWeight { return rr }
            }
        case .lc, .wlc:
            var best: Int?
            for i in servers.indices where available(i) {
                guard let b = best else { best = i; continue }
                let wi = spec.scheduler == .lc ? 1 : weight[i], wb = spec.scheduler == .lc ? 1 : weight[b]
                if active[i] * wb < active[b] * wi { best = i }
            }
            return best
        }
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }

    private func index(of h: Host) -> Int? { servers.firstIndex { $0 === h } }

    public func verdict(_ c: Connection) -> DirectorVerdict {
        guard isAlive, let i = index(of: c.server.host) else { return .drop }
        if removed[i] || !healthy[i] { return spec.expireNodestConn ? .reset : .drop }
        return .forward
    }

    /// The VIP moved here and a connection another director scheduled arrives: with
    /// `sync_daemon` this director ran `ipvsadm --start-daemon backup` and holds a copy of the
    /// entry (bound to the same real server), so it forwards; without, there is no entry.
    public func adopt(_ c: Connection) -> Bool {
        guard isAlive, spec.vrrp.syncDaemon, let i = index(of: c.server.host) else { return false }
        active[i] += 1
        return true
    }

    public func connectionEnded(_ c: Connection) {
        guard let i = index(of: c.server.host), active[i] > 0 else { return }
        active[i] -= 1
    }

    /// What the balancer's NIC carried.
    public var load: L4Load {
        let nic = host.nic
        return L4Load(mode: spec.mode.rawValue, bytesIn: nic.bytesIn, bytesOut: nic.bytesOut,
                      peakUtilisation: nic.peakUtilisation, maxQueueDelay: nic.maxQueueDelay, bandwidth: spec.bandwidth,
                      drops: nic.drops, droppedPackets: nic.droppedPackets)
    }

    /// The client end of a check.
    final class CheckEnd: ConnectionDelegate {
        var onResponse: ((Int) -> Void)?
        var onClose: (() -> Void)?
        func received(_ message: WireMessage, on connection: Connection) {
            if let r = message as? HTTPCheckResponse { onResponse?(r.status) }
        }
        func closed(_ connection: Connection, reason: CloseReason) { onClose?() }
    }
}

/// The balancer's load over the run, per mode: the seed's reason for DSR is that responses
/// are far larger than requests, so a NAT balancer carries both and a DSR one the small side.
public struct L4Load: Sendable, Equatable {
    public var mode: String
    public var bytesIn: Int64
    public var bytesOut: Int64
    /// The busiest second's bytes (either direction) over the capacity (0: unlimited).
    public var peakUtilisation: Double
    public var maxQueueDelay: SimTime
    public var bandwidth: Int64
    /// Messages (and their frames) dropped at the tail of the full transmit queue.
    public var drops: Int64 = 0
    public var droppedPackets: Int64 = 0
}
