import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// One heartbeat daemon per node. Each sends heartbeats to its peer every
/// `keepalive` (here an ICMP-like exchange over the same network, so a broken link
/// stops them); a node that has not heard its peer for `deadtime` takes the
/// resources: the VIP (IPaddr: ip addr add + gratuitous ARP) and a writable mysqld.
/// Nothing fences the peer: if both live and cannot hear each other, both hold the VIP.
final class HeartbeatMonRuntime: StrategyRuntime {
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
    final class Node: Daemon {
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
        /// init starts heartbeat (and Mon) again on boot.
        var onBoot: (() -> Void)?
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
            run(n, peer: other)
        }
    }

    /// heartbeat's keepalive loop and, on the preferred node, Mon's check loop; each
    /// begins at a random phase, as the daemons started whenever the host booted.
    private func run(_ n: Node, peer other: Node) {
        n.lastHeard = d.sim.now
        n.every(keepalive) { [weak self] in self?.beat(n, to: other) }
        if n.db == preferred { n.every(monInterval) { [weak self] in self?.mon(n, peer: other) } }
    }

    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: heartbeats

    /// One heartbeat: it carries what the sender holds (heartbeat's status messages name the
    /// resources each node owns), and its answer tells the sender its peer lives.
    private func beat(_ n: Node, to other: Node) {
        let holds = n.holdsResources
        d.network.ping(from: n.process, to: other.db.host.address, timeout: keepalive, completion: n.inThisLife { [weak self] heard in
            guard let self else { return }
            if heard {
                self.delivered(holds: holds, from: n, to: other)
                self.heard(other, by: n)
            } else {
                self.silence(other, by: n)
            }
        })
    }

    /// `other` reads `n`'s heartbeat. When the peer it knew holding the resources says it gave
    /// them up (auto_failback after a split brain) while `other` holds them too, `other`
    /// keeps them and announces the VIP again (gratuitous ARP), so clients come back to it.
    private func delivered(holds: Bool, from n: Node, to other: Node) {
        guard other.isAlive else { return }
        let knewHolding = other.peerHolds
        other.peerHolds = holds
        guard knewHolding, !holds, other.holdsResources, !other.starting, let vip, let vips = d.network.vips else { return }
        if case .success = vips.acquire(vip, on: other.db.host) {
            record(other.db.name, .failoverStep, "auto_failback: \(vip) announced again")
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
                    // gave them up); otherwise it takes them back.
                    guard let self, !n.peerHolds else { return }
                    self.takeOver(other, reason: "auto_failback")
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
            // hb_standby: give the resources to the peer over the heartbeat link.
            self.release(n)
            self.d.network.ping(from: n.process, to: other.db.host.address, timeout: self.keepalive) { [weak self] heard in
                if heard { self?.takeOver(other, reason: "hb_standby from \(n.db.name)") }
            }
        })
    }
}
