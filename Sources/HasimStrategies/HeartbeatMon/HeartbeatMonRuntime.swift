import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// One heartbeat daemon per node. Each sends heartbeats to its peer every
/// `keepalive` (here an ICMP-like exchange over the same network, so a broken link
/// stops them); a node that has not heard its peer for `deadtime` takes the
/// resources: the VIP (IPaddr: ip addr add + gratuitous ARP) and a writable mysqld.
/// Nothing fences the peer: if both live and cannot hear each other, both hold the VIP.
/// What one node tells the other (the resources it holds, hb_standby's hand-off) travels as
/// a UDP message to the peer's heartbeat process (udpport 694), never as a call on its object:
/// a cut link loses it.
final class HeartbeatMonRuntime: StrategyRuntime {
    /// heartbeat's `udpport` (ha.cf default 694).
    static let udpPort = 694
    /// What a heartbeat message says (ha_msg `t=status` with the node's resources, or the
    /// resource request hb_standby sends): hasim's datagrams carry one number.
    enum Message: Int64 { case statusHoldsNothing = 0, statusHolds = 1, standby = 2 }

    private let d: Deployment
    private let keepalive: SimTime
    private let deadtime: SimTime
    private let warntime: SimTime
    private let autoFailback: Bool
    private let monInterval: SimTime
    private let monTimeout: SimTime
    /// How long the mysqld resource script waits for mysqld to answer on start.
    private let resourceTimeout: SimTime
    /// What heartbeat's own scripts cost on takeover (every step costs time): harc/mach_down/
    /// ResourceManager, the mysqld resource script, and IPaddr2's status + start.
    private let takeoverTime: SimTime
    private let resourceScriptTime: SimTime
    private let ipaddrTime: SimTime
    private let preferred: DatabaseHandle
    private let peer: DatabaseHandle
    private var nodes: [Node] = []

    /// heartbeat (and Mon on the preferred node) on one server's host. Whether it holds
    /// the resources lives in its memory only: after a power cycle it starts holding
    /// nothing, and learns about its peer from heartbeats again.
    final class Node: Daemon, DatagramReceiver {
        /// The database host it runs on, as haresources names it: its resource scripts reach the
        /// local mysqld through SQL only.
        let db: DatabaseHandle
        let mysql: AdminClient
        var lastHeard: SimTime = 0
        var warned = false
        var holdsResources = false
        /// The resource scripts are still starting (heartbeat refuses hb_standby meanwhile).
        var starting = false
        var peerDead = false
        /// Whether the peer holds the resources, as its last heartbeat said.
        var peerHolds = false
        /// Resources given up by hb_standby and not yet seen taken by the peer: heartbeat
        /// resends the request (its messages are retransmitted until acknowledged).
        var handingOff = false
        /// init starts heartbeat (and Mon) again on boot.
        var onBoot: (() -> Void)?
        /// A message from the peer's heartbeat arrived on udpport.
        var onMessage: ((Message) -> Void)?
        func received(_ datagram: Datagram) {
            if let m = Message(rawValue: datagram.sequence) { onMessage?(m) }
        }
        init(db: DatabaseHandle, network: Network) {
            self.db = db
            mysql = AdminClient(name: "heartbeat-rsc", host: db.host, network: network)
            super.init(name: "heartbeat", host: db.host, network: network)
            adopt(mysql.process)
        }
        override func crashed() {
            holdsResources = false
            starting = false
            peerDead = false
            peerHolds = false
            warned = false
            handingOff = false
        }
        override func booted() {
            lastHeard = sim.now
            onBoot?()
        }
    }

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        keepalive = options.duration("keepalive")
        deadtime = options.duration("deadtime")
        warntime = options.duration("warntime")
        autoFailback = options.bool("auto_failback")
        monInterval = options.duration("mon_interval")
        monTimeout = options.duration("mon_timeout")
        resourceTimeout = options.duration("resource_start_timeout")
        takeoverTime = options.duration("takeover_time")
        resourceScriptTime = options.duration("resource_script_time")
        ipaddrTime = options.duration("ipaddr_time")
        preferred = deployment.initialPrimary
        peer = deployment.replicas[0].replica
    }

    var applicationAddress: IPAddress { preferred.host.address }

    private var vip: IPAddress? { d.applicationVIP }

    func start() {
        for s in [preferred, peer] {
            let n = Node(db: s, network: d.network)
            n.holdsResources = s == preferred
            nodes.append(n)
        }
        for (i, n) in nodes.enumerated() {
            let other = nodes[1 - i]
            // Weak: the node keeps this closure, so a strong capture of itself (or of its peer,
            // which keeps its own) would outlive the run.
            n.onBoot = { [weak self, weak n, weak other] in
                guard let n, let other else { return }
                self?.run(n, peer: other)
            }
            n.onMessage = { [weak self, weak n] m in
                guard let self, let n else { return }
                self.receive(m, by: n)
            }
            run(n, peer: other)
        }
    }

    /// heartbeat's keepalive loop and, on the preferred node, Mon's check loop; each
    /// begins at a random phase, as the daemons started whenever the host booted.
    private func run(_ n: Node, peer other: Node) {
        n.lastHeard = d.sim.now
        d.network.bind(n.process, port: Self.udpPort, n)
        n.every(keepalive) { [weak self] in self?.beat(n, to: other) }
        if n.db == preferred { n.every(monInterval) { [weak self] in self?.mon(n, peer: other) } }
    }

    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: heartbeats

    /// One heartbeat: a status message to the peer's heartbeat naming what the sender holds,
    /// and an exchange whose answer tells the sender its peer lives.
    private func beat(_ n: Node, to other: Node) {
        send(n.holdsResources ? .statusHolds : .statusHoldsNothing, from: n, to: other)
        if n.handingOff { send(.standby, from: n, to: other) }
        d.network.ping(from: n.process, to: other.db.host.address, timeout: keepalive, completion: n.inThisLife { [weak self] heard in
            guard let self else { return }
            if heard {
                self.heard(other, by: n)
            } else {
                self.silence(other, by: n)
            }
        })
    }

    private func send(_ m: Message, from n: Node, to other: Node) {
        d.network.sendDatagram(from: n.process, sourcePort: Self.udpPort, to: other.db.host.address, port: Self.udpPort, sequence: m.rawValue)
    }

    /// A message from the peer's heartbeat, read by `n`'s.
    private func receive(_ m: Message, by n: Node) {
        guard n.isAlive else { return }
        switch m {
        case .standby:
            // hb_standby on the peer: it gave up the resources and asks this node to take them.
            takeOver(n, reason: autoFailback && n.db == preferred ? "auto_failback" : "hb_standby from the peer")
        case .statusHolds, .statusHoldsNothing:
            let holds = m == .statusHolds
            // The peer now holds what it handed off: the request is answered.
            if holds { n.handingOff = false }
            delivered(holds: holds, to: n)
        }
    }

    /// `n` reads its peer's status. When the peer it knew holding the resources says it gave
    /// them up (auto_failback after a split brain) while `n` holds them too, `n` keeps them and
    /// announces the VIP again (gratuitous ARP), so clients come back to it.
    private func delivered(holds: Bool, to n: Node) {
        let knewHolding = n.peerHolds
        n.peerHolds = holds
        guard knewHolding, !holds, n.holdsResources, !n.starting, let vip, let vips = d.network.vips else { return }
        if case .success = vips.acquire(vip, on: n.db.host) {
            record(n.db.name, .failoverStep, "auto_failback: \(vip) announced again")
        }
    }

    private func heard(_ other: Node, by n: Node) {
        n.lastHeard = d.sim.now
        n.warned = false
        if n.peerDead {
            n.peerDead = false
            record(n.db.name, .failoverStep, "heartbeat: node \(other.db.name) is back")
            // auto_failback: the preferred node takes its resources back.
            if autoFailback && other.db == preferred && n.holdsResources {
                release(n)
                n.after(keepalive) { [weak self] in
                    // If the preferred node's heartbeats say it holds them too (a split brain),
                    // it keeps them (and announces the VIP again once it reads that this node
                    // gave them up); otherwise this node asks it to take them back, a message
                    // to its heartbeat as hb_standby sends.
                    guard let self, !n.peerHolds else { return }
                    n.handingOff = true
                    self.send(.standby, from: n, to: other)
                }
            }
        }
    }

    private func silence(_ other: Node, by n: Node) {
        let quiet = d.sim.now - n.lastHeard
        if quiet >= warntime && !n.warned {
            n.warned = true
            record(n.db.name, .failoverStep, "heartbeat: WARN: late heartbeat from \(other.db.name) (\(Time.format(quiet)))")
        }
        guard quiet >= deadtime, !n.peerDead else { return }
        n.peerDead = true
        // A dead node holds nothing, as far as this node knows; its next heartbeats will say.
        n.peerHolds = false
        record(n.db.name, .alert, "heartbeat: node \(other.db.name): status dead")
        if !n.holdsResources { takeOver(n, reason: "peer dead") }
    }

    // MARK: resources (haresources: IPaddr::VIP mysqld)

    private func takeOver(_ n: Node, reason: String) {
        guard n.isAlive, !n.holdsResources else { return }
        n.handingOff = false
        let other = nodes.first { $0 !== n }!
        record(other.db.name, .failoverStart, "heartbeat on \(n.db.name) takes the resources (\(reason))")
        n.holdsResources = true
        n.starting = true
        n.after(takeoverTime) { [weak self] in
            guard let self, n.holdsResources else { return }
            n.after(self.resourceScriptTime) { [weak self] in
                guard let self, n.holdsResources else { return }
                self.startMySQLResource(n, deadline: self.d.sim.now + self.resourceTimeout)
            }
        }
    }

    /// The mysqld resource script's start: it returns once mysqld answers (after a
    /// reboot, InnoDB recovery first), and only then does the VIP come up.
    private func startMySQLResource(_ n: Node, deadline: SimTime) {
        n.mysql.execute(.setReadOnly(false), on: n.db.host.address, connectTimeout: Time.s(1), timeout: Time.s(5),
                        completion: n.inThisLife { [weak self] r in
            guard let self, n.holdsResources else { return }
            if case .success(.ok) = r {
                n.starting = false
                self.record(n.db.name, .failoverStep, "resource mysqld: read_only=0")
            } else if self.d.sim.now < deadline {
                n.after(Time.s(1)) { [weak self] in self?.startMySQLResource(n, deadline: deadline) }
                return
            } else {
                n.starting = false
                self.record(n.db.name, .failoverStepFailed, "resource mysqld: \(r)")
            }
            guard let vip = self.vip, let vips = self.d.network.vips else {
                self.record(n.db.name, .failoverComplete, "resources on \(n.db.name)")
                return
            }
            n.after(self.ipaddrTime) { [weak self] in
                guard let self, n.holdsResources else { return }
                switch vips.acquire(vip, on: n.db.host) {
                case .success: self.record(n.db.name, .failoverComplete, "IPaddr: \(vip) up, gratuitous ARP")
                case .failure(let e): self.record(n.db.name, .failoverStepFailed, "IPaddr: \(e)")
                }
            }
        })
    }

    private func release(_ n: Node) {
        guard n.holdsResources else { return }
        n.holdsResources = false
        if let vip, let vips = d.network.vips { vips.release(vip, on: n.db.host) }
        record(n.db.name, .failoverStep, "resources released")
    }

    // MARK: Mon (mysql.monitor -> bring-ha-down.alert -> hb_standby)

    private func mon(_ n: Node, peer other: Node) {
        guard n.holdsResources, !n.starting else { return }
        n.mysql.execute(.ping, on: n.db.host.address, connectTimeout: monTimeout, timeout: monTimeout,
                        completion: n.inThisLife { [weak self] r in
            guard let self, n.holdsResources, !n.starting else { return }
            if case .success(.ok) = r { return }
            self.record(n.db.name, .alert, "mon: mysql.monitor failed; bring-ha-down.alert -> hb_standby")
            // hb_standby: give the resources up and ask the peer's heartbeat to take them, a
            // message over the heartbeat link, resent with each heartbeat until the peer's
            // status says it holds them (lost while the link is cut).
            self.release(n)
            n.handingOff = true
            self.send(.standby, from: n, to: other)
        })
    }
}
