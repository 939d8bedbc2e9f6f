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
    private let checkTimeout: SimTime
    private let maxBacklog: SimTime
    private let agentTimeout: SimTime
    private let monitorHostName: String
    private let readerVIPs: [IPAddress]
    /// Reader VIP -> the host that holds the role, as the monitor assigned it.
    private var readerHolder: [IPAddress: String] = [:]

    /// The host holding the writer role (nil: orphaned).
    var activeMaster: DatabaseHandle?
    /// The two hosts with `mode master` in mmm_common.conf, peers of each other.
    let masters: [DatabaseHandle]
    private var agents: [String: HostAgent] = [:]
    private var mysql: AdminClient!
    private var agent: AgentClient!
    private var monitor: Monitor!
    var state: [String: String] = [:]
    /// A role change is being carried out by the agents.
    var moving = false
    /// mmm_control set_passive: the monitor checks and logs but changes no role (set_active ends it).
    var passive = false
    /// mmm_control move_role writer HOST: the master the orphaned writer role goes to first.
    var requestedWriter: String?
    private let syncTimeout: SimTime

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        checkPeriod = options.duration("check_period")
        trapPeriod = options.duration("trap_period")
        checkTimeout = options.duration("check_timeout")
        maxBacklog = options.duration("max_backlog")
        agentTimeout = options.duration("agent_timeout")
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
    private var slaves: [DatabaseHandle] { d.databases.filter { s in !masters.contains { $0 == s } } }

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
        for s in d.databases {
            agents[s.name] = d.startHostAgent(name: "mmm_agentd", on: s.host, port: Self.agentPort)
            state[s.name] = "ONLINE"
        }
        if !readerVIPs.isEmpty {
            let vips = d.network.vips ?? VIPTable(network: d.network)
            for v in readerVIPs { vips.addVIP(v, site: d.initialPrimary.host.site) }
            balanceReaders()
        }
        monitor.onBoot = { [weak self] in
            // A role change the monitor was carrying out died with it (its thread's memory);
            // the roles in mmm_mond.status are where it starts again.
            self?.moving = false
            self?.startChecks()
        }
        startChecks()
    }

    private func startChecks() {
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
        if let old {
            // The old holder's agent drops the address if it can be reached at all.
            agentRun(.deleteVIP(v), on: old) { _ in }
        }
        agentRun(.addVIP(v), on: new) { [weak self] ok in
            if !ok { self?.record(new.name, .failoverStepFailed, "agent: ip addr add \(v) (reader role)") }
        }
    }

    func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: checks (lib/Monitor/Checker.pm)

    private func checkRound() {
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

    // MARK: role transition (doc/mmm_monitor.texi "Role transition")

    /// clear_roles + send_agent_status: the old master's agent removes the writer role on
    /// its own host (read_only=1, kill client sessions, drop the VIP). If it cannot be
    /// reached nothing of that happens.
    func removeWriterRole(from old: DatabaseHandle) {
        activeMaster = nil
        moving = true
        let vip = writerVIP
        let done: () -> Void = { [weak self] in
            self?.moving = false
            self?.distributeWriterRole()
        }
        agentRun(.sql(.setReadOnly(true)), on: old) { [weak self] ok in
            guard let self else { return }
            if !ok {
                self.record(old.name, .failoverStepFailed,
                            "Can't send offline status notification to '\(old.name)' - killing it! Could not kill host '\(old.name)' - there may be some duplicate ips now!")
                done()
                return
            }
            self.record(old.name, .failoverStep, "agent: read_only=1")
            self.agentRun(.sql(.killClientSessions), on: old) { [weak self] _ in
                guard let self else { return }
                self.record(old.name, .failoverStep, "agent: killed client sessions")
                guard let vip else { done(); return }
                self.agentRun(.deleteVIP(vip), on: old) { [weak self] ok in
                    self?.record(old.name, ok ? .failoverStep : .failoverStepFailed, "agent: ip addr del \(vip)")
                    done()
                }
            }
        }
    }

    /// Roles.pm process_orphans('exclusive'): an orphaned writer role goes to an ONLINE
    /// master; with none ONLINE it stays orphaned and is looked at again every loop.
    func distributeWriterRole() {
        guard activeMaster == nil, !moving, !passive else { return }
        let online = masters.filter { state[$0.name] == "ONLINE" }
        guard let target = online.first(where: { $0.name == requestedWriter }) ?? online.first else {
            if !reportedOrphan {
                reportedOrphan = true
                record("mmm_mond", .failoverStepFailed,
                       "no ONLINE master for the writer role (\(masters.map { "\($0.name) is \(state[$0.name] ?? "?")" }.joined(separator: ", ")))")
            }
            return
        }
        reportedOrphan = false
        activeMaster = target
        moving = true
        record(target.name, .failoverStart, "MMM: writer role -> \(target.name)")
        promote(target, deadline: syncTimeout > 0 ? d.sim.now + syncTimeout : nil)
    }
    private var reportedOrphan = false

    /// The new writer's agent (Agent/Role.pm add → sync_with_master): MASTER_POS_WAIT
    /// until its relay log is applied, then read_only=0, then the VIP + ARP.
    private func promote(_ target: DatabaseHandle, deadline: SimTime?) {
        agentCall(.sql(.showReplicaStatus), on: target) { [weak self] r in
            guard let self else { return }
            if case .success(.result(.replicaStatus(let st?))) = r, st.sqlRunning, st.relayLogPending > 0,
               deadline.map({ self.d.sim.now < $0 }) ?? true {
                self.monitor.after(Time.s(1)) { [weak self] in self?.promote(target, deadline: deadline) }
                return
            }
            self.agentRun(.sql(.setReadOnly(false)), on: target) { [weak self] ok in
                guard let self else { return }
                self.moving = false
                if !ok {
                    self.record(target.name, .failoverStepFailed, "agent: mysql_allow_write failed; read_only stays ON")
                    return
                }
                self.record(target.name, .failoverStep, "agent: sync_with_master done; read_only=0")
                self.repointSlaves(to: target)
                guard let vip = self.writerVIP else {
                    self.record(target.name, .failoverComplete, "writer role on \(target.name) (no VIP)")
                    return
                }
                self.agentRun(.addVIP(vip), on: target) { [weak self] ok in
                    guard let self else { return }
                    self.record(target.name, ok ? .failoverComplete : .failoverStepFailed,
                                "agent: ip addr add \(vip); send_arp")
                }
            }
        }
    }

    /// set_active_master on each slave: catch up as far as possible, then CHANGE MASTER
    /// to the new master's *current* SHOW MASTER STATUS position (Actions.pm).
    private func repointSlaves(to newMaster: DatabaseHandle) {
        mysql.execute(.showMasterStatus, on: newMaster.host.address, completion: monitor.inThisLife { [weak self] r in
            guard let self, case .success(.masterStatus(_, _, let position)) = r else { return }
            for s in self.slaves {
                let steps: [Query] = [.stopReplica, .changeSourceToPosition(newMaster.host.address, position: position), .startReplica]
                self.agentSQL(steps, on: s) { [weak self] ok in
                    self?.record(s.name, ok ? .failoverStep : .failoverStepFailed,
                                 "agent: set_active_master \(newMaster.name) at position \(position)")
                }
            }
        })
    }

    /// Statements run one after another by the host's agent; stops at the first failure.
    private func agentSQL(_ steps: [Query], on s: DatabaseHandle, _ done: @escaping (Bool) -> Void) {
        guard let first = steps.first else { done(true); return }
        agentRun(.sql(first), on: s) { [weak self] ok in
            guard ok, let self else { done(false); return }
            self.agentSQL(Array(steps.dropFirst()), on: s, done)
        }
    }

    private var writerVIP: IPAddress? { d.applicationVIP }

    private func agentRun(_ c: AgentCommand, on s: DatabaseHandle, _ done: @escaping (Bool) -> Void) {
        agentCall(c, on: s) { r in
            switch r {
            case .success(.failed), .failure: done(false)
            case .success(.result(.error)): done(false)
            case .success: done(true)
            }
        }
    }

    private func agentCall(_ c: AgentCommand, on s: DatabaseHandle, reply: @escaping (Result<AgentReply, AgentError>) -> Void) {
        agent.run(c, on: s.host, port: Self.agentPort, connectTimeout: checkTimeout, timeout: agentTimeout, completion: monitor.inThisLife(reply))
    }
}
