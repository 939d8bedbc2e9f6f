import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// mmm_mond and mmm_agentd. The monitor checks each host (ping, mysql, rep_threads,
/// rep_backlog) every check_period; a check counts as failed once it has failed for
/// trap_period. When the active master goes HARD_OFFLINE the writer role is removed
/// *by that host's agent* (read_only=1, kill sessions, drop the VIP) — impossible
/// when the host is unreachable — and the orphaned role goes to the other master as
/// soon as that one is ONLINE (Monitor.pm `_check_host_states`: a REPLICATION_DELAY or
/// REPLICATION_FAIL master is ONLINE again once its peer is not ONLINE; Roles.pm
/// `process_orphans`). Its agent drains its relay log (sync_with_master: MASTER_POS_WAIT
/// without a timeout), makes it writable and raises the VIP; the slaves' agents re-point
/// them at the new master's current binlog position.
final class MMMRuntime: StrategyRuntime {
    static let agentPort = 9989

    /// mmm_mond on its host. Host states and roles are in `mmm_mond.status` on disk
    /// (Agents.pm save_status), so they survive a power cycle; the checks' history
    /// (when each started failing) is the checker threads' memory and does not.
    final class Monitor: Daemon {
        var failingSince: [String: SimTime] = [:]
        var onBoot: (() -> Void)?
        override func crashed() { failingSince = [:] }
        override func booted() { onBoot?() }
    }

    let d: Deployment
    private let checkPeriod: SimTime
    private let trapPeriod: SimTime
    let checkTimeout: SimTime
    private let maxBacklog: SimTime
    private let monitorHostName: String
    private let readerVIPs: [IPAddress]
    /// Reader VIP -> the host that holds the role, as the monitor assigned it.
    var readerHolder: [IPAddress: String] = [:]

    /// The host holding the writer role (nil: orphaned).
    var activeMaster: DatabaseHandle?
    /// The two hosts with `mode master` in mmm_common.conf, peers of each other.
    let masters: [DatabaseHandle]
    private var agents: [String: HostAgent] = [:]
    var mysql: AdminClient!
    var agent: AgentClient!
    var monitor: Monitor!
    var state: [String: String] = [:]
    /// A role change is being carried out by the agents.
    var moving = false
    /// mmm_control set_passive: the monitor checks and logs but changes no role (set_active ends it).
    var passive = false
    /// mmm_control move_role writer HOST: the master the orphaned writer role goes to first.
    var requestedWriter: String?
    /// The orphaned writer role was logged once (not again every loop).
    var reportedOrphan = false
    let syncTimeout: SimTime
    let agentTimeoutValue: SimTime

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        checkPeriod = options.duration("check_period")
        trapPeriod = options.duration("trap_period")
        checkTimeout = options.duration("check_timeout")
        maxBacklog = options.duration("max_backlog")
        agentTimeoutValue = options.duration("agent_timeout")
        monitorHostName = options.string("monitor_host")
        readerVIPs = hostList(options.string("reader_vips")).map { IPAddress($0) }
        activeMaster = deployment.initialPrimary
        let named = options.string("standby_master")
        let primary = deployment.initialPrimary
        // The peer master: named, else the server the primary itself replicates from
        // (dual-master), else the primary's first replica.
        let peer = primary.configuredSource.flatMap(deployment.database(named:))
        let standby = deployment.databases.first { $0.name == named }
            ?? peer
            ?? deployment.replicas.first { $0.source == primary }!.replica
        masters = [primary, standby]
        syncTimeout = options.duration("sync_with_master_timeout")
    }

    var applicationAddress: IPAddress { d.initialPrimary.host.address }

    /// Hosts with `mode slave`: by configuration, not by looking at their replication.
    var slaves: [DatabaseHandle] { d.databases.filter { s in !masters.contains { $0 == s } } }

    private func peer(of s: DatabaseHandle) -> DatabaseHandle? {
        if let i = masters.firstIndex(where: { $0 == s }) { return masters[1 - i] }
        return activeMaster
    }

    func start() {
        let host = d.network.host(named: monitorHostName) ?? d.app.process.host
        monitor = Monitor(name: "mmm_mond", host: host, network: d.network)
        mysql = AdminClient(name: "mmm_mond-mysql", host: host, network: d.network)
        agent = AgentClient(name: "mmm_mond-agent", host: host, network: d.network)
        monitor.adopt(mysql.process)
        monitor.adopt(agent.process)
        activeMaster = d.initialPrimary
        for s in d.databases { state[s.name] = "ONLINE" }
        let addresses = Dictionary(uniqueKeysWithValues: d.databases.map { ($0.name, $0.host.address) })
        for s in d.databases {
            let a = d.startHostAgent(name: "mmm_agentd", on: s.host, port: Self.agentPort)
            agents[s.name] = a
            let isMaster = masters.contains { $0 == s }
            let roles = MMMAgentRoles(agent: a, config: .init(
                isSlave: !isMaster, peer: isMaster ? peer(of: s)?.host.address : nil,
                addresses: addresses, syncTimeout: syncTimeout))
            // The steady state before t = 0: each agent has applied the monitor's status.
            roles.seed(statusFor(s))
        }
        if !readerVIPs.isEmpty {
            let vips = d.network.vips ?? VIPTable(network: d.network)
            for v in readerVIPs { vips.addVIP(v, site: d.initialPrimary.host.site) }
            balanceReaders()
        }
        monitor.onBoot = { [weak self] in
            // A role change the monitor was carrying out died with it (its thread's memory);
            // the roles in mmm_mond.status are where it starts again, checked against what
            // the agents say they hold (Monitor.pm init).
            self?.moving = false
            self?.reconcileWithAgents { self?.startChecks() }
        }
        startChecks()
    }

    func startChecks() {
        monitor.every(checkPeriod) { [weak self] in self?.checkRound() }
    }

    // MARK: reader roles (mode balanced)

    /// Reader VIPs sit on ONLINE hosts only, spread evenly; a host that leaves ONLINE
    /// loses them to the host with the fewest, and one coming back gets its share.
    private func balanceReaders() {
        let online = d.databases.filter { state[$0.name] == "ONLINE" }
        guard !online.isEmpty else { return }
        func count(_ s: DatabaseHandle) -> Int { readerVIPs.filter { readerHolder[$0] == s.name }.count }
        func fewest() -> DatabaseHandle { online.min { count($0) < count($1) }! }
        for v in readerVIPs where !online.contains(where: { $0.name == readerHolder[v] }) {
            moveReader(v, to: fewest())
        }
        while let most = online.max(by: { count($0) < count($1) }), count(most) - count(fewest()) > 1,
              let v = readerVIPs.first(where: { readerHolder[$0] == most.name }) {
            moveReader(v, to: fewest())
        }
    }

    private func moveReader(_ v: IPAddress, to new: DatabaseHandle) {
        let old = readerHolder[v].flatMap { n in d.databases.first { $0.name == n } }
        readerHolder[v] = new.name
        record("mmm_mond", .roleChange, "reader(\(v)): \(old?.name ?? "-") -> \(new.name)")
        // The old holder's agent drops the address if it can be reached at all; the new one raises it.
        if let old { sendStatus(to: old) { _ in } }
        sendStatus(to: new) { [weak self] ok in
            if !ok { self?.record(new.name, .failoverStepFailed, "agent: SET_STATUS with reader(\(v)) not applied") }
        }
    }

    func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: checks (lib/Monitor/Checker.pm)

    private func checkRound() {
        // send_status_to_agents, every loop of the main thread: each agent gets its roles again
        // (a rebooted agent that forgot them takes them back), except in PASSIVE mode or while
        // a role move is waiting for an agent.
        if !passive && !moving { for s in d.databases { sendStatus(to: s) { _ in } } }
        for s in d.databases { check(s) }
    }

    /// ping (fping, 500 ms) and mysql (connect + SELECT NOW(), timeout 2 s); for
    /// replicating hosts also rep_threads (Slave_IO/SQL_Running) and rep_backlog
    /// (Seconds_Behind_Master <= max_backlog) from SHOW SLAVE STATUS.
    private func check(_ s: DatabaseHandle) {
        d.network.ping(from: monitor.process, to: s.host.address, timeout: Time.ms(500), completion: monitor.inThisLife { [weak self] pingOK in
            guard let self else { return }
            self.mysql.execute(.ping, on: s.host.address, connectTimeout: self.checkTimeout, timeout: self.checkTimeout,
                               completion: self.monitor.inThisLife { [weak self] r in
                guard let self else { return }
                var alive = pingOK
                if case .success(.ok) = r {} else { alive = false }
                // Replication of the active master is irrelevant (Monitor.pm).
                guard alive, s != self.activeMaster else {
                    self.checked(s, alive: alive, threads: true, backlog: true)
                    return
                }
                self.mysql.execute(.showReplicaStatus, on: s.host.address, connectTimeout: self.checkTimeout,
                                   timeout: self.checkTimeout, completion: self.monitor.inThisLife { [weak self] r in
                    guard let self else { return }
                    var threads = false, backlog = false
                    switch r {
                    case .success(.replicaStatus(let st?)):
                        threads = st.ioRunning == "Yes" && st.sqlRunning
                        backlog = (st.secondsBehind ?? 0) <= self.maxBacklog
                    case .success(.replicaStatus(nil)):
                        threads = true; backlog = true  // not a slave: nothing to check
                    default: break
                    }
                    self.checked(s, alive: true, threads: threads, backlog: backlog)
                })
            })
        })
    }

    /// When a check has been failing for at least trap_period (lib/Monitor/Checker.pm).
    private func failedLongEnough(_ key: String, ok: Bool) -> Bool {
        if ok { monitor.failingSince[key] = nil; return false }
        let since = monitor.failingSince[key] ?? d.sim.now
        monitor.failingSince[key] = since
        return d.sim.now - since >= trapPeriod
    }

    private func setState(_ s: DatabaseHandle, _ new: String, _ why: String) {
        guard state[s.name] != new else { return }
        record("mmm_mond", .alert, "\(s.name): \(state[s.name] ?? "?") -> \(new) (\(why))")
        state[s.name] = new
        if !readerVIPs.isEmpty { balanceReaders() }
    }

    /// The host state machine of lib/Monitor/Monitor.pm `_check_host_states`, then the
    /// role distribution of the same loop (`_distribute_roles`).
    private func checked(_ s: DatabaseHandle, alive: Bool, threads: Bool, backlog: Bool) {
        transition(s, alive: alive, threads: threads, backlog: backlog)
        distributeWriterRole()
    }

    private func transition(_ s: DatabaseHandle, alive: Bool, threads: Bool, backlog: Bool) {
        let down = failedLongEnough(s.name + "/mysql", ok: alive)
        let repFail = failedLongEnough(s.name + "/rep_threads", ok: threads)
        let repDelay = failedLongEnough(s.name + "/rep_backlog", ok: backlog)
        let current = state[s.name] ?? "ONLINE"
        let peerOnline = peer(of: s).map { state[$0.name] == "ONLINE" } ?? false
        if down {
            guard current != "HARD_OFFLINE" && current != "AWAITING_RECOVERY" else { return }
            setState(s, "HARD_OFFLINE", "ping/mysql checks failing for trap_period")
            if s == activeMaster && !passive { removeWriterRole(from: s) }
            return
        }
        switch current {
        case "HARD_OFFLINE":
            // auto_set_online = 0: a recovered host waits for an operator.
            setState(s, "AWAITING_RECOVERY", "checks pass again")
        case "ONLINE":
            // Replication failures count only while the peer (a master's other master, a
            // slave's active master) is ONLINE; the active master's are irrelevant.
            guard s != activeMaster, peerOnline else { return }
            if repFail {
                setState(s, "REPLICATION_FAIL", "rep_threads failing for trap_period")
            } else if repDelay {
                setState(s, "REPLICATION_DELAY", "Seconds_Behind_Master above max_backlog \(Time.format(maxBacklog))")
            }
        case "REPLICATION_FAIL", "REPLICATION_DELAY":
            if (!repFail && !repDelay) || !peerOnline {
                setState(s, "ONLINE", peerOnline ? "replication checks pass" : "its peer is not ONLINE")
            }
        default:
            break
        }
    }
}
