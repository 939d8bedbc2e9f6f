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

    final class Node {
        let server: MySQLServer
        let process: NetProcess
        let mysql: AdminClient
        var lastHeard: SimTime = 0
        var peerLost = false
        init(server: MySQLServer, process: NetProcess, mysql: AdminClient) {
            self.server = server
            self.process = process
            self.mysql = mysql
        }
    }

    let d: Deployment
    let s: Settings
    private(set) var nodes: [Node] = []
    /// Nodes running the resource group (two after a split brain).
    private(set) var active: [Node] = []
    /// The resource group's recovery on a survivor, after fencing (or without it).
    var recover: ((Node, Node) -> Void)?
    private var monitorGeneration: Int64 = 0

    init(deployment: Deployment, settings: Settings, active primary: MySQLServer, standby: MySQLServer) {
        d = deployment
        s = settings
        for srv in [primary, standby] {
            nodes.append(Node(server: srv, process: d.network.spawn("corosync", on: srv.host),
                              mysql: AdminClient(name: "pacemaker-mysql", host: srv.host, network: d.network)))
        }
        active = [nodes[0]]
    }

    func peer(of n: Node) -> Node { n === nodes[0] ? nodes[1] : nodes[0] }
    func isActive(_ n: Node) -> Bool { active.contains { $0 === n } }
    func becameActive(_ n: Node) { if !isActive(n) { active.append(n) } }
    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    var vip: IPAddress? { d.applicationVIP }

    func start() {
        let interval = max(Time.ms(1), s.token / 4)
        for n in nodes {
            n.lastHeard = d.sim.now
            d.sim.after(interval) { [weak self] in self?.token(n, every: interval) }
        }
        if s.monitorInterval > 0 {
            d.sim.after(s.monitorInterval) { [weak self] in self?.monitor() }
        }
    }

    // MARK: Corosync membership

    private func token(_ n: Node, every interval: SimTime) {
        d.sim.after(interval) { [weak self] in self?.token(n, every: interval) }
        guard n.server.host.isUp else { n.lastHeard = d.sim.now; n.peerLost = false; return }
        let p = peer(of: n)
        d.network.ping(from: n.process, to: p.server.host.address, timeout: interval) { [weak self] heard in
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
                self.d.sim.after(self.s.reform) { [weak self] in self?.membershipLost(p, seenBy: n) }
            }
        }
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
            d.sim.after(s.stonithTimeout) { [weak self] in
                self?.record(n.server.name, .failoverStepFailed, "stonith: fence of \(lost.server.name) timed out (stonith-timeout); resources blocked")
            }
            return
        }
        d.sim.after(delay) { [weak self] in
            guard let self, n.server.host.isUp else { return }
            self.d.network.crashHost(lost.server.host)
            self.active.removeAll { $0 === lost }
            self.record(n.server.name, .failoverStep, "stonith: \(lost.server.name) fenced (powered off)")
            if needsRecovery && !self.isActive(n) { self.recover?(n, lost) }
        }
    }

    // MARK: Pacemaker resource monitor of mysqld (on-fail=restart)

    private func monitor() {
        d.sim.after(s.monitorInterval) { [weak self] in self?.monitor() }
        for n in active where n.server.host.isUp && n.server.state == .running {
            n.mysql.execute(.ping, on: n.server.host.address, connectTimeout: s.monitorTimeout, timeout: s.monitorTimeout) { [weak self] r in
                guard let self, case .failure(let e) = r, self.isActive(n), n.server.host.isUp else { return }
                self.record(n.server.name, .alert, "pacemaker: mysqld monitor failed (\(e)); on-fail=restart")
                n.server.stop()
                n.server.start()
            }
        }
        // A mysqld that died (the process, not the host) is found down by the monitor too.
        for n in active where n.server.host.isUp && n.server.state == .down {
            record(n.server.name, .alert, "pacemaker: mysqld monitor: not running; on-fail=restart")
            n.server.start()
        }
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
        n.mysql.execute(.ping, on: n.server.host.address, connectTimeout: poll, timeout: poll) { [weak self] r in
            guard let self, n.server.host.isUp else { return }
            if case .success = r {
                self.record(n.server.name, .failoverComplete, "mysql agent: mysqld running, resource group started")
            } else {
                self.d.sim.after(poll) { [weak self] in self?.waitForMySQL(n, poll: poll) }
            }
        }
    }
}
