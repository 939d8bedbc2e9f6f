import HasimKernel
import HasimNetwork
import HasimDatabase

// mmm_mond's roles (lib/Monitor/Monitor.pm, Roles.pm, Agent.pm): the monitor assigns roles in
// its memory and its status file, and tells each agent its part with SET_STATUS; the agents
// carry the changes out on their own hosts (MMMAgent.swift).

extension MMMRuntime {
    var writerVIP: IPAddress? { d.applicationVIP }

    /// The roles the monitor has given `s` (Roles.pm get_host_roles).
    func roles(of s: DatabaseHandle) -> [AgentRole] {
        var r: [AgentRole] = []
        if s == activeMaster, let vip = writerVIP { r.append(AgentRole(name: MMMAgentRoles.writerRole, ip: vip)) }
        for (v, holder) in readerHolder where holder == s.name { r.append(AgentRole(name: "reader", ip: v)) }
        return r.sorted()
    }

    func statusFor(_ s: DatabaseHandle) -> AgentStatus {
        AgentStatus(state: state[s.name] ?? "ONLINE", roles: roles(of: s), master: activeMaster?.name ?? "")
    }

    /// send_agent_status: SET_STATUS with what the monitor holds for `s`; true once the agent
    /// answered that it applied it. Never sent in PASSIVE mode.
    func sendStatus(to s: DatabaseHandle, _ done: @escaping (Bool) -> Void) {
        guard !passive else { done(false); return }
        agentCall(.setStatus(statusFor(s)), on: s) { r in
            if case .success(.done) = r { done(true) } else { done(false) }
        }
    }

    // MARK: role transition (doc/mmm_monitor.texi "Role transition")

    /// The writer role is taken from `old` (clear_roles) and its agent told so: it drops the
    /// VIP and denies writes on its own host. If it cannot be reached nothing of that happens.
    func removeWriterRole(from old: DatabaseHandle) {
        activeMaster = nil
        moving = true
        sendStatus(to: old) { [weak self] ok in
            guard let self else { return }
            if !ok {
                self.record(old.name, .failoverStepFailed,
                            "Can't send offline status notification to '\(old.name)' - killing it! Could not kill host '\(old.name)' - there may be some duplicate ips now!")
            }
            self.moving = false
            self.distributeWriterRole()
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
        // The new writer's agent: sync_with_master, read_only=0, the VIP + ARP (Role.pm add).
        // It answers once done, or the call times out after agent_timeout while it goes on.
        sendStatus(to: target) { [weak self] ok in
            guard let self else { return }
            self.moving = false
            if !ok { self.record(target.name, .failoverStepFailed, "agent: SET_STATUS with the writer role not confirmed within agent_timeout") }
            self.notifySlaves(of: target)
        }
    }

    /// notify_slaves: each slave's agent gets the new master and runs set_active_master.
    private func notifySlaves(of master: DatabaseHandle) {
        for s in slaves {
            sendStatus(to: s) { [weak self] ok in
                if !ok { self?.record(s.name, .failoverStepFailed, "agent: set_active_master \(master.name) not applied (agent unreachable or no answer)") }
            }
        }
    }

    private func agentCall(_ c: AgentCommand, on s: DatabaseHandle, reply: @escaping (Result<AgentReply, AgentError>) -> Void) {
        agent.run(c, on: s.host, port: Self.agentPort, connectTimeout: checkTimeout, timeout: agentTimeoutValue, completion: monitor.inThisLife(reply))
    }

    // MARK: start-up (Monitor.pm init)

    /// On (re)start the monitor has mmm_mond.status (states and roles) and asks every agent
    /// for its status (GET_AGENT_STATUS). An agent that does not answer, or answers a state
    /// other than the stored one (UNKNOWN, a restarted agent, excepted), is a discrepancy:
    /// the monitor starts in PASSIVE mode and moves nothing until `mmm_control set_active`.
    func reconcileWithAgents(_ done: @escaping () -> Void) {
        var pending = d.databases.count
        var problems: [String] = []
        for s in d.databases {
            agentCall(.getAgentStatus, on: s) { [weak self] r in
                guard let self else { return }
                let stored = self.state[s.name] ?? "ONLINE"
                switch r {
                case .success(.status(let st)) where st.state != "UNKNOWN" && st.state != stored:
                    problems.append("Agent state '\(st.state)' differs from stored one '\(stored)' for host '\(s.name)'")
                case .success(.status):
                    break
                default:
                    if stored != "ADMIN_OFFLINE" { problems.append("The status of the agent on host '\(s.name)' could not be determined") }
                }
                pending -= 1
                guard pending == 0 else { return }
                if problems.isEmpty {
                    self.record("mmm_mond", .failoverStep, "Monitor started in active mode.")
                } else {
                    self.passive = true
                    self.record("mmm_mond", .alert, "Switching to passive mode: \(problems.joined(separator: "; "))")
                }
                done()
            }
        }
    }
}
