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
        }
        override func booted() { onBoot?() }
    }

    enum SSHCheck: Equatable { case idle, running, done(reachable: Bool) }

    private let d: Deployment
    private let pingInterval: SimTime
    private let pingFailures: Int
    /// HealthCheck.pm's ping_type: "insert" writes (and so needs a committing disk).
    private let pingInsert: Bool
    /// The manager's own transactions (the insert pings): a txid range no client uses.
    private var pingTxid: Int64 = 0x4D48 << 48
    private let secondaryHosts: [String]
    private let secondaryTimeout: SimTime
    private let sshTimeout: SimTime
    private let candidate: String
    private let lastFailoverWindow: SimTime
    private let managerHostName: String
    private let frontDoorOption: String
    private let cost: RemoteCommandCost
    private let relayLogWait: SimTime

    /// The servers of the configuration file ([server1], [server2], ...): names and addresses.
    private var configured: [MySQLServer]
    /// server_id of each configured server, read by the manager at start-up
    /// (connect_all_and_read_server_status) while they were alive.
    private let serverIDs: [String: UInt32]
    private var manager: Manager!
    private var sql: AdminClient!
    private var ssh: AgentClient!
    private var agents: [String: HostAgent] = [:]

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        pingInterval = options.duration("ping_interval")
        pingFailures = max(1, options.int("ping_failures"))
        // select and connect are the same here: the manager's SQL client opens a connection per statement.
        pingInsert = options.string("ping_type") == "insert"
        secondaryHosts = hostList(options.string("secondary_check_hosts"))
        secondaryTimeout = options.duration("secondary_check_timeout")
        sshTimeout = options.duration("ssh_connection_timeout")
        candidate = options.string("candidate_master")
        lastFailoverWindow = SimTime(options.int("last_failover_minute")) * Time.minute
        managerHostName = options.string("manager_host")
        frontDoorOption = options.string("front_door")
        relayLogWait = options.duration("relay_log_wait")
        var c = RemoteCommandCost()
        c.session = options.duration("ssh_session_time")
        c.startup = options.duration("node_script_startup")
        c.eventBytes = options.int("binlog_event_bytes")
        c.readBytesPerSecond = options.double("binlog_read_mb_per_second") * 1e6
        c.shipBytesPerSecond = options.double("scp_mb_per_second") * 1e6
        c.applyEventsPerSecond = options.double("apply_events_per_second")
        cost = c
        configured = deployment.servers
        var ids: [String: UInt32] = [:]
        for s in deployment.servers { ids[s.name] = s.config.serverID }
        serverIDs = ids
    }

    var applicationAddress: IPAddress { d.initialPrimary.host.address }

    private func server(_ name: String) -> MySQLServer { configured.first { $0.name == name }! }
    private var master: MySQLServer { server(manager.masterName) }

    func start() {
        let managerHost = d.network.host(named: managerHostName) ?? d.app.process.host
        manager = Manager(host: managerHost, network: d.network, master: d.initialPrimary.name)
        sql = AdminClient(name: "masterha_manager-sql", host: managerHost, network: d.network)
        ssh = AgentClient(name: "masterha_manager-ssh", host: managerHost, network: d.network)
        manager.adopt(sql.process)
        manager.adopt(ssh.process)
        for s in configured { agents[s.name] = HostAgent(name: "sshd-mha", host: s.host, port: Self.sshPort, network: d.network, localServer: s) }
        for h in secondaryHosts where agents[h] == nil {
            if let host = d.network.host(named: h) {
                agents[h] = HostAgent(name: "sshd-mha", host: host, port: Self.sshPort, network: d.network, localServer: nil)
            }
        }
        manager.onBoot = { [weak self] in self?.restartMonitoring() }
        startMonitoring()
    }

    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: health check (HealthCheck.pm)

    private func startMonitoring() {
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
    private func restartMonitoring() {
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
    private func healthCheck() {
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
    private func startSSHCheck(_ generation: Int) {
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
    private func masterUnreachableIfChecked() {
        guard manager.awaitingSSHCheck, case .done(let reachable) = manager.sshCheck else { return }
        manager.awaitingSSHCheck = false
        record("mha", .failoverStep, "Master \(master.name) is not reachable! SSH is \(reachable ? "" : "NOT ")reachable.")
        secondaryCheck()
    }

    /// What the monitor's SSH check found (Phase 2 uses it: `$_real_ssh_reachable`).
    private var sshReachable: Bool { if case .done(true) = manager.sshCheck { return true } else { return false } }

    /// masterha_secondary_check: the master is dead only if no route reaches it.
    private func secondaryCheck() {
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
    private var sshOnly: RemoteCommandCost { var c = RemoteCommandCost(); c.session = cost.session; return c }
    /// Generous: MHA sets no limit on a node script's run; only the connect times out.
    private var scriptTimeout: SimTime { Time.minute * 10 }

    // MARK: failover (MasterFailover.pm)

    private struct SlaveState { let server: MySQLServer; let status: ReplicaStatus }

    /// MasterMonitor.pm re-reads its configuration (MHA::Config, Perl) before it hands over
    /// to MasterFailover; then Phase 1, configuration check: the manager starts the node tools
    /// locally (check_node_version) and reads every configured server's SHOW SLAVE STATUS one
    /// after another (connect_all_and_read_server_status); the master's slaves are those
    /// whose Master_Host is the dead master.
    private func failover() {
        if let last = manager.lastFailover, d.sim.now - last < lastFailoverWindow {
            record("mha", .failoverStepFailed, "last failover was done at \(Time.format(last)); not failing over within last_failover_minute")
            return
        }
        let dead = master
        manager.after(cost.startup) { [weak self] in
            guard let self else { return }
            self.record(dead.name, .failoverStart, "MHA: master \(dead.name) is dead; Phase 1: Configuration Check")
            self.manager.after(self.cost.startup) { [weak self] in
                self?.readServerStatus(self?.configured.filter { $0 !== dead } ?? [], dead: dead, states: [], unreachable: [])
            }
        }
    }

    /// check_settings' double check (DBHelper.pm check_connection_fast_util): one connect
    /// to the dead master with mysql_connect_timeout=1; if it answers, the failover stops.
    private func doubleCheck(_ dead: MySQLServer, states: [SlaveState]) {
        // "not double check when ping_type is insert": a master that accepts connections but
        // cannot commit would look alive to it.
        guard !pingInsert else { deadMasterShutdown(dead, states: states); return }
        sql.execute(.ping, on: dead.host.address, connectTimeout: Time.s(1), timeout: Time.s(1),
                    completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success(.ok) = r {
                self.record("mha", .failoverStepFailed, "The master \(dead.name) is reachable via MySQL! Stop failover.")
                return
            }
            self.deadMasterShutdown(dead, states: states)
        })
    }

    private func readServerStatus(_ rest: [MySQLServer], dead: MySQLServer, states: [SlaveState], unreachable: [String]) {
        guard let s = rest.first else {
            // ServerManager.pm validate_num_alive_servers: a server of the configuration that
            // the manager cannot reach (and that is not the dead master) stops the failover:
            // "Server X is dead, but must be alive! Check server settings."
            guard unreachable.isEmpty else {
                record("mha", .failoverStepFailed,
                       "Server \(unreachable.joined(separator: ", ")) is dead, but must be alive! Check server settings. Stop failover.")
                return
            }
            record("mha", .failoverStep, "Phase 1: alive slaves of \(dead.name): \(states.map(\.server.name).joined(separator: ", "))")
            guard !states.isEmpty else { record("mha", .failoverStepFailed, "no alive slave"); return }
            doubleCheck(dead, states: states)
            return
        }
        sql.execute(.showReplicaStatus, on: s.host.address, connectTimeout: sshTimeout, timeout: sshTimeout,
                    completion: manager.inThisLife { [weak self] r in
            var states = states, unreachable = unreachable
            switch r {
            case .success(.replicaStatus(let st?)) where st.source == dead.host.address:
                states.append(SlaveState(server: s, status: st))
            case .success: break
            case .failure: unreachable.append(s.name)
            }
            self?.readServerStatus(Array(rest.dropFirst()), dead: dead, states: states, unreachable: unreachable)
        })
    }

    /// Phase 2, dead master shutdown: the monitor's SSH check of the dead master's host
    /// decides whether its binlog can be saved and which master_ip_failover runs:
    /// --command=stopssh (a Perl script on the manager that ssh'es to drop the VIP) or stop.
    private func deadMasterShutdown(_ dead: MySQLServer, states: [SlaveState]) {
        // MasterFailover.pm uses the monitor's SSH check (`$_real_ssh_reachable`), no second one.
        let reachable = sshReachable
        record(dead.name, reachable ? .failoverStep : .failoverStepFailed,
               reachable ? "Phase 2: the dead master's host answers SSH"
                         : "Phase 2: the dead master's host did not answer SSH; its binlog cannot be saved")
        guard case .vip(let vip) = door, reachable else {
            manager.after(cost.startup) { [weak self] in self?.chooseNewMaster(dead, states, sshReachable: reachable) }
            return
        }
        manager.after(cost.startup) { [weak self] in
            guard let self else { return }
            self.ssh.run(.deleteVIP(vip), on: dead.host, port: Self.sshPort, connectTimeout: self.sshTimeout,
                         timeout: self.scriptTimeout, cost: self.sshOnly, completion: self.manager.inThisLife { [weak self] r in
                guard let self else { return }
                self.log(r, node: dead.name, step: "master_ip_failover --command=stopssh (ip addr del \(vip))")
                self.chooseNewMaster(dead, states, sshReachable: reachable)
            })
        }
    }

    /// Phase 3: the latest slave, the new master, the dead master's binlog tail and the
    /// new master's relay-log diff.
    private func chooseNewMaster(_ dead: MySQLServer, _ states: [SlaveState], sshReachable: Bool) {
        let states = states.sorted { $0.server.name < $1.server.name }
        // 3.1 the latest slaves: the most of the dead master's events received.
        let origin = serverIDs[dead.name] ?? 0
        let best = states.map { $0.status.retrieved.union($0.status.executed).highest(of: origin) }.max() ?? 0
        let latest = states.filter { $0.status.retrieved.union($0.status.executed).highest(of: origin) == best }
        let newMaster = states.first { $0.server.name == candidate } ?? latest[0]
        let latestSlave = latest[0]
        record(newMaster.server.name, .failoverStep,
               "latest slave \(latestSlave.server.name) (\(origin):\(best)); new master \(newMaster.server.name)")
        // 3.2 save the dead master's binlog if its host answered SSH.
        let known = latestSlave.status.retrieved.union(latestSlave.status.executed)
        let afterSave: ([BinlogEvent]) -> Void = { [weak self] saved in
            guard let self else { return }
            // 3.4 differential relay logs from the latest slave for the new master.
            let target = newMaster.status.retrieved.union(newMaster.status.executed)
            if latestSlave.server === newMaster.server {
                self.recoverNewMaster(newMaster.server, diff: saved, others: states.map(\.server))
                return
            }
            self.ssh.run(.eventsOnDisk(notIn: target), on: latestSlave.server.host, port: Self.sshPort,
                         connectTimeout: self.sshTimeout, timeout: self.scriptTimeout, cost: self.cost,
                         completion: self.manager.inThisLife { [weak self] r in
                guard let self else { return }
                var diff: [BinlogEvent] = []
                if case .success(.events(let e)) = r { diff = e }
                self.record(latestSlave.server.name, .failoverStep, "apply_diff_relay_logs --command=generate: \(diff.count) events")
                let have = Set(diff.map(\.gtid))
                self.recoverNewMaster(newMaster.server, diff: diff + saved.filter { !have.contains($0.gtid) },
                                      others: states.map(\.server))
            })
        }
        guard sshReachable else { afterSave([]); return }
        ssh.run(.eventsOnDisk(notIn: known), on: dead.host, port: Self.sshPort,
                connectTimeout: sshTimeout, timeout: scriptTimeout, cost: cost, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            var saved: [BinlogEvent] = []
            if case .success(.events(let e)) = r {
                saved = e
                self.record(dead.name, .failoverStep, "save_binary_logs: \(e.count) events the latest slave lacks, copied to the manager")
            } else {
                self.log(r, node: dead.name, step: "save_binary_logs")
            }
            afterSave(saved)
        })
    }

    /// 3.5: wait for the new master's SQL thread (up to relay_log_wait), apply the
    /// differences with apply_diff_relay_logs over SSH, open it for writes.
    private func recoverNewMaster(_ newMaster: MySQLServer, diff: [BinlogEvent], others: [MySQLServer], deadline: SimTime? = nil) {
        let until = deadline ?? d.sim.now + relayLogWait
        sql.execute(.showReplicaStatus, on: newMaster.host.address, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success(.replicaStatus(let st?)) = r, st.sqlRunning, st.relayLogPending > 0, self.d.sim.now < until {
                self.manager.after(Time.ms(100)) { [weak self] in self?.recoverNewMaster(newMaster, diff: diff, others: others, deadline: until) }
                return
            }
            self.sql.execute(.stopReplica, on: newMaster.host.address, completion: self.manager.inThisLife { [weak self] _ in
                guard let self else { return }
                // scp the diff to the new master, then mysqlbinlog | mysql there.
                self.ssh.run(.sql(.applyEvents(diff)), on: newMaster.host, port: Self.sshPort, connectTimeout: self.sshTimeout,
                             timeout: self.scriptTimeout, cost: self.cost, completion: self.manager.inThisLife { [weak self] r in
                    guard let self else { return }
                    if case .success(.result(.ok)) = r {} else {
                        self.record(newMaster.name, .failoverStepFailed, "apply_diff_relay_logs --command=apply: \(self.describe(r))")
                        return
                    }
                    self.sql.executeAll([.resetReplicaAll, .setReadOnly(false)], on: newMaster.host.address, timeout: Time.s(60),
                                        completion: self.manager.inThisLife { [weak self] r in
                        guard let self else { return }
                        switch r {
                        case .success:
                            self.record(newMaster.name, .failoverStep, "applied \(diff.count) missing events; RESET SLAVE ALL; read_only=0")
                            self.openFrontDoor(on: newMaster)
                            self.recoverSlaves(others.filter { $0 !== newMaster }, newMaster: newMaster)
                        case .failure(let e):
                            self.record(newMaster.name, .failoverStepFailed, "master recovery: \(e)")
                        }
                    })
                })
            })
        })
    }

    /// master_ip_failover --command=start (Perl on the manager, ssh to the new master):
    /// the VIP on the new master, or the DNS record.
    private func openFrontDoor(on newMaster: MySQLServer) {
        switch door {
        case .vip(let vip):
            manager.after(cost.startup) { [weak self] in
                guard let self else { return }
                self.ssh.run(.addVIP(vip), on: newMaster.host, port: Self.sshPort, connectTimeout: self.sshTimeout,
                             timeout: self.scriptTimeout, cost: self.sshOnly, completion: self.manager.inThisLife { [weak self] r in
                    guard let self else { return }
                    if case .success(.done) = r {
                        self.record(newMaster.name, .failoverComplete, "VIP \(vip) on \(newMaster.name)")
                    } else {
                        self.log(r, node: newMaster.name, step: "master_ip_failover --command=start (ip addr add \(vip))")
                    }
                    self.finish(newMaster)
                })
            }
        case .dns(let name):
            record(newMaster.name, .failoverStep, "master_ip_failover: DNS API \(name) -> \(newMaster.host.address)")
            d.network.dns?.update(name, to: newMaster.host.address, by: "mha") { [weak self] _ in
                guard let self else { return }
                self.record(newMaster.name, .failoverComplete, "\(name) answers \(newMaster.host.address)")
            }
            finish(newMaster)
        case .none:
            record(newMaster.name, .failoverComplete, "new master \(newMaster.name); the application's address is not managed")
            finish(newMaster)
        }
    }

    /// Phase 4: the other slaves follow the new master (MASTER_AUTO_POSITION=1), in parallel.
    private func recoverSlaves(_ others: [MySQLServer], newMaster: MySQLServer) {
        for s in others {
            sql.executeAll([.stopReplica, .changeSource(newMaster.host.address), .startReplica], on: s.host.address,
                           completion: manager.inThisLife { [weak self] r in
                guard let self else { return }
                switch r {
                case .success: self.record(s.name, .failoverStep, "CHANGE MASTER TO \(newMaster.name), MASTER_AUTO_POSITION=1; START SLAVE")
                case .failure(let e): self.record(s.name, .failoverStepFailed, "slave recovery: \(e)")
                }
            })
        }
    }

    private func finish(_ newMaster: MySQLServer) {
        // --remove_dead_master_conf: the dead master's [server] block leaves the configuration,
        // so the restarted manager does not stop at a dead server that "must be alive".
        let dead = manager.masterName
        configured.removeAll { $0.name == dead }
        manager.lastFailover = d.sim.now
        manager.masterName = newMaster.name
        // masterha_manager exits after a failover; monitoring restarts by hand, and the
        // 8-hour rule then protects against a second automatic failover.
        startMonitoring()
    }

    private func describe(_ r: Result<AgentReply, AgentError>) -> String {
        switch r {
        case .success(.failed(let why)): return why
        case .failure(let e): return "\(e)"
        case .success(let v): return "\(v)"
        }
    }

    private func log(_ r: Result<AgentReply, AgentError>, node: String, step: String) {
        switch r {
        case .success(.failed(let why)): record(node, .failoverStepFailed, "\(step): \(why)")
        case .failure(let e): record(node, .failoverStepFailed, "\(step): \(e)")
        case .success: record(node, .failoverStep, step)
        }
    }

    // MARK: the front door

    private enum Door { case vip(IPAddress), dns(String), none }

    private var door: Door {
        let vip = d.applicationVIP.map(Door.vip), dns = d.applicationDNSName.map(Door.dns)
        switch frontDoorOption {
        case "vip": return vip ?? .none
        case "dns": return dns ?? .none
        default: return vip ?? dns ?? .none
        }
    }
}
