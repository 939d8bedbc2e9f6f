import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// A two-node Corosync/Pacemaker (or cman/rgmanager) cluster running one resource group
/// (storage, VIP, mysqld). Corosync's token circulates between the nodes (modelled as an
/// exchange every token/4 over the simulated network); a node that has not heard its
/// peer for `token` forms a new membership ("about 50 ms" later) without it. The survivor
/// fences the lost node if STONITH is enabled, then runs `recover`. Pacemaker's recurring
/// monitor restarts a failed mysqld in place (on-fail=restart).
final class PacemakerCluster {
    struct Settings {
        var token: SimTime
        var reform: SimTime = Time.ms(50)
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
    final class Node: Daemon {
        let server: MySQLServer
        let mysql: AdminClient
        var lastHeard: SimTime = 0
        var peerLost = false
        /// What this node's lrmd runs now (not the cluster's belief, which may lag).
        var runsResources = false
        weak var cluster: PacemakerCluster?
        init(server: MySQLServer, network: Network) {
            self.server = server
            mysql = AdminClient(name: "pacemaker-mysql", host: server.host, network: network)
            super.init(name: "corosync", host: server.host, network: network)
            adopt(mysql.process)
        }
        override func crashed() {
            peerLost = false
            runsResources = false
        }
        override func booted() { cluster?.join(self) }
    }

    let d: Deployment
    let s: Settings
    private(set) var nodes: [Node] = []
    /// Nodes the cluster believes run the resource group (two after a split brain): the
    /// CIB's view, changed by membership and fencing, not by a node's silent death.
    private(set) var active: [Node] = []
    /// The resource group's recovery on a survivor, after fencing (or without it).
    var recover: ((Node, Node) -> Void)?
    private var monitorGeneration: Int64 = 0

    init(deployment: Deployment, settings: Settings, active primary: MySQLServer, standby: MySQLServer) {
        d = deployment
        s = settings
        for srv in [primary, standby] { nodes.append(Node(server: srv, network: d.network)) }
        active = [nodes[0]]
        nodes[0].runsResources = true
        for n in nodes { n.cluster = self }
    }

    func peer(of n: Node) -> Node { n === nodes[0] ? nodes[1] : nodes[0] }
    func isActive(_ n: Node) -> Bool { active.contains { $0 === n } }
    func becameActive(_ n: Node) {
        n.runsResources = true
        if !isActive(n) { active.append(n) }
    }
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
        n.every(interval) { [weak self] in self?.token(n) }
        if s.monitorInterval > 0 { n.every(s.monitorInterval) { [weak self] in self?.monitor(n) } }
    }

    // MARK: Corosync membership

    private func token(_ n: Node) {
        let interval = max(Time.ms(1), s.token / 4)
        let p = peer(of: n)
        d.network.ping(from: n.process, to: p.server.host.address, timeout: interval, completion: n.inThisLife { [weak self] heard in
            guard let self else { return }
            if heard {
                n.lastHeard = self.d.sim.now
                if n.peerLost {
                    n.peerLost = false
                    self.record(n.server.name, .failoverStep, "corosync: node \(p.server.name) joined the membership")
                }
            } else if !n.peerLost, self.d.sim.now - n.lastHeard >= self.s.token {
                n.peerLost = true
                self.record(n.server.name, .alert, "corosync: A processor failed, forming new configuration (token \(Time.format(self.s.token)))")
                n.after(self.s.reform) { [weak self] in self?.membershipLost(p, seenBy: n) }
            }
        })
    }

    private func membershipLost(_ lost: Node, seenBy n: Node) {
        guard n.server.host.isUp, n.peerLost else { return }
        record(n.server.name, .failoverStep, "pacemaker: node \(lost.server.name) lost (membership without it)")
        let needsRecovery = !isActive(n)
        if needsRecovery { record(lost.server.name, .failoverStart, "pacemaker on \(n.server.name) recovers the resource group") }
        guard s.stonith else {
            if needsRecovery { recover?(n, lost) }
            return
        }
        // STONITH before anything touches the storage. priority-fencing-delay holds back
        // the fencing of the node that runs the resources, so that it wins a fence race.
        let delay = s.fenceTime + (isActive(lost) ? s.priorityFencingDelay : 0)
        record(n.server.name, .failoverStep, "stonith: fencing \(lost.server.name) (off)")
        guard delay <= s.stonithTimeout + (isActive(lost) ? s.priorityFencingDelay : 0) else {
            n.after(s.stonithTimeout) { [weak self] in
                self?.record(n.server.name, .failoverStepFailed, "stonith: fence of \(lost.server.name) timed out (stonith-timeout); resources blocked")
            }
            return
        }
        n.after(delay) { [weak self] in
            guard let self else { return }
            self.d.network.crashHost(lost.server.host)
            self.active.removeAll { $0 === lost }
            self.record(n.server.name, .failoverStep, "stonith: \(lost.server.name) fenced (powered off)")
            if needsRecovery && !self.isActive(n) { self.recover?(n, lost) }
        }
    }

    // MARK: Pacemaker resource monitor of mysqld (on-fail=restart)

    /// The mysql agent's monitor on node `n`, for the resources its lrmd runs. The agent
    /// runs on that host, so it may look at the local process table (pid file + kill -0).
    private func monitor(_ n: Node) {
        guard n.runsResources else { return }
        if n.server.state == .down {
            // A mysqld that died (the process, not the host) is found down by the monitor.
            record(n.server.name, .alert, "pacemaker: mysqld monitor: not running; on-fail=restart")
            n.server.start()
            return
        }
        guard n.server.state == .running else { return }
        n.mysql.execute(.ping, on: n.server.host.address, connectTimeout: s.monitorTimeout, timeout: s.monitorTimeout,
                        completion: n.inThisLife { [weak self] r in
            guard let self, case .failure(let e) = r, n.runsResources else { return }
            self.record(n.server.name, .alert, "pacemaker: mysqld monitor failed (\(e)); on-fail=restart")
            n.server.stop()
            n.server.start()
        })
    }

    // MARK: steps shared by the resource agents

    /// IPaddr2: add the VIP and send unsolicited ARPs.
    func addVIP(on n: Node) {
        guard let vip, let vips = d.network.vips else { return }
        switch vips.acquire(vip, on: n.server.host) {
        case .success: record(n.server.name, .failoverStep, "IPaddr2: \(vip) added, unsolicited ARP")
        case .failure(let e): record(n.server.name, .failoverStepFailed, "IPaddr2: \(e)")
        }
    }

    /// mysql agent start: mysqld, then wait until it answers (InnoDB crash recovery).
    func startMySQL(on n: Node, poll: SimTime = Time.s(1)) {
        n.server.start()
        waitForMySQL(n, poll: poll)
    }

    private func waitForMySQL(_ n: Node, poll: SimTime) {
        n.mysql.execute(.ping, on: n.server.host.address, connectTimeout: poll, timeout: poll, completion: n.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success = r {
                self.record(n.server.name, .failoverComplete, "mysql agent: mysqld running, resource group started")
            } else {
                n.after(poll) { [weak self] in self?.waitForMySQL(n, poll: poll) }
            }
        })
    }
}
