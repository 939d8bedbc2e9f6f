import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// mmm_mond and mmm_agentd. The monitor checks each host (ping, mysql, rep_threads,
/// rep_backlog) every check_period; a check counts as failed once it has failed for
/// trap_period. When the active master goes HARD_OFFLINE the writer role is removed
/// *by that host's agent* (read_only=1, kill sessions, drop the VIP) — impossible
/// when the host is unreachable — and given to the fixed peer master, whose agent
/// makes it writable and raises the VIP; the slaves' agents re-point them at the new
/// master's current binlog position.
final class MMMRuntime: StrategyRuntime {
    static let agentPort = 9989

    private let d: Deployment
    private let checkPeriod: SimTime
    private let trapPeriod: SimTime
    private let checkTimeout: SimTime
    private let maxBacklog: SimTime
    private let agentTimeout: SimTime
    private let monitorHostName: String
    private let readerVIPs: [IPAddress]
    /// Reader VIP -> the host that holds the role, as the monitor assigned it.
    private var readerHolder: [IPAddress: String] = [:]

    private var activeMaster: MySQLServer
    private let standby: MySQLServer
    private var agents: [String: HostAgent] = [:]
    private var mysql: AdminClient!
    private var agent: AgentClient!
    private var monitorProcess: NetProcess!
    /// Per host: when its ping/mysql checks started failing (nil: passing).
    private var failingSince: [String: SimTime] = [:]
    private var state: [String: String] = [:]
    private var failedOver = false

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
        let peer = primary.source.flatMap { addr in deployment.servers.first { $0.host.address == addr } }
        standby = deployment.servers.first { $0.name == named }
            ?? peer
            ?? deployment.replicas.first { $0.source === primary }!.replica
    }

    var applicationAddress: IPAddress { activeMaster.host.address }

    private var slaves: [MySQLServer] {
        d.servers.filter { $0 !== activeMaster && $0 !== standby }
    }

    func start() {
        let host = d.network.host(named: monitorHostName) ?? d.app.process.host
        mysql = AdminClient(name: "mmm_mond", host: host, network: d.network)
        agent = AgentClient(name: "mmm_mond-agent", host: host, network: d.network)
        monitorProcess = d.network.spawn("mmm_mond-ping", on: host)
        for s in d.servers {
            agents[s.name] = HostAgent(name: "mmm_agentd", host: s.host, port: Self.agentPort, network: d.network, localServer: s)
            state[s.name] = "ONLINE"
        }
        if !readerVIPs.isEmpty {
            let vips = d.network.vips ?? VIPTable(network: d.network)
            for v in readerVIPs { vips.addVIP(v, site: activeMaster.host.site) }
            balanceReaders()
        }
        d.sim.after(checkPeriod) { [weak self] in self?.checkRound() }
    }

    // MARK: reader roles (mode balanced)

    /// Reader VIPs sit on ONLINE hosts only, spread evenly; a host that leaves ONLINE
    /// loses them to the host with the fewest, and one coming back gets its share.
    private func balanceReaders() {
        let online = d.servers.filter { state[$0.name] == "ONLINE" }
        guard !online.isEmpty else { return }
        func count(_ s: MySQLServer) -> Int { readerVIPs.filter { readerHolder[$0] == s.name }.count }
        func fewest() -> MySQLServer { online.min { count($0) < count($1) }! }
        for v in readerVIPs where !online.contains(where: { $0.name == readerHolder[v] }) {
            moveReader(v, to: fewest())
        }
        while let most = online.max(by: { count($0) < count($1) }), count(most) - count(fewest()) > 1,
              let v = readerVIPs.first(where: { readerHolder[$0] == most.name }) {
            moveReader(v, to: fewest())
        }
    }

    private func moveReader(_ v: IPAddress, to new: MySQLServer) {
        let old = readerHolder[v].flatMap { n in d.servers.first { $0.name == n } }
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

    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: checks (lib/Monitor/Checker.pm)

    private func checkRound() {
        for s in d.servers { check(s) }
        d.sim.after(checkPeriod) { [weak self] in self?.checkRound() }
    }

    /// ping (fping, 500 ms) and mysql (connect + SELECT NOW(), timeout 2 s); for
    /// replicating hosts also rep_threads (Slave_IO/SQL_Running) and rep_backlog
    /// (Seconds_Behind_Master <= max_backlog) from SHOW SLAVE STATUS.
    private func check(_ s: MySQLServer) {
        d.network.ping(from: monitorProcess, to: s.host.address, timeout: Time.ms(500)) { [weak self] pingOK in
            guard let self else { return }
            self.mysql.execute(.ping, on: s.host.address, connectTimeout: self.checkTimeout, timeout: self.checkTimeout) { [weak self] r in
                guard let self else { return }
                var alive = pingOK
                if case .success(.ok) = r {} else { alive = false }
                guard alive, s.source != nil, s !== self.activeMaster else {
                    self.checked(s, alive: alive, threads: true, backlog: true)
                    return
                }
                self.mysql.execute(.showReplicaStatus, on: s.host.address, connectTimeout: self.checkTimeout,
                                   timeout: self.checkTimeout) { [weak self] r in
                    guard let self else { return }
                    var threads = false, backlog = false
                    if case .success(.replicaStatus(let st?)) = r {
                        threads = st.ioRunning == "Yes" && st.sqlRunning
                        backlog = (st.secondsBehind ?? 0) <= self.maxBacklog
                    }
                    self.checked(s, alive: true, threads: threads, backlog: backlog)
                }
            }
        }
    }

    /// When a check has been failing for at least trap_period (lib/Monitor/Checker.pm).
    private func failedLongEnough(_ key: String, ok: Bool) -> Bool {
        if ok { failingSince[key] = nil; return false }
        let since = failingSince[key] ?? d.sim.now
        failingSince[key] = since
        return d.sim.now - since >= trapPeriod
    }

    private func setState(_ s: MySQLServer, _ new: String, _ why: String) {
        guard state[s.name] != new else { return }
        record("mmm_mond", .alert, "\(s.name): \(state[s.name] ?? "?") -> \(new) (\(why))")
        state[s.name] = new
        if !readerVIPs.isEmpty { balanceReaders() }
    }

    /// The host state machine of lib/Monitor/Monitor.pm (simplified to the states that
    /// decide the writer role).
    private func checked(_ s: MySQLServer, alive: Bool, threads: Bool, backlog: Bool) {
        let down = failedLongEnough(s.name + "/mysql", ok: alive)
        let repFail = failedLongEnough(s.name + "/rep_threads", ok: threads)
        let repDelay = failedLongEnough(s.name + "/rep_backlog", ok: backlog)
        let current = state[s.name] ?? "ONLINE"
        if down {
            guard current != "HARD_OFFLINE" && current != "AWAITING_RECOVERY" else { return }
            setState(s, "HARD_OFFLINE", "ping/mysql checks failing for trap_period")
            if s === activeMaster && !failedOver { moveWriterRole(from: s) }
            return
        }
        if current == "HARD_OFFLINE" {
            // auto_set_online = 0: a recovered host waits for an operator.
            if alive { setState(s, "AWAITING_RECOVERY", "checks pass again") }
            return
        }
        guard current != "AWAITING_RECOVERY" else { return }
        // Replication failures count only while the host's source is ONLINE; the active
        // master is never put into REPLICATION_FAIL/DELAY.
        let sourceOnline = s.source.flatMap { a in d.servers.first { $0.host.address == a } }.map { state[$0.name] == "ONLINE" } ?? false
        if s !== activeMaster && sourceOnline && repFail {
            setState(s, "REPLICATION_FAIL", "rep_threads failing for trap_period")
        } else if s !== activeMaster && sourceOnline && repDelay {
            setState(s, "REPLICATION_DELAY", "Seconds_Behind_Master above max_backlog \(Time.format(maxBacklog))")
        } else if alive && threads && backlog {
            setState(s, "ONLINE", "checks pass")
        }
    }

    // MARK: role transition (doc/mmm_monitor.texi "Role transition")

    private func moveWriterRole(from old: MySQLServer) {
        guard state[standby.name] == "ONLINE" else {
            record("mmm_mond", .failoverStepFailed, "no ONLINE master for the writer role (\(standby.name) is \(state[standby.name] ?? "?"))")
            return
        }
        failedOver = true
        record(old.name, .failoverStart, "MMM: writer role \(old.name) -> \(standby.name)")
        // The old master's agent removes the role on its own host: read_only=1, kill
        // client sessions, drop the VIP. If it cannot be reached nothing of that happens.
        let vip = writerVIP
        agentRun(.sql(.setReadOnly(true)), on: old) { [weak self] ok in
            guard let self else { return }
            if !ok {
                self.record(old.name, .failoverStepFailed,
                            "Can't send offline status notification to '\(old.name)' - killing it! Could not kill host '\(old.name)' - there may be some duplicate ips now!")
                self.promoteStandby()
                return
            }
            self.record(old.name, .failoverStep, "agent: read_only=1")
            self.agentRun(.sql(.killClientSessions), on: old) { [weak self] _ in
                guard let self else { return }
                self.record(old.name, .failoverStep, "agent: killed client sessions")
                guard let vip else { self.promoteStandby(); return }
                self.agentRun(.deleteVIP(vip), on: old) { [weak self] ok in
                    self?.record(old.name, ok ? .failoverStep : .failoverStepFailed, "agent: ip addr del \(vip)")
                    self?.promoteStandby()
                }
            }
        }
    }

    /// The new writer's agent: wait for replication to catch up, read_only=0, VIP + ARP.
    private func promoteStandby(deadline: SimTime? = nil) {
        let until = deadline ?? d.sim.now + Time.minute
        agentCall(.sql(.showReplicaStatus), on: standby) { [weak self] r in
            guard let self else { return }
            if case .success(.result(.replicaStatus(let st?))) = r, st.sqlRunning, st.relayLogPending > 0, self.d.sim.now < until {
                self.d.sim.after(Time.s(1)) { [weak self] in self?.promoteStandby(deadline: until) }
                return
            }
            self.agentRun(.sql(.setReadOnly(false)), on: self.standby) { [weak self] ok in
                guard let self else { return }
                if !ok {
                    self.record(self.standby.name, .failoverStepFailed, "agent: mysql_allow_write failed; read_only stays ON")
                    return
                }
                self.record(self.standby.name, .failoverStep, "agent: read_only=0")
                self.activeMaster = self.standby
                self.repointSlaves()
                guard let vip = self.writerVIP else {
                    self.record(self.standby.name, .failoverComplete, "writer role on \(self.standby.name) (no VIP)")
                    return
                }
                self.agentRun(.addVIP(vip), on: self.standby) { [weak self] ok in
                    guard let self else { return }
                    self.record(self.standby.name, ok ? .failoverComplete : .failoverStepFailed,
                                "agent: ip addr add \(vip); send_arp")
                }
            }
        }
    }

    /// set_active_master on each slave: catch up as far as possible, then CHANGE MASTER
    /// to the new master's *current* SHOW MASTER STATUS position (Actions.pm).
    private func repointSlaves() {
        let newMaster = standby
        mysql.execute(.showMasterStatus, on: newMaster.host.address) { [weak self] r in
            guard let self, case .success(.masterStatus(_, _, let position)) = r else { return }
            for s in self.slaves {
                let steps: [Query] = [.stopReplica, .changeSourceToPosition(newMaster.host.address, position: position), .startReplica]
                self.agentSQL(steps, on: s) { [weak self] ok in
                    self?.record(s.name, ok ? .failoverStep : .failoverStepFailed,
                                 "agent: set_active_master \(newMaster.name) at position \(position)")
                }
            }
        }
    }

    /// Statements run one after another by the host's agent; stops at the first failure.
    private func agentSQL(_ steps: [Query], on s: MySQLServer, _ done: @escaping (Bool) -> Void) {
        guard let first = steps.first else { done(true); return }
        agentRun(.sql(first), on: s) { [weak self] ok in
            guard ok, let self else { done(false); return }
            self.agentSQL(Array(steps.dropFirst()), on: s, done)
        }
    }

    private var writerVIP: IPAddress? { d.applicationVIP }

    private func agentRun(_ c: AgentCommand, on s: MySQLServer, _ done: @escaping (Bool) -> Void) {
        agentCall(c, on: s) { r in
            switch r {
            case .success(.failed), .failure: done(false)
            case .success(.result(.error)): done(false)
            case .success: done(true)
            }
        }
    }

    private func agentCall(_ c: AgentCommand, on s: MySQLServer, reply: @escaping (Result<AgentReply, AgentError>) -> Void) {
        agent.run(c, on: s.host, port: Self.agentPort, connectTimeout: checkTimeout, timeout: agentTimeout, completion: reply)
    }
}
