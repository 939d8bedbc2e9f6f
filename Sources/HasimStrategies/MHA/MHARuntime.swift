import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// The MHA manager as the real one works (MasterFailover.pm phase order): every step
/// is a SQL statement or a command over SSH that can time out, so failed or partial
/// failovers come out of the network, not out of this file.
final class MHARuntime: StrategyRuntime {
    /// MHA runs its node scripts (save_binary_logs, apply_diff_relay_logs) over SSH;
    /// here the SSH side is a HostAgent on this port of every host it uses.
    static let sshPort = 2222

    private let d: Deployment
    private let pingInterval: SimTime
    private let pingFailures: Int
    private let secondaryHosts: [String]
    private let secondaryTimeout: SimTime
    private let sshTimeout: SimTime
    private let candidate: String
    private let lastFailoverWindow: SimTime
    private let managerHostName: String
    private let frontDoorOption: String

    private var master: MySQLServer
    private var sql: AdminClient!
    private var ssh: AgentClient!
    private var agents: [String: HostAgent] = [:]
    private var errors = 0
    /// Bumped when monitoring restarts, so answers to older checks are ignored.
    private var checkGeneration = 0
    private var monitoring = true
    private var lastFailover: SimTime?

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        pingInterval = options.duration("ping_interval")
        pingFailures = max(1, options.int("ping_failures"))
        secondaryHosts = hostList(options.string("secondary_check_hosts"))
        secondaryTimeout = options.duration("secondary_check_timeout")
        sshTimeout = options.duration("ssh_connection_timeout")
        candidate = options.string("candidate_master")
        lastFailoverWindow = SimTime(options.int("last_failover_minute")) * Time.minute
        managerHostName = options.string("manager_host")
        frontDoorOption = options.string("front_door")
        master = deployment.initialPrimary
    }

    var applicationAddress: IPAddress { master.host.address }

    func start() {
        let managerHost = d.network.host(named: managerHostName) ?? d.app.process.host
        sql = AdminClient(name: "masterha_manager", host: managerHost, network: d.network)
        ssh = AgentClient(name: "masterha_manager-ssh", host: managerHost, network: d.network)
        for s in d.servers { agents[s.name] = HostAgent(name: "sshd-mha", host: s.host, port: Self.sshPort, network: d.network, localServer: s) }
        for h in secondaryHosts where agents[h] == nil {
            if let host = d.network.host(named: h) {
                agents[h] = HostAgent(name: "sshd-mha", host: host, port: Self.sshPort, network: d.network, localServer: nil)
            }
        }
        d.sim.after(pingInterval) { [weak self] in self?.healthCheck() }
    }

    private func record(_ node: String, _ kind: TraceKind, _ detail: String) { d.sim.record(node, kind, detail) }

    // MARK: health check (HealthCheck.pm)

    /// A check starts every ping_interval whether or not the previous one has come
    /// back, so detection takes at most ping_failures x ping_interval (the wiki's
    /// "four times the ping interval").
    private func healthCheck() {
        guard monitoring else { return }
        d.sim.after(pingInterval) { [weak self] in self?.healthCheck() }
        let generation = checkGeneration
        sql.execute(.ping, on: master.host.address, connectTimeout: pingInterval, timeout: pingInterval) { [weak self] r in
            guard let self, self.monitoring, generation == self.checkGeneration else { return }
            if case .success(.ok) = r {
                self.errors = 0
                return
            }
            self.errors += 1
            guard self.errors >= self.pingFailures else { return }
            self.monitoring = false
            self.record("mha", .alert, "\(self.master.name) unreachable: \(self.errors) failed checks")
            self.secondaryCheck()
        }
    }

    /// masterha_secondary_check: the master is dead only if no route reaches it.
    private func secondaryCheck() {
        guard !secondaryHosts.isEmpty else { failover(); return }
        var pending = secondaryHosts.count
        var reachableFrom: [String] = []
        for h in secondaryHosts {
            guard let host = d.network.host(named: h) else { pending -= 1; continue }
            ssh.run(.canConnect(master.host.address, port: 3306, timeout: secondaryTimeout), on: host, port: Self.sshPort,
                    connectTimeout: sshTimeout, timeout: secondaryTimeout + sshTimeout) { [weak self] r in
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
                    self.errors = 0
                    self.monitoring = true
                    self.checkGeneration += 1
                    self.d.sim.after(self.pingInterval) { [weak self] in self?.healthCheck() }
                }
            }
        }
    }

    // MARK: failover (MasterFailover.pm)

    /// The master's slaves as configured now (CHANGE MASTER TO), not as at the start:
    /// after a failover they follow the new master.
    private var slaves: [MySQLServer] {
        d.servers.filter { $0 !== master && $0.source == master.host.address }
    }

    private func failover() {
        // Phase 1: configuration check.
        if let last = lastFailover, d.sim.now - last < lastFailoverWindow {
            record("mha", .failoverStepFailed, "last failover was done at \(Time.format(last)); not failing over within last_failover_minute")
            return
        }
        record(master.name, .failoverStart, "MHA: master \(master.name) is dead")
        // Phase 2: dead master shutdown (master_ip_failover --command=stopssh).
        switch door {
        case .vip(let vip):
            ssh.run(.deleteVIP(vip), on: master.host, port: Self.sshPort, connectTimeout: sshTimeout, timeout: sshTimeout) { [weak self] r in
                guard let self else { return }
                self.log(r, node: self.master.name, step: "master_ip_failover --command=stopssh (ip addr del \(vip))")
                self.phase3()
            }
        default:
            phase3()
        }
    }

    private struct SlaveState { let server: MySQLServer; let status: ReplicaStatus }

    /// Phase 3: master recovery.
    private func phase3() {
        let group = slaves
        var states: [SlaveState] = []
        var pending = group.count
        for s in group {
            sql.execute(.showReplicaStatus, on: s.host.address, connectTimeout: sshTimeout, timeout: sshTimeout) { [weak self] r in
                guard let self else { return }
                if case .success(.replicaStatus(let st?)) = r { states.append(SlaveState(server: s, status: st)) }
                pending -= 1
                if pending == 0 { self.chooseNewMaster(states.sorted { $0.server.name < $1.server.name }) }
            }
        }
        if group.isEmpty { record("mha", .failoverStepFailed, "no alive slave"); return }
    }

    private func chooseNewMaster(_ states: [SlaveState]) {
        guard !states.isEmpty else { record("mha", .failoverStepFailed, "no alive slave answered"); return }
        // 3.1 the latest slaves: the most of the dead master's events received.
        let origin = master.config.serverID
        let best = states.map { $0.status.retrieved.union($0.status.executed).highest(of: origin) }.max() ?? 0
        let latest = states.filter { $0.status.retrieved.union($0.status.executed).highest(of: origin) == best }
        let newMaster = states.first { $0.server.name == candidate } ?? latest[0]
        let latestSlave = latest[0]
        record(newMaster.server.name, .failoverStep,
               "latest slave \(latestSlave.server.name) (\(origin):\(best)); new master \(newMaster.server.name)")
        // 3.2 save the dead master's binlog if its host answers SSH.
        let known = latestSlave.status.retrieved.union(latestSlave.status.executed)
        ssh.run(.eventsOnDisk(notIn: known), on: master.host, port: Self.sshPort,
                connectTimeout: sshTimeout, timeout: sshTimeout * 2) { [weak self] r in
            guard let self else { return }
            var saved: [BinlogEvent] = []
            if case .success(.events(let e)) = r {
                saved = e
                self.record(self.master.name, .failoverStep, "save_binary_logs: \(e.count) events the latest slave lacks")
            } else {
                self.log(r, node: self.master.name, step: "save_binary_logs")
            }
            // 3.4 differential relay logs from the latest slave for the new master.
            let target = newMaster.status.retrieved.union(newMaster.status.executed)
            if latestSlave.server === newMaster.server {
                self.recoverNewMaster(newMaster.server, diff: saved, others: states.map(\.server))
            } else {
                self.ssh.run(.eventsOnDisk(notIn: target), on: latestSlave.server.host, port: Self.sshPort,
                             connectTimeout: self.sshTimeout, timeout: self.sshTimeout * 2) { [weak self] r in
                    guard let self else { return }
                    var diff: [BinlogEvent] = []
                    if case .success(.events(let e)) = r { diff = e }
                    self.record(latestSlave.server.name, .failoverStep, "apply_diff_relay_logs --command=generate: \(diff.count) events")
                    let have = Set(diff.map(\.gtid))
                    self.recoverNewMaster(newMaster.server, diff: diff + saved.filter { !have.contains($0.gtid) },
                                          others: states.map(\.server))
                }
            }
        }
    }

    /// 3.5: wait for the new master's SQL thread, apply the differences, open it for writes.
    private func recoverNewMaster(_ newMaster: MySQLServer, diff: [BinlogEvent], others: [MySQLServer], deadline: SimTime? = nil) {
        let until = deadline ?? d.sim.now + Time.minute * 10
        sql.execute(.showReplicaStatus, on: newMaster.host.address) { [weak self] r in
            guard let self else { return }
            if case .success(.replicaStatus(let st?)) = r, st.sqlRunning, st.relayLogPending > 0, self.d.sim.now < until {
                self.d.sim.after(Time.ms(100)) { [weak self] in self?.recoverNewMaster(newMaster, diff: diff, others: others, deadline: until) }
                return
            }
            let statements: [Query] = [.stopReplica, .applyEvents(diff), .resetReplicaAll, .setReadOnly(false)]
            self.sql.executeAll(statements, on: newMaster.host.address, timeout: Time.s(60)) { [weak self] r in
                guard let self else { return }
                switch r {
                case .success:
                    self.record(newMaster.name, .failoverStep, "applied \(diff.count) missing events; RESET SLAVE ALL; read_only=0")
                    self.openFrontDoor(on: newMaster)
                    self.recoverSlaves(others.filter { $0 !== newMaster }, newMaster: newMaster)
                case .failure(let e):
                    self.record(newMaster.name, .failoverStepFailed, "master recovery: \(e)")
                }
            }
        }
    }

    /// master_ip_failover --command=start: VIP on the new master, or the DNS record.
    private func openFrontDoor(on newMaster: MySQLServer) {
        switch door {
        case .vip(let vip):
            ssh.run(.addVIP(vip), on: newMaster.host, port: Self.sshPort, connectTimeout: sshTimeout, timeout: sshTimeout) { [weak self] r in
                guard let self else { return }
                if case .success(.done) = r {
                    self.record(newMaster.name, .failoverComplete, "VIP \(vip) on \(newMaster.name)")
                } else {
                    self.log(r, node: newMaster.name, step: "master_ip_failover --command=start (ip addr add \(vip))")
                }
                self.finish(newMaster)
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

    /// Phase 4: the other slaves follow the new master (MASTER_AUTO_POSITION=1).
    private func recoverSlaves(_ others: [MySQLServer], newMaster: MySQLServer) {
        for s in others {
            sql.executeAll([.stopReplica, .changeSource(newMaster.host.address), .startReplica], on: s.host.address) { [weak self] r in
                guard let self else { return }
                switch r {
                case .success: self.record(s.name, .failoverStep, "CHANGE MASTER TO \(newMaster.name), MASTER_AUTO_POSITION=1; START SLAVE")
                case .failure(let e): self.record(s.name, .failoverStepFailed, "slave recovery: \(e)")
                }
            }
        }
    }

    private func finish(_ newMaster: MySQLServer) {
        lastFailover = d.sim.now
        master = newMaster
        // masterha_manager exits after a failover; monitoring restarts by hand, and the
        // 8-hour rule then protects against a second automatic failover.
        monitoring = true
        errors = 0
        checkGeneration += 1
        d.sim.after(pingInterval) { [weak self] in self?.healthCheck() }
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
