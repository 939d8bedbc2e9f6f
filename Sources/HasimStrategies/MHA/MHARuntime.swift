import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// The MHA manager as the real one works (MasterFailover.pm phase order): every step
/// is a SQL statement or a command over SSH that can time out, so failed or partial
/// failovers come out of the network, not out of this file. Every SSH step costs its
/// session, its Perl start-up and the bytes it reads or ships (`RemoteCommandCost`).
/// The manager is a process on its host: it learns the servers' replication only from
/// SHOW SLAVE STATUS, and a power cycle leaves it with its configuration and the
/// `failover.complete` file in its workdir, nothing else.
final class MHARuntime: StrategyRuntime {
    /// MHA runs its node scripts (save_binary_logs, apply_diff_relay_logs) over SSH;
    /// here the SSH side is a HostAgent on this port of every host it uses.
    static let sshPort = 2222

    /// masterha_manager on its host.
    final class Manager: Daemon {
        var errors = 0
        /// HealthCheck.pm's SSH check of the master, forked at the first failed ping
        /// (invoke_ssh_check) and waited for once the pings have failed enough
        /// (is_ssh_reachable); killed when a ping succeeds again.
        var sshCheck: SSHCheck = .idle
        /// The pings have failed enough; the master is dead once the SSH check is done.
        var awaitingSSHCheck = false
        /// Bumped when monitoring restarts, so answers to older checks are ignored.
        var checkGeneration = 0
        var monitoring = true
        /// The master as the manager knows it (from its configuration, then its failovers).
        var masterName: String
        /// `$workdir/app.failover.complete`: on disk, so it survives a power cycle.
        var lastFailover: SimTime?
        var onBoot: (() -> Void)?
        /// Slaves whose SSH this failover has checked (Server.pm ssh_ok = 1): the manager's
        /// memory of one failover, lost with it.
        var sshChecked: Set<String> = []
        init(host: Host, network: Network, master: String) {
            masterName = master
            super.init(name: "masterha_manager", host: host, network: network)
        }
        override func crashed() {
            errors = 0
            sshCheck = .idle
            awaitingSSHCheck = false
            monitoring = false
            checkGeneration += 1
            sshChecked = []
        }
        override func booted() { onBoot?() }
    }

    enum SSHCheck: Equatable { case idle, running, done(reachable: Bool) }

    let d: Deployment
    let pingInterval: SimTime
    let pingFailures: Int
    /// HealthCheck.pm's ping_type: "insert" writes (and so needs a committing disk).
    let pingInsert: Bool
    /// The manager's own transactions (the insert pings): a txid range no client uses.
    var pingTxid: Int64 = 0x4D48 << 48
    let secondaryHosts: [String]
    let secondaryTimeout: SimTime
    let sshTimeout: SimTime
    /// candidate_master=1 and no_master=1 in the servers' blocks of the configuration.
    let candidates: [String]
    let noMaster: Set<String>
    /// check_repl_delay: a slave whose SQL thread is more than 100 MB behind the latest
    /// slave's IO thread cannot be the new master.
    let checkReplDelay: Bool
    let lastFailoverWindow: SimTime
    let managerHostName: String
    let frontDoorOption: String
    let cost: RemoteCommandCost
    let relayLogWait: SimTime
    /// new_master_position = before_apply: the position is read before Phase 3.5's apply.
    let positionBeforeApply: Bool
    /// shutdown_script: the sample power_manager (kill -9 mysqld over SSH, or power off).
    let powerManager: Bool
    let powerOffTime: SimTime

    /// A server of the configuration file ([server1], [server2], ...) as MHA knows it:
    /// its name, its address (the host it reaches by SQL and SSH) and the server_id it read
    /// at start-up (connect_all_and_read_server_status). Nothing else: no server object.
    struct Member {
        let name: String
        let host: Host
        let serverID: UInt32
        var address: IPAddress { host.address }
    }

    var configured: [Member]
    var manager: Manager!
    var sql: AdminClient!
    var ssh: AgentClient!
    var agents: [String: HostAgent] = [:]

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        pingInterval = options.duration("ping_interval")
        pingFailures = max(1, options.int("ping_failures"))
        // select and connect are the same here: the manager's SQL client opens a connection per statement.
        pingInsert = options.string("ping_type") == "insert"
        secondaryHosts = hostList(options.string("secondary_check_hosts"))
        secondaryTimeout = options.duration("secondary_check_timeout")
        sshTimeout = options.duration("ssh_connection_timeout")
        candidates = hostList(options.string("candidate_master"))
        noMaster = Set(hostList(options.string("no_master")))
        checkReplDelay = options.bool("check_repl_delay")
        lastFailoverWindow = SimTime(options.int("last_failover_minute")) * Time.minute
        managerHostName = options.string("manager_host")
        frontDoorOption = options.string("front_door")
        relayLogWait = options.duration("relay_log_wait")
        positionBeforeApply = options.string("new_master_position") == "before_apply"
        powerManager = options.string("shutdown_script") == "power_manager"
        powerOffTime = options.duration("power_off_time")
        var c = RemoteCommandCost()
        c.session = options.duration("ssh_session_time")
        c.startup = options.duration("node_script_startup")
        c.helperStartup = options.duration("helper_startup")
        c.eventBytes = options.int("binlog_event_bytes")
        c.readBytesPerSecond = options.double("binlog_read_mb_per_second") * 1e6
        c.shipBytesPerSecond = options.double("scp_mb_per_second") * 1e6
        c.applyEventsPerSecond = options.double("apply_events_per_second")
        cost = c
        configured = deployment.databases.map { Member(name: $0.name, host: $0.host, serverID: $0.serverID) }
    }

    var applicationAddress: IPAddress { d.initialPrimary.host.address }

    func member(_ name: String) -> Member { configured.first { $0.name == name }! }
    var master: Member { member(manager.masterName) }

    func start() {
        let managerHost = d.network.host(named: managerHostName) ?? d.app.process.host
        manager = Manager(host: managerHost, network: d.network, master: d.initialPrimary.name)
        sql = AdminClient(name: "masterha_manager-sql", host: managerHost, network: d.network)
        ssh = AgentClient(name: "masterha_manager-ssh", host: managerHost, network: d.network)
        manager.adopt(sql.process)
        manager.adopt(ssh.process)
        // sshd on every database host: the node tools it runs read that host's own files.
        for s in d.databases { agents[s.name] = d.startHostAgent(name: "sshd-mha", on: s.host, port: Self.sshPort) }
        for h in secondaryHosts where agents[h] == nil {
            if let host = d.network.host(named: h) {
                agents[h] = d.startHostAgent(name: "sshd-mha", on: host, port: Self.sshPort)
            }
        }
        manager.onBoot = { [weak self] in self?.restartMonitoring() }
        startMonitoring()
    }

    func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: health check (HealthCheck.pm)

    func startMonitoring() {
        manager.monitoring = true
        manager.errors = 0
        manager.sshCheck = .idle
        manager.awaitingSSHCheck = false
        manager.checkGeneration += 1
        let generation = manager.checkGeneration
        manager.every(pingInterval, while: { [weak self] in
            self.map { $0.manager.monitoring && $0.manager.checkGeneration == generation } ?? false
        }) { [weak self] in self?.healthCheck() }
    }

    /// masterha_manager started again after a reboot: from its configuration it finds the
    /// current master as the server the live slaves replicate from (SHOW SLAVE STATUS).
    func restartMonitoring() {
        var sources: [IPAddress] = []
        var pending = configured.count
        for s in configured {
            sql.execute(.showReplicaStatus, on: s.host.address, connectTimeout: pingInterval, timeout: pingInterval,
                        completion: manager.inThisLife { [weak self] r in
                guard let self else { return }
                if case .success(.replicaStatus(let st?)) = r, let src = st.source { sources.append(src) }
                pending -= 1
                guard pending == 0 else { return }
                let counts = Dictionary(sources.map { ($0, 1) }, uniquingKeysWith: +)
                if let best = counts.keys.sorted().max(by: { counts[$0]! < counts[$1]! }),
                   let m = self.configured.first(where: { $0.host.address == best }) {
                    self.manager.masterName = m.name
                }
                self.record("mha", .failoverStep, "masterha_manager started: master \(self.manager.masterName)")
                self.startMonitoring()
            })
        }
    }

    /// A check starts every ping_interval whether or not the previous one has come
    /// back (the ping child is killed after ping_interval). The first failure forks an SSH
    /// check of the master (`ssh ... exit 0`, ssh_connection_timeout); after ping_failures
    /// failures the manager waits for that check (HealthCheck.pm wait_until_unreachable), so
    /// the master is dead at max(ping_failures x ping_interval, first failure + SSH check).
    func healthCheck() {
        guard manager.monitoring else { return }
        let generation = manager.checkGeneration
        var query = Query.ping
        if pingInsert {
            pingTxid += 1
            query = .insert(table: .probes, txid: pingTxid)
        }
        sql.execute(query, on: master.host.address, connectTimeout: pingInterval, timeout: pingInterval,
                    completion: manager.inThisLife { [weak self] r in
            guard let self, self.manager.monitoring, generation == self.manager.checkGeneration else { return }
            if case .success(.ok) = r {
                self.manager.errors = 0
                self.manager.sshCheck = .idle  // kill_ssh_check
                return
            }
            self.manager.errors += 1
            if self.manager.sshCheck == .idle { self.startSSHCheck(generation) }
            guard self.manager.errors >= self.pingFailures else { return }
            self.manager.monitoring = false
            self.manager.awaitingSSHCheck = true
            self.record("mha", .alert, "\(self.master.name) unreachable: \(self.manager.errors) failed checks")
            self.masterUnreachableIfChecked()
        })
    }

    /// invoke_ssh_check: `ssh master exit 0` in a child, bounded by ssh_connection_timeout.
    func startSSHCheck(_ generation: Int) {
        manager.sshCheck = .running
        let target = master
        ssh.run(.version, on: target.host, port: Self.sshPort, connectTimeout: sshTimeout, timeout: sshTimeout,
                cost: sshOnly, completion: manager.inThisLife { [weak self] r in
            guard let self, generation == self.manager.checkGeneration, self.manager.sshCheck == .running else { return }
            var reachable = false
            if case .success(.done) = r { reachable = true }
            self.manager.sshCheck = .done(reachable: reachable)
            self.masterUnreachableIfChecked()
        })
    }

    /// is_ssh_reachable returned: "Master is not reachable!", then the secondary check.
    func masterUnreachableIfChecked() {
        guard manager.awaitingSSHCheck, case .done(let reachable) = manager.sshCheck else { return }
        manager.awaitingSSHCheck = false
        record("mha", .failoverStep, "Master \(master.name) is not reachable! SSH is \(reachable ? "" : "NOT ")reachable.")
        secondaryCheck()
    }

    /// What the monitor's SSH check found (Phase 2 uses it: `$_real_ssh_reachable`).
    var sshReachable: Bool { if case .done(true) = manager.sshCheck { return true } else { return false } }

    /// masterha_secondary_check: the master is dead only if no route reaches it.
    func secondaryCheck() {
        guard !secondaryHosts.isEmpty else { failover(); return }
        var pending = secondaryHosts.count
        var reachableFrom: [String] = []
        for h in secondaryHosts {
            guard let host = d.network.host(named: h) else { pending -= 1; continue }
            ssh.run(.canConnect(master.host.address, port: 3306, timeout: secondaryTimeout), on: host, port: Self.sshPort,
                    connectTimeout: sshTimeout, timeout: secondaryTimeout + sshTimeout + cost.session,
                    cost: sshOnly, completion: manager.inThisLife { [weak self] r in
                guard let self else { return }
                if case .success(.reachable(true)) = r { reachableFrom.append(h) }
                pending -= 1
                guard pending == 0 else { return }
                if reachableFrom.isEmpty {
                    self.record("mha", .failoverStep, "secondary check: \(self.master.name) unreachable from \(self.secondaryHosts.joined(separator: ", "))")
                    self.failover()
                } else {
                    self.record("mha", .failoverStepFailed,
                                "secondary check: \(self.master.name) reachable from \(reachableFrom.sorted().joined(separator: ", ")); not failing over")
                    self.startMonitoring()
                }
            })
        }
    }

    /// An SSH session that runs a shell command, no Perl (masterha_secondary_check's ssh, ip addr).
    var sshOnly: RemoteCommandCost { var c = RemoteCommandCost(); c.session = cost.session; return c }
    /// A node tool (Perl) over SSH that starts `helpers` programs in turn and opens
    /// `sessions` SSH sessions of its own (mha4mysql-node bin/*).
    func nodeTool(helpers: Int, sessions: Int = 0) -> RemoteCommandCost {
        var c = cost
        c.helpers = helpers
        c.extraSessions = sessions
        return c
    }

    /// Server.pm check_set_ssh_status, once per slave and failover: `ssh host exit 0`
    /// (ssh_check_simple), then the node tools' version over SSH (check_node_version_nodie).
    func checkSSH(_ m: Member, then next: @escaping (Bool) -> Void) {
        guard !manager.sshChecked.contains(m.name) else { next(true); return }
        var version = sshOnly
        version.startup = cost.startup
        ssh.run(.version, on: m.host, port: Self.sshPort, connectTimeout: sshTimeout, timeout: scriptTimeout, cost: sshOnly,
                completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            guard case .success = r else { next(false); return }
            self.ssh.run(.version, on: m.host, port: Self.sshPort, connectTimeout: self.sshTimeout, timeout: self.scriptTimeout,
                         cost: version, completion: self.manager.inThisLife { [weak self] v in
                guard let self else { return }
                guard case .success = v else { next(false); return }
                self.manager.sshChecked.insert(m.name)
                next(true)
            })
        })
    }
    /// Generous: MHA sets no limit on a node script's run; only the connect times out.
    var scriptTimeout: SimTime { Time.minute * 10 }

    func describe(_ r: Result<AgentReply, AgentError>) -> String {
        switch r {
        case .success(.failed(let why)): return why
        case .failure(let e): return "\(e)"
        case .success(let v): return "\(v)"
        }
    }

    func log(_ r: Result<AgentReply, AgentError>, node: String, step: String) {
        switch r {
        case .success(.failed(let why)): record(node, .failoverStepFailed, "\(step): \(why)")
        case .failure(let e): record(node, .failoverStepFailed, "\(step): \(e)")
        case .success: record(node, .failoverStep, step)
        }
    }

    // MARK: the front door

    enum Door { case vip(IPAddress), dns(String), none }

    var door: Door {
        let vip = d.applicationVIP.map(Door.vip), dns = d.applicationDNSName.map(Door.dns)
        switch frontDoorOption {
        case "vip": return vip ?? .none
        case "dns": return dns ?? .none
        default: return vip ?? dns ?? .none
        }
    }
}
