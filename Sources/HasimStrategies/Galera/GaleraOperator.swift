import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// The DBA on call and their monitoring, as a process on a host (an admin box): a Nagios-style
/// check runs `SHOW STATUS LIKE 'wsrep%'` on every node each `operator_check_interval`; when
/// every node that answers is outside a Primary Component (wsrep_cluster_status non-Primary)
/// the DBA is paged, and `bootstrap_delay` later reads the monitoring again and runs
/// `SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'` on the most advanced node that
/// answers (the highest wsrep_last_committed: the one safe to bootstrap, percona/pxc-docs
/// crash-recovery.md). Nodes it cannot reach it cannot see nor bootstrap; everything it
/// knows comes from those statements, each a connection with the client's timeouts (a check
/// of a dead host answers only when its connect times out).
final class GaleraOperator: Daemon {
    private let nodes: [(name: String, address: IPAddress)]
    private let sql: AdminClient
    private let checkInterval: SimTime
    private let bootstrapDelay: SimTime
    /// The mysql client's timeouts for one check (a monitoring plugin's are short).
    private let connectTimeout: SimTime = Time.s(5)
    private let queryTimeout: SimTime = Time.s(10)
    /// Paged and not yet acted (in the DBA's head and the pager: gone with the admin box).
    private var paged = false
    /// What the monitoring last heard from each node (nil: no answer to its last check).
    private var seen: [WsrepStatus?]

    init(host: Host, network: Network, nodes: [(name: String, address: IPAddress)], checkInterval: SimTime, bootstrapDelay: SimTime) {
        self.nodes = nodes
        self.checkInterval = checkInterval
        self.bootstrapDelay = bootstrapDelay
        seen = Array(repeating: nil, count: nodes.count)
        sql = AdminClient(name: "galera-operator-mysql", host: host, network: network)
        super.init(name: "galera-operator", host: host, network: network)
        adopt(sql.process)
    }

    func start() { watch() }
    override func booted() { watch() }
    override func crashed() {
        paged = false
        seen = Array(repeating: nil, count: nodes.count)
    }

    private func watch() {
        every(checkInterval) { [weak self] in self?.check() }
    }

    /// Each check asks every node on its own; a node's answer (or its connection failing, after
    /// the client's timeout) updates what the monitoring shows, and the DBA is paged once every
    /// node that answers is outside a Primary Component.
    private func check() {
        for (i, n) in nodes.enumerated() {
            sql.execute(.showWsrepStatus, on: n.address, connectTimeout: connectTimeout, timeout: queryTimeout, completion: inThisLife { [weak self] r in
                guard let self else { return }
                if case .success(.wsrepStatus(let st)) = r { self.seen[i] = st } else { self.seen[i] = nil }
                self.evaluate()
            })
        }
    }

    private func evaluate() {
        let answering = seen.compactMap { $0 }
        guard !paged, !answering.isEmpty, answering.allSatisfy({ $0.clusterStatus != "Primary" }) else { return }
        paged = true
        sim.record("operator", .alert, "no Primary Component: " + nodes.indices.map { i in
            "\(nodes[i].name)=\(seen[i]?.clusterStatus ?? "no answer")" }.joined(separator: " "))
        after(bootstrapDelay) { [weak self] in self?.act() }
    }

    /// The DBA reads the monitoring and bootstraps the most advanced node that answers.
    private func act() {
        paged = false
        if seen.contains(where: { $0?.clusterStatus == "Primary" }) { return }
        let candidates = seen.indices.compactMap { i in seen[i].map { (index: i, status: $0) } }
        guard let best = candidates.max(by: { ($0.status.lastCommitted, -$0.index) < ($1.status.lastCommitted, -$1.index) }) else {
            sim.record("operator", .failoverStepFailed, "pc.bootstrap: no node answers")
            return
        }
        let n = nodes[best.index]
        sql.execute(.setWsrepProviderOptions("pc.bootstrap=YES"), on: n.address, connectTimeout: connectTimeout,
                    timeout: queryTimeout, completion: inThisLife { [weak self] r in
            if case .success(.ok) = r { return }
            self?.sim.record("operator", .failoverStepFailed, "SET GLOBAL wsrep_provider_options='pc.bootstrap=YES' on \(n.name) failed")
        })
    }
}
