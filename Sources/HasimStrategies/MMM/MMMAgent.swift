import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// mmm_agentd's memory and its role changes (mysql-mmm 2.2.1 lib/Agent/Agent.pm, Agent/Role.pm,
/// Agent/Helpers/Actions.pm). The agent holds the state, roles and active master the monitor
/// last sent it (SET_STATUS) in its process's memory only: it starts with none (UNKNOWN) and
/// forgets them when its host dies, so after a power cycle the writer's agent no longer knows it
/// is the writer and configures nothing until the monitor's next status gives the role back.
/// On SET_STATUS it diffs the old roles against the new ones: a removed role drops its VIP
/// (clear_ip) and, for the writer, denies writes; an added writer role syncs with the master,
/// allows writes and configures the VIP (configure_ip: `ip addr add` + send_arp unless the
/// host's NIC has it already). After each connection it re-asserts the roles it holds
/// (check_roles: allow_write for the writer and configure_ip), as Agent.pm's listener loop does.
/// The agent is single-threaded: a status that arrives while it applies one waits its turn.
final class MMMAgentRoles: AgentStatusHandler {
    struct Config {
        /// `mode slave` in mmm_common.conf: re-pointed by set_active_master when the master changes.
        var isSlave: Bool
        /// The other master (`peer`), whose SHOW MASTER STATUS sync_with_master waits for.
        var peer: IPAddress?
        /// Host name -> address, from mmm_common.conf.
        var addresses: [String: IPAddress]
        /// sync_with_master_timeout (0: MASTER_POS_WAIT without a timeout).
        var syncTimeout: SimTime
    }

    static let writerRole = "writer"
    /// MASTER_POS_WAIT returns once the SQL thread reaches the position; SHOW SLAVE STATUS is
    /// read this often to see it (docs/timings.md: MMM agent sync_with_master).
    static let pollInterval = Time.s(1)

    // The agent holds this memory (statusHandler); unowned, so the two do not keep each other alive.
    private unowned let agent: HostAgent
    private let config: Config
    private(set) var status = AgentStatus.unknown
    private var queue: [(AgentStatus, (AgentReply) -> Void)] = []
    private var busy = false
    /// Bumped when the process dies: steps of an earlier life are dropped.
    private var life: UInt32 = 0

    init(agent: HostAgent, config: Config) {
        self.agent = agent
        self.config = config
        agent.statusHandler = self
    }

    private var sim: Simulation { agent.network.sim }
    private var name: String { agent.process.host.name }

    /// What the monitor's status file says this host held before the simulated time began
    /// (the system is in its steady state at t = 0): no role change to carry out.
    func seed(_ s: AgentStatus) { status = s }

    func forget() {
        status = .unknown
        queue = []
        busy = false
        life &+= 1
    }

    func setStatus(_ new: AgentStatus, completion: @escaping (AgentReply) -> Void) {
        queue.append((new, completion))
        if !busy { next() }
    }

    private func next() {
        guard !queue.isEmpty else { busy = false; return }
        busy = true
        let (new, reply) = queue.removeFirst()
        apply(new) { [weak self] in
            guard let self else { return }
            reply(.done)  // "OK: Status applied successfully!"
            self.checkRoles { [weak self] in self?.next() }
        }
    }

    /// Runs `body` only if the agent has not died since (a step's reply after a crash is void).
    private func alive(_ body: @escaping () -> Void) -> () -> Void {
        let l = life
        return { [weak self] in if self?.life == l { body() } }
    }

    // MARK: cmd_set_status

    private func apply(_ new: AgentStatus, done: @escaping () -> Void) {
        let rolesThen: () -> Void = alive { [weak self] in
            guard let self else { return }
            let deleted = self.status.roles.filter { !new.roles.contains($0) }
            let added = new.roles.filter { !self.status.roles.contains($0) }
            // Agent.pm keeps the new roles whatever the helpers answered; check_roles retries.
            self.status.roles = new.roles
            self.status.state = new.state
            let steps: [Step] = deleted.map { r in { next in self.delete(r, next) } } + added.map { r in { next in self.add(r, next) } }
            self.run(steps, done: done)
        }
        if config.isSlave, new.state == "ONLINE", !new.master.isEmpty, new.master != status.master {
            setActiveMaster(new.master) { [weak self] ok in
                if ok { self?.status.master = new.master }
                rolesThen()
            }
        } else {
            if !config.isSlave { status.master = new.master }
            rolesThen()
        }
    }

    /// One helper after another, each calling on when it is done (Agent.pm runs them in turn).
    typealias Step = (@escaping () -> Void) -> Void

    private func run(_ steps: [Step], done: @escaping () -> Void) {
        guard let first = steps.first else { done(); return }
        first(alive { [weak self] in self?.run(Array(steps.dropFirst()), done: done) })
    }

    /// Role.pm add: the writer syncs with its peer and allows writes before its VIP is raised.
    private func add(_ role: AgentRole, _ done: @escaping () -> Void) {
        guard role.name == Self.writerRole else { configureIP(role, done); return }
        syncWithMaster(deadline: config.syncTimeout > 0 ? sim.now + config.syncTimeout : nil) { [weak self] in
            guard let self else { return }
            self.allowWrite { ok in
                self.record(ok ? .failoverStep : .failoverStepFailed,
                            ok ? "agent: sync_with_master done; read_only=0" : "agent: mysql_allow_write failed; read_only stays ON")
                self.configureIP(role, done)
            }
        }
    }

    /// Role.pm del: clear_ip, then deny_write for the writer (read_only=1, and the client
    /// sessions are killed so none goes on writing).
    private func delete(_ role: AgentRole, _ done: @escaping () -> Void) {
        local(.deleteVIP(role.ip)) { [weak self] _ in
            guard let self else { return }
            self.record(.failoverStep, "agent: ip addr del \(role.ip) (\(role.name) role removed)")
            guard role.name == Self.writerRole else { done(); return }
            self.sql(.setReadOnly(true)) { ok in
                self.record(ok ? .failoverStep : .failoverStepFailed, "agent: read_only=1")
                self.sql(.killClientSessions) { _ in
                    self.record(.failoverStep, "agent: killed client sessions")
                    done()
                }
            }
        }
    }

    /// configure_ip: a no-op when this host's interface already carries the address.
    private func configureIP(_ role: AgentRole, _ done: @escaping () -> Void) {
        let had = agent.network.vips?.isConfigured(role.ip, on: agent.process.host) ?? false
        local(.configureVIP(role.ip)) { [weak self] r in
            guard let self else { return }
            if !had {
                let ok: Bool = if case .done = r { true } else { false }
                let kind: TraceKind = !ok ? .failoverStepFailed : role.name == Self.writerRole ? .failoverComplete : .failoverStep
                self.record(kind, "agent: ip addr add \(role.ip); send_arp (\(role.name) role)")
            }
            done()
        }
    }

    /// check_roles after each connection: the writer's allow_write and every role's configure_ip
    /// again, so a writer whose mysqld came back read-only or lost its address is repaired.
    private func checkRoles(_ done: @escaping () -> Void) {
        let steps: [Step] = status.roles.map { role in { [weak self] next in
            guard let self else { return }
            guard role.name == Self.writerRole else { self.configureIP(role, next); return }
            self.allowWrite { _ in self.configureIP(role, next) }
        } }
        run(steps, done: done)
    }

    // MARK: helpers (Agent/Helpers/Actions.pm)

    private func allowWrite(_ done: @escaping (Bool) -> Void) { sql(.setReadOnly(false), done) }

    /// sync_with_master: MASTER_POS_WAIT for the peer's SHOW MASTER STATUS position if the peer
    /// answers, else for what this host's IO thread read (its relay log applied); returns early
    /// when the SQL thread is not running (MASTER_POS_WAIT answers NULL) or at the deadline.
    private func syncWithMaster(deadline: SimTime?, _ done: @escaping () -> Void) {
        guard let peer = config.peer else { waitForPosition(nil, deadline: deadline, done); return }
        agent.mysql.execute(.showMasterStatus, on: peer, connectTimeout: Time.s(3), timeout: Time.s(3)) { [weak self] r in
            guard let self else { return }
            var target: GTIDSet?
            if case .success(.masterStatus(let executed, _, _)) = r { target = executed }
            self.alive { self.waitForPosition(target, deadline: deadline, done) }()
        }
    }

    private func waitForPosition(_ target: GTIDSet?, deadline: SimTime?, _ done: @escaping () -> Void) {
        sqlResult(.showReplicaStatus) { [weak self] r in
            guard let self else { return }
            guard case .result(.replicaStatus(let st?)) = r, st.sqlRunning else { done(); return }
            let reached = target.map { $0.isSubset(of: st.executed) } ?? true
            guard !(reached && st.relayLogPending == 0), deadline.map({ self.sim.now < $0 }) ?? true else { done(); return }
            self.agent.network.timer(of: self.agent.process, after: Self.pollInterval, self.alive { [weak self] in
                self?.waitForPosition(target, deadline: deadline, done)
            })
        }
    }

    /// set_active_master: nothing if this slave already replicates from the new master;
    /// else catch up (its relay log applied), STOP SLAVE, CHANGE MASTER TO the new master's
    /// current SHOW MASTER STATUS position, START SLAVE.
    private func setActiveMaster(_ master: String, _ done: @escaping (Bool) -> Void) {
        guard let address = config.addresses[master] else { done(false); return }
        sqlResult(.showReplicaStatus) { [weak self] r in
            guard let self else { return }
            guard case .result(.replicaStatus(let st?)) = r else {
                self.record(.failoverStepFailed, "agent: set_active_master \(master): SHOW SLAVE STATUS failed")
                done(false)
                return
            }
            if st.source == address { done(true); return }  // "We are already a slave of the new master"
            self.waitForPosition(nil, deadline: nil) {
                self.sql(.stopReplica) { _ in
                    self.agent.mysql.execute(.showMasterStatus, on: address, connectTimeout: Time.s(3), timeout: Time.s(3)) { r in
                        self.alive {
                            guard case .success(.masterStatus(_, _, let position)) = r else {
                                self.record(.failoverStepFailed, "agent: set_active_master \(master): cannot read its SHOW MASTER STATUS")
                                done(false)
                                return
                            }
                            self.sql(.changeSourceToPosition(address, position: position)) { ok in
                                guard ok else { done(false); return }
                                self.sql(.startReplica) { ok in
                                    self.record(ok ? .failoverStep : .failoverStepFailed,
                                                "agent: set_active_master \(master) at position \(position)")
                                    done(ok)
                                }
                            }
                        }()
                    }
                }
            }
        }
    }

    // MARK: local execution

    private func local(_ c: AgentCommand, _ done: @escaping (AgentReply) -> Void) {
        agent.execute(c, cost: .none) { [weak self] r in self.map { $0.alive { done(r) }() } }
    }

    private func sqlResult(_ q: Query, _ done: @escaping (AgentReply) -> Void) { local(.sql(q), done) }

    private func sql(_ q: Query, _ done: @escaping (Bool) -> Void) {
        local(.sql(q)) { r in
            switch r {
            case .result(.error), .failed: done(false)
            default: done(true)
            }
        }
    }

    private func record(_ kind: TraceKind, _ detail: String) { sim.record(name, kind, detail) }
}
