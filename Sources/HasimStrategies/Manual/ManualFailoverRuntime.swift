import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// The seed's manual failover: monitoring checks the primary; after enough failed
/// checks it alerts; a DBA understands (detection delay), waits for the replica
/// to apply its relay log, stops replication and clears read_only; then the
/// developers change the application's DB address and redeploy (response delay).
final class ManualFailoverRuntime: StrategyRuntime {
    /// The monitoring system (Nagios-style) and the DBA's terminal as processes on the ops
    /// host: while it is down no check runs and nothing is paged; init starts the monitoring
    /// again on boot. Nagios keeps its check states in retention.dat (retain_state_information),
    /// so the failed-check count and an alert already raised survive; nothing else is held.
    final class Ops: Daemon {
        var onBoot: (() -> Void)?
        override func booted() { onBoot?() }
    }

    let d: Deployment
    private let checkInterval: SimTime
    private let alertAfter: Int
    private let checkTimeout: SimTime
    private let detectionDelay: SimTime
    let promoteTime: SimTime
    private let responseDelay: SimTime
    private let sshConnectTimeout: SimTime
    /// ip, vip, dns or auto (the option front_door).
    private let frontDoor: String
    /// `arping -U` after `ip addr add` (the option gratuitous_arp).
    private let arping: Bool
    /// The DBA's ssh, and sshd on every database host (for `ip addr`).
    private var ssh: AgentClient!
    private var sshd: [HostAgent] = []
    private var monitor: AdminClient!
    var dba: AdminClient!
    private var ops: Ops!
    private let monitorHostName: String
    private var failedChecks = 0
    private var alerted = false
    /// A scheduled downtime in the monitoring (the `maintenance:` action): no check alerts.
    var inDowntime = false
    /// Bumped when monitoring re-arms after a stand-down, so one check loop runs at a time.
    var checkLoop = 0
    /// The replica the DBA promotes (a planned switchover may name another).
    var target: DatabaseHandle
    /// The primary the monitoring watches (the new one after a planned switchover).
    var oldPrimary: DatabaseHandle

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        checkInterval = options.duration("check_interval")
        alertAfter = max(1, options.int("alert_after"))
        checkTimeout = options.duration("check_timeout")
        detectionDelay = options.duration("detection_delay")
        sshConnectTimeout = options.duration("ssh_connect_timeout")
        promoteTime = options.duration("promote_time")
        responseDelay = options.duration("response_delay")
        frontDoor = options.string("front_door")
        arping = options.bool("gratuitous_arp")
        monitorHostName = options.string("monitor_host")
        oldPrimary = deployment.initialPrimary
        // The DBA fails over to the designated replica, or the first replica of the primary.
        let named = options.string("target")
        target = deployment.replicas.first { $0.replica.name == named }?.replica
            ?? deployment.replicas.first { $0.source == deployment.initialPrimary }?.replica
            ?? deployment.replicas[0].replica
    }

    var applicationAddress: IPAddress { oldPrimary.host.address }

    func start() {
        // Monitoring and the DBA's terminal sit on the ops host (by default where the application runs).
        let host = d.network.host(named: monitorHostName) ?? d.app.process.host
        ops = Ops(name: "monitoring", host: host, network: d.network)
        monitor = AdminClient(name: "monitoring", host: host, network: d.network)
        dba = AdminClient(name: "dba", host: host, network: d.network)
        ops.adopt(monitor.process)
        ops.adopt(dba.process)
        if d.network.vips != nil {
            ssh = AgentClient(name: "dba-ssh", host: host, network: d.network)
            ops.adopt(ssh.process)
            sshd = d.databases.map { d.startHostAgent(name: "sshd", on: $0.host, port: 22) }
        }
        ops.onBoot = { [weak self] in
            guard let self else { return }
            self.checkLoop += 1
            self.scheduleCheck(loop: self.checkLoop, first: true)
        }
        scheduleCheck(loop: 0, first: true)
    }

    /// The next check of the loop, in the monitoring process's life (none while its host is down).
    /// The first check after the monitoring starts comes at a seeded phase of the interval (Nagios
    /// spreads its initial checks over the interval, `max_service_check_spread`): where in the
    /// cycle the primary fails varies with the seed, not always one full interval before a check.
    func scheduleCheck(loop: Int, first: Bool = false) {
        ops.after(first ? ops.randomPhase(in: checkInterval) : checkInterval) { [weak self] in self?.check(loop: loop) }
    }

    func check(loop: Int) {
        guard !alerted, !inDowntime, loop == checkLoop else { return }
        // A check in flight when the ops host dies dies with it: it counts neither way.
        monitor.execute(.ping, on: oldPrimary.host.address, connectTimeout: checkTimeout, timeout: checkTimeout,
                        completion: ops.inThisLife { [weak self] r in
            guard let self, !self.alerted else { return }
            if case .success(.ok) = r {
                self.failedChecks = 0
            } else {
                self.failedChecks += 1
                if self.failedChecks >= self.alertAfter {
                    self.alerted = true
                    self.d.sim.record("monitoring", .alert, "\(self.oldPrimary.name) failed \(self.failedChecks) checks")
                    self.d.sim.after(self.detectionDelay) { [weak self] in self?.beginFailover() }
                }
            }
        })
        scheduleCheck(loop: loop)
    }

    /// The DBA's first step once at the terminal: is the primary really down? A host that
    /// crashed often boots again within minutes (the fleet's repair times are lognormal);
    /// promoting the replica then would leave the application writing to the old primary
    /// until the redeploy, all of it missing on the new one. The DBA connects to the primary's
    /// mysqld as the monitoring does; if it answers, the DBA stands down and monitoring re-arms.
    private func beginFailover() {
        dba.execute(.ping, on: oldPrimary.host.address, connectTimeout: checkTimeout, timeout: checkTimeout) { [weak self] r in
            guard let self else { return }
            if case .success(.ok) = r {
                self.d.sim.record(self.oldPrimary.name, .failoverStep, "DBA: \(self.oldPrimary.name) answers again; no failover")
                self.alerted = false
                self.failedChecks = 0
                self.checkLoop += 1
                self.scheduleCheck(loop: self.checkLoop)
            } else {
                self.promoteAfterConfirmation()
            }
        }
    }

    private func promoteAfterConfirmation() {
        d.sim.record(oldPrimary.name, .failoverStart, "DBA promotes \(target.name)")
        // With a VIP, first take it from the failed primary so nothing reaches it (seed 000's
        // order: read-only, kill sessions, revoke the VIP, then promote and assign the VIP).
        guard case .vip(let vip) = door else { return startPromotion() }
        removeVIP(vip) { [weak self] in self?.startPromotion() }
    }

    private func startPromotion() {
        d.sim.after(promoteTime) { [weak self] in self?.waitForRelayLog(deadline: (self?.d.sim.now ?? 0) + Time.minute * 10) }
    }

    /// Like a DBA watching SHOW SLAVE STATUS until the SQL thread has caught up
    /// with what the IO thread received (or gave up: the SQL thread stopped).
    private func waitForRelayLog(deadline: SimTime) {
        dba.execute(.showReplicaStatus, on: target.host.address) { [weak self] r in
            guard let self else { return }
            switch r {
            case .success(.replicaStatus(let st?)) where st.sqlRunning && st.relayLogPending > 0 && self.d.sim.now < deadline:
                self.d.sim.after(Time.s(1)) { [weak self] in self?.waitForRelayLog(deadline: deadline) }
            case .success:
                self.d.sim.record(self.target.name, .failoverStep, "relay log applied; promoting")
                self.promote()
            case .failure(let e):
                self.d.sim.record(self.target.name, .failoverStepFailed, "SHOW SLAVE STATUS: \(e)")
                self.d.sim.after(Time.s(30)) { [weak self] in self?.waitForRelayLog(deadline: deadline) }
            }
        }
    }

    private func promote() {
        dba.executeAll([.stopReplica, .resetReplicaAll, .setReadOnly(false)], on: target.host.address) { [weak self] r in
            guard let self else { return }
            switch r {
            case .success:
                self.d.sim.record(self.target.name, .failoverStep, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF")
                self.repointOtherReplicas()
                self.pointApplicationAtTarget()
            case .failure(let e):
                self.d.sim.record(self.target.name, .failoverStepFailed, "promotion: \(e)")
                self.d.sim.after(Time.s(30)) { [weak self] in self?.promote() }
            }
        }
    }

    /// The other replicas of the old primary follow the new one: by GTID auto-position, or, when
    /// they replicate by file and position, at the new primary's SHOW MASTER STATUS coordinates.
    func repointOtherReplicas() {
        for (replica, source) in d.replicas where source == oldPrimary && replica != target {
            repoint(replica)
        }
    }

    /// The runbook first asks the replica how it replicates (SHOW SLAVE STATUS: MariaDB's
    /// Using_Gtid, MySQL's Auto_Position). By file and position the DBA reads SHOW MASTER STATUS
    /// on the new primary and points the replica there: whatever the replica already has beyond
    /// what the new primary has is not undone, which is why this re-point ends in 1062 when the
    /// new primary hands out those keys again (validation/results/lagging-promote-filepos.json).
    private func repoint(_ replica: DatabaseHandle) {
        let address = replica.host.address
        dba.execute(.showReplicaStatus, on: address) { [weak self] r in
            guard let self else { return }
            if case .failure(let e) = r {
                // The DBA cannot reach it, so cannot tell how it replicates: the runbook goes
                // on without it and comes back to it.
                self.d.sim.record(replica.name, .failoverStepFailed, "SHOW SLAVE STATUS on \(replica.name): \(e); skipped for now")
                self.d.sim.after(Time.s(30)) { [weak self] in self?.repoint(replica) }
                return
            }
            guard case .success(.replicaStatus(let status?)) = r, !status.autoPosition else {
                return self.repoint(replica, [.stopReplica, .changeSource(self.target.host.address), .startReplica],
                                    "MASTER_AUTO_POSITION=1")
            }
            self.dba.execute(.showMasterStatus, on: self.target.host.address) { [weak self] r in
                guard let self else { return }
                guard case .success(.masterStatus(_, _, let position)) = r else {
                    self.d.sim.record(replica.name, .failoverStepFailed, "SHOW MASTER STATUS on \(self.target.name) failed")
                    self.d.sim.after(Time.s(30)) { [weak self] in self?.repoint(replica) }
                    return
                }
                self.repoint(replica, [.stopReplica, .changeSourceToPosition(self.target.host.address, position: position), .startReplica],
                             "MASTER_LOG_POS at \(self.target.name)'s SHOW MASTER STATUS (\(position))")
            }
        }
    }

    private func repoint(_ replica: DatabaseHandle, _ steps: [Query], _ how: String) {
        dba.executeAll(steps, on: replica.host.address) { [weak self] r in
            guard let self else { return }
            switch r {
            case .success:
                self.d.sim.record(replica.name, .failoverStep, "CHANGE MASTER TO \(self.target.name), \(how); START SLAVE")
            case .failure(let e):
                self.d.sim.record(replica.name, .failoverStepFailed, "re-pointing to \(self.target.name): \(e)")
                self.d.sim.after(Time.s(30)) { [weak self] in self?.repoint(replica) }
            }
        }
    }

    // MARK: - the front door

    enum Door { case ip, vip(IPAddress), dns(String), proxy }

    /// What the DBA has to change, from the option and from what the application dials.
    var door: Door {
        let address = d.app.address
        let vip = d.applicationVIP, name = d.applicationDNSName
        switch frontDoor {
        case "vip" where vip != nil: return .vip(address)
        case "dns" where name != nil: return .dns(address.value)
        case "auto":
            if let vip { return .vip(vip) }
            if let name { return .dns(name) }
            // An address that leads to no database is a proxy's: its health checks route.
            // The inventory the DBA knows: a database's own address, or another host's (a proxy's).
            let leadsToDatabase = d.databases.contains { $0.host.address == address } || !d.network.hosts.contains { $0.address == address }
            return leadsToDatabase ? .ip : .proxy
        default: return .ip
        }
    }

    /// Points the application at the server promoted now. The server is fixed here, not read
    /// when the step ends: a switchover hands the `target` role back to the old primary (its
    /// next standby) long before the developers' redeploy lands.
    func pointApplicationAtTarget() {
        let to = target
        switch door {
        case .ip:
            d.sim.after(responseDelay) { [weak self] in self?.redeployApplication(to: to) }
        case .vip(let vip):
            addVIP(vip, on: to)
        case .dns(let name):
            d.sim.record(to.name, .failoverStep, "DNS API: \(name) -> \(to.host.address)")
            d.network.dns?.update(name, to: to.host.address, by: "dba") { [weak self] _ in
                self?.d.sim.record(to.name, .failoverComplete, "\(name) answers \(to.host.address)")
            }
        case .proxy:
            d.sim.record(target.name, .failoverComplete, "the proxy routes by its health checks; nothing to repoint")
        }
    }

    /// `ssh -o ConnectTimeout=…` (the option ssh_connect_timeout); the command itself gets as long.
    private var sshTimeout: SimTime { sshConnectTimeout }

    /// `ip addr del` on the old primary, so it stops answering for the VIP; a dead or
    /// unreachable host cannot be asked, and the DBA goes on (it may still hold the VIP).
    func removeVIP(_ vip: IPAddress, then next: @escaping () -> Void) {
        let command = "ip addr del \(vip) dev eth0"
        ssh.run(.deleteVIP(vip), on: oldPrimary.host, port: 22, connectTimeout: sshTimeout, timeout: sshTimeout) { [weak self] r in
            guard let self else { return }
            switch r {
            case .success(.failed(let why)):
                self.d.sim.record(self.oldPrimary.name, .failoverStepFailed, "\(command): \(why)")
            case .success:
                self.d.sim.record(self.oldPrimary.name, .failoverStep, command)
            case .failure(let e):
                self.d.sim.record(self.oldPrimary.name, .failoverStepFailed, "ssh \(self.oldPrimary.name) \(command): \(e)")
            }
            next()
        }
    }

    private func addVIP(_ vip: IPAddress, on to: DatabaseHandle) {
        let command = "ip addr add \(vip) dev eth0" + (arping ? "; arping -U \(vip)" : "")
        ssh.run(.addVIP(vip, arping: arping), on: to.host, port: 22, connectTimeout: sshTimeout, timeout: sshTimeout) { [weak self] r in
            guard let self else { return }
            switch r {
            case .success(.failed(let why)):
                // Refused (e.g. outside the VIP's site): trying again changes nothing.
                self.d.sim.record(to.name, .failoverStepFailed, "\(command): \(why)")
            case .success:
                self.d.sim.record(to.name, .failoverComplete, "VIP \(vip) on \(to.name)")
            case .failure(let e):
                self.d.sim.record(to.name, .failoverStepFailed, "ssh \(to.name) \(command): \(e)")
                self.d.sim.after(Time.s(30)) { [weak self] in self?.addVIP(vip, on: to) }
            }
        }
    }

    private func redeployApplication(to: DatabaseHandle) {
        d.app.redeploy(address: to.host.address)
        for pool in d.webPools { pool.redeploy(address: to.host.address) }
        d.sim.record(to.name, .failoverComplete, "application uses \(to.host.address)")
    }
}
