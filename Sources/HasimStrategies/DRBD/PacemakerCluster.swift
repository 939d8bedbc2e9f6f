import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// A two-node Corosync/Pacemaker (or cman/rgmanager) cluster running one resource group
/// (storage, VIP, mysqld). Corosync's token circulates between the nodes (modelled as an
/// exchange every token/4 over the simulated network); a node that has not heard its
/// peer for `token` waits `consensus` for the others' join messages and then forms a new
/// membership without it (real corosync 3.1: "token timed out (3000ms), waiting 3600ms for
/// consensus"). Pacemaker's DC then runs the scheduler — after an election first when the
/// lost node was the DC — and the survivor fences the lost node if STONITH is enabled, then
/// runs `recover`. Pacemaker's recurring monitor restarts a failed mysqld in place
/// (on-fail=restart).
///
/// Each node has its own CIB: the configuration (persisted in /var/lib/pacemaker/cib, here the
/// cluster's settings) and the status section, which node's lrmd runs the group. The status
/// is not persisted: a booting node rebuilds it from its own lrmd (nothing runs) and from the
/// peer's updates, which travel over the cluster messaging (CPG on corosync's port 5405, a
/// datagram per token round here). What a node decides from (recover, fence, delay the fence)
/// is its own copy, which may lag the truth or be wrong across a partition.
final class PacemakerCluster {
    /// corosync's `mcastport` (knet/udpu 5405): the CIB updates and join messages.
    static let port = 5405
    struct Settings {
        var token: SimTime
        /// corosync's consensus timeout; nil: 1.2 x token, as corosync computes it.
        var consensus: SimTime? = nil
        /// Pacemaker's DC election and join round when the DC was the lost node.
        var dcElection: SimTime = 0
        /// From the new membership (with a DC) to the first action: scheduler and transition.
        var transition: SimTime = 0
        /// The IPaddr2 agent's start (a shell script: checks, ip addr add, send_arp).
        var ipaddrStart: SimTime = 0
        var stonith: Bool
        var fenceTime: SimTime
        var stonithTimeout: SimTime
        var priorityFencingDelay: SimTime
        var monitorInterval: SimTime
        var monitorTimeout: SimTime
    }

    /// corosync + pacemaker on one server's host. Which resources it runs is its lrmd's
    /// memory: a power cycle leaves it running nothing, and on boot it joins the
    /// membership and starts only what the cluster then places on it.
    final class Node: Daemon, DatagramReceiver {
        /// The database host it runs on, as the cluster configuration names it.
        let db: DatabaseHandle
        /// What its resource agents (ocf:heartbeat:mysql, drbd, Filesystem) reach on this host:
        /// the mysqld process and pid file, the block devices. Nothing of the peer's.
        private(set) var local: LocalDatabase!
        let mysql: AdminClient
        var lastHeard: SimTime = 0
        var peerLost = false
        /// What this node's lrmd runs now (not the cluster's belief, which may lag).
        var runsResources = false
        /// The Designated Controller as this node's crmd knows it (nil: not yet told, after a boot).
        var dc: String?
        /// This node's CIB status section about its peer: the peer's lrmd runs the group, as
        /// the peer's last update said (or as this node concluded when it fenced the peer).
        var peerRuns = false
        /// The peer's last update (a CIB diff and its crmd's DC), delivered on the cluster port.
        var onUpdate: ((Int64) -> Void)?
        func received(_ datagram: Datagram) { onUpdate?(datagram.sequence) }
        weak var cluster: PacemakerCluster?
        init(db: DatabaseHandle, deployment: Deployment) {
            self.db = db
            mysql = AdminClient(name: "pacemaker-mysql", host: db.host, network: deployment.network)
            super.init(name: "corosync", host: db.host, network: deployment.network)
            adopt(mysql.process)
            local = deployment.localDatabase(for: process)
        }
        override func crashed() {
            peerLost = false
            runsResources = false
            dc = nil
            peerRuns = false
        }
        override func booted() { cluster?.join(self) }
    }

    let d: Deployment
    let s: Settings
    private(set) var nodes: [Node] = []
    /// The resource group's recovery on a survivor, after fencing (or without it).
    var recover: ((Node, Node) -> Void)?
    private var monitorGeneration: Int64 = 0

    init(deployment: Deployment, settings: Settings, active primary: DatabaseHandle, standby: DatabaseHandle) {
        d = deployment
        s = settings
        for db in [primary, standby] { nodes.append(Node(db: db, deployment: deployment)) }
        nodes[0].runsResources = true
        nodes[1].peerRuns = true
        // The Designated Controller: elected when the cluster forms; which node wins varies
        // (a seeded draw), and losing it costs the survivors an election before they act.
        var draw = deployment.sim.random("pacemaker.dc")
        let dc = nodes[draw.below(nodes.count)].db.name
        for n in nodes {
            n.cluster = self
            n.dc = dc
            n.onUpdate = { [weak self, weak n] update in
                guard let self, let n else { return }
                self.received(update, by: n)
            }
        }
    }

    private var consensus: SimTime { s.consensus ?? s.token * 6 / 5 }

    func peer(of n: Node) -> Node { n === nodes[0] ? nodes[1] : nodes[0] }
    /// The group's start on `n` finished: its lrmd runs it (the peer learns it from n's next update).
    func becameActive(_ n: Node) { n.runsResources = true }
    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    var vip: IPAddress? { d.applicationVIP }

    func start() {
        for n in nodes { join(n) }
    }

    /// corosync starts (at boot): the token loop, and pacemaker's recurring monitor of
    /// the resources this node runs, each at the phase of its own start.
    func join(_ n: Node) {
        let interval = max(Time.ms(1), s.token / 4)
        n.lastHeard = d.sim.now
        d.network.bind(n.process, port: Self.port, n)
        n.every(interval) { [weak self] in self?.token(n) }
        if s.monitorInterval > 0 { n.every(s.monitorInterval) { [weak self] in self?.monitor(n) } }
    }

    // MARK: Corosync membership

    /// A node's update to its peer: bit 0 its lrmd runs the group, the rest the DC its crmd
    /// knows (1 + the node's index in the configuration; 0 none yet).
    private func update(from n: Node) -> Int64 {
        let dc = n.dc.flatMap { name in nodes.firstIndex { $0.db.name == name } }.map { Int64($0 + 1) } ?? 0
        return dc << 1 | (n.runsResources ? 1 : 0)
    }

    private func received(_ update: Int64, by n: Node) {
        guard n.isAlive else { return }
        n.peerRuns = update & 1 == 1
        let dc = Int(update >> 1)
        // A node that (re)joins is told the DC by the membership's join round; two nodes
        // booting together elect one (crmd's election: the lower uname here).
        if n.dc == nil { n.dc = dc > 0 ? nodes[dc - 1].db.name : min(n.db.name, peer(of: n).db.name) }
    }

    private func token(_ n: Node) {
        let interval = max(Time.ms(1), s.token / 4)
        let p = peer(of: n)
        d.network.sendDatagram(from: n.process, sourcePort: Self.port, to: p.db.host.address, port: Self.port, sequence: update(from: n))
        d.network.ping(from: n.process, to: p.db.host.address, timeout: interval, completion: n.inThisLife { [weak self] heard in
            guard let self else { return }
            if heard {
                n.lastHeard = self.d.sim.now
                if n.peerLost {
                    n.peerLost = false
                    self.record(n.db.name, .failoverStep, "corosync: node \(p.db.name) joined the membership")
                }
            } else if !n.peerLost, self.d.sim.now - n.lastHeard >= self.s.token {
                n.peerLost = true
                self.record(n.db.name, .alert, "corosync: A processor failed, forming new configuration: token timed out (\(Time.format(self.s.token))), waiting \(Time.format(self.consensus)) for consensus")
                n.after(self.consensus) { [weak self] in self?.membershipLost(p, seenBy: n) }
            }
        })
    }

    private func membershipLost(_ lost: Node, seenBy n: Node) {
        guard n.isAlive, n.peerLost else { return }
        record(n.db.name, .failoverStep, "pacemaker: node \(lost.db.name) lost (membership without it)")
        var decide = s.transition
        if n.dc == nil || n.dc == lost.db.name {
            n.dc = n.db.name
            decide += s.dcElection
            record(n.db.name, .failoverStep, "pacemaker: the DC was \(lost.db.name); \(n.db.name) is elected DC")
        }
        n.after(decide) { [weak self] in self?.schedule(lost: lost, seenBy: n) }
    }

    /// The DC's scheduler run after the membership change: recover, fencing first.
    private func schedule(lost: Node, seenBy n: Node) {
        guard n.peerLost else { return }
        // From this node's own CIB: its lrmd runs nothing, so the group must be recovered here.
        let needsRecovery = !n.runsResources
        let lostRan = n.peerRuns
        if needsRecovery { record(lost.db.name, .failoverStart, "pacemaker on \(n.db.name) recovers the resource group") }
        guard s.stonith else {
            if needsRecovery { recover?(n, lost) }
            return
        }
        // STONITH before anything touches the storage. priority-fencing-delay holds back
        // the fencing of the node that runs the resources, so that it wins a fence race.
        let delay = s.fenceTime + (lostRan ? s.priorityFencingDelay : 0)
        record(n.db.name, .failoverStep, "stonith: fencing \(lost.db.name) (off)")
        guard delay <= s.stonithTimeout + (lostRan ? s.priorityFencingDelay : 0) else {
            n.after(s.stonithTimeout) { [weak self] in
                self?.record(n.db.name, .failoverStepFailed, "stonith: fence of \(lost.db.name) timed out (stonith-timeout); resources blocked")
            }
            return
        }
        n.after(delay) { [weak self] in
            guard let self else { return }
            // The fence device (IPMI) powers the host off and answers: the peer runs nothing now.
            self.d.network.crashHost(lost.db.host)
            n.peerRuns = false
            self.record(n.db.name, .failoverStep, "stonith: \(lost.db.name) fenced (powered off)")
            if needsRecovery && !n.runsResources { self.recover?(n, lost) }
        }
    }

    // MARK: Pacemaker resource monitor of mysqld (on-fail=restart)

    /// The mysql agent's monitor on node `n`, for the resources its lrmd runs. The agent
    /// runs on that host, so it may look at the local process table (pid file + kill -0).
    private func monitor(_ n: Node) {
        guard n.runsResources else { return }
        switch n.local.mysqld {
        case .down:
            // A mysqld that died (the process, not the host) is found down by the monitor.
            record(n.db.name, .alert, "pacemaker: mysqld monitor: not running; on-fail=restart")
            n.local.startMySQLD()
            return
        case .starting: return
        case .running: break
        }
        n.mysql.execute(.ping, on: n.db.host.address, connectTimeout: s.monitorTimeout, timeout: s.monitorTimeout,
                        completion: n.inThisLife { [weak self] r in
            guard let self, case .failure(let e) = r, n.runsResources else { return }
            self.record(n.db.name, .alert, "pacemaker: mysqld monitor failed (\(e)); on-fail=restart")
            n.local.stopMySQLD()
            n.local.startMySQLD()
        })
    }

    // MARK: steps shared by the resource agents

    /// IPaddr2: its start runs (`ipaddrStart`), then the VIP is added and unsolicited ARPs
    /// go out; `next` is the group's next resource.
    func addVIP(on n: Node, then next: @escaping () -> Void) {
        let add = { [weak self] in
            guard let self else { return }
            if let vip = self.vip, let vips = self.d.network.vips {
                switch vips.acquire(vip, on: n.db.host) {
                case .success: self.record(n.db.name, .failoverStep, "IPaddr2: \(vip) added, unsolicited ARP")
                case .failure(let e): self.record(n.db.name, .failoverStepFailed, "IPaddr2: \(e)")
                }
            }
            next()
        }
        if s.ipaddrStart > 0 { n.after(s.ipaddrStart, add) } else { add() }
    }

    /// mysql agent start: mysqld, then wait until it answers (InnoDB crash recovery).
    func startMySQL(on n: Node, poll: SimTime = Time.s(1)) {
        n.local.startMySQLD()
        waitForMySQL(n, poll: poll)
    }

    private func waitForMySQL(_ n: Node, poll: SimTime) {
        n.mysql.execute(.ping, on: n.db.host.address, connectTimeout: poll, timeout: poll, completion: n.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success = r {
                self.record(n.db.name, .failoverComplete, "mysql agent: mysqld running, resource group started")
            } else {
                n.after(poll) { [weak self] in self?.waitForMySQL(n, poll: poll) }
            }
        })
    }
}
