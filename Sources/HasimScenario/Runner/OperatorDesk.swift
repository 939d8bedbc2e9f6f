import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload
import HasimStrategies

extension TraceKind {
    /// An operator's action begins, and each of its steps (node = where it acted).
    public static let operatorAction = TraceKind("operator_action")
    /// An operator's step that failed or that the operator refused to take.
    public static let operatorRefused = TraceKind("operator_refused")
}

/// The operator's side of a run: the HA tool's own commands (switchover, maintenance) and a
/// DBA at a terminal on the first application's host, who reaches the servers only with a
/// mysql client and pays, for every statement, the time it takes to type it.
final class OperatorDesk {
    private let sim: Simulation
    private let network: Network
    private let strategy: StrategyRuntime
    private let dba: AdminClient?
    /// One hand-typed statement: the manual strategy's promote_time covers three
    /// (STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF): 2 min / 3 = 40 s by default.
    let typing: SimTime

    init(_ scenario: Scenario, sim: Simulation, network: Network, strategy: StrategyRuntime) {
        self.sim = sim
        self.network = network
        self.strategy = strategy
        var promote = Time.minute * 2
        if case .duration(let t)? = scenario.architecture.options["promote_time"] ?? ManualFailover.descriptor.option("promote_time")?.defaultValue {
            promote = t
        }
        typing = promote / 3
        // A terminal only when a DBA acts: a run without one spawns no extra process.
        let dbaActs = scenario.faults.contains { $0.kind.name.isOperatorAction && !($0.kind.name == .switchover || $0.kind.name == .maintenance) }
        dba = dbaActs ? AdminClient(name: "dba-terminal", host: network.host(named: scenario.workload.client)!, network: network) : nil
    }

    /// Schedules an action; returns its target as the results name it.
    func schedule(_ f: FaultSpec) -> String {
        switch f.kind {
        case .switchover(let to):
            sim.at(f.at) { [weak self] in
                self?.sim.record(to, .operatorAction, "planned switchover to \(to)")
                (self?.strategy as? OperatorCommands)?.switchover(to: to)
            }
            return to
        case .maintenance:
            sim.at(f.at) { [weak self] in
                self?.sim.record("manager", .operatorAction, "maintenance mode")
                (self?.strategy as? OperatorCommands)?.beginMaintenance()
            }
            if let r = f.recoverAfter {
                sim.at(f.at + r) { [weak self] in
                    self?.sim.record("manager", .faultEnd, "maintenance over (masterha_manager started, mmm_control set_active, downtime ended)")
                    (self?.strategy as? OperatorCommands)?.endMaintenance()
                }
            }
            return "manager"
        case .reattach(let host, let to, let check):
            sim.at(f.at) { [weak self] in self?.reattach(host, to: to, check: check) }
            return "mysqld@\(host)"
        case .skipReplicaError(let host, let events):
            sim.at(f.at) { [weak self] in self?.skipReplicaError(host, left: events) }
            return "mysqld@\(host)"
        case .unlockTables(let host):
            sim.at(f.at) { [weak self] in
                guard let self else { return }
                self.sim.record(host, .operatorAction, "SHOW PROCESSLIST; KILL of the session holding the lock")
                self.typed([.unlockTables], on: host, "KILL: UNLOCK TABLES") { _ in }
            }
            return "mysqld@\(host)"
        case .bootstrap(let host):
            sim.at(f.at) { [weak self] in
                guard let self else { return }
                self.sim.record(host, .operatorAction, "SHOW STATUS LIKE 'wsrep%'; SET GLOBAL wsrep_provider_options='pc.bootstrap=YES'")
                self.typed([.showWsrepStatus, .setWsrepProviderOptions("pc.bootstrap=YES")], on: host, "pc.bootstrap=YES") { _ in }
            }
            return "mysqld@\(host)"
        default:
            return ""
        }
    }

    private func address(_ host: String) -> IPAddress { network.host(named: host)!.address }

    /// Statements one after another, each after the time it takes to type; `next` gets the
    /// results, and is not called when one fails (the DBA stops and records why).
    private func typed(_ queries: [Query], on host: String, _ what: String, then next: @escaping ([QueryResult]) -> Void) {
        guard let dba else { return }
        sim.after(typing * SimTime(queries.count)) { [weak self] in
            dba.executeAll(queries, on: self?.address(host) ?? IPAddress(host)) { [weak self] r in
                guard let self else { return }
                switch r {
                case .success(let results):
                    self.sim.record(host, .operatorAction, what)
                    next(results)
                case .failure(let e):
                    self.sim.record(host, .operatorRefused, "\(what): \(e)")
                }
            }
        }
    }

    /// The re-attach runbook: on both servers SELECT @@GLOBAL.gtid_executed, then
    /// GTID_SUBSET(old, new): an old primary with transactions the new one lacks (errant: its
    /// unreplicated last commits) must not replicate from it, or the new primary's rows with the
    /// same keys stop it with 1062 and what it has alone stays divergent. Without the check the
    /// DBA goes straight to read_only, CHANGE MASTER TO and START SLAVE.
    private func reattach(_ host: String, to: String, check: Bool) {
        sim.record(host, .operatorAction, "re-attach \(host) as a replica of \(to)\(check ? " after the errant-transaction check" : ", unchecked")")
        guard check else { return repoint(host, to: to) }
        typed([.showMasterStatus], on: host, "SELECT @@GLOBAL.gtid_executed") { [weak self] old in
            self?.typed([.showMasterStatus], on: to, "SELECT @@GLOBAL.gtid_executed") { [weak self] new in
                guard let self, case .masterStatus(let oldSet, _, _)? = old.first, case .masterStatus(let newSet, _, _)? = new.first
                else { return }
                let errant = oldSet.union(newSet).count - newSet.count
                guard errant == 0 else {
                    self.sim.record(host, .operatorRefused,
                                    "SELECT GTID_SUBSET(<\(host)>, <\(to)>) = 0: \(errant) errant transactions on \(host); not re-attached")
                    return
                }
                self.sim.record(host, .operatorAction, "SELECT GTID_SUBSET(<\(host)>, <\(to)>) = 1")
                self.repoint(host, to: to)
            }
        }
    }

    /// read_only first, then by GTID auto-position, or by file and position at the new
    /// primary's SHOW MASTER STATUS when the server has gtid_mode=OFF (error 1777).
    private func repoint(_ host: String, to: String) {
        typed([.setReadOnly(true), .stopReplica, .changeSource(address(to)), .startReplica], on: host,
              "SET GLOBAL read_only=ON; CHANGE MASTER TO MASTER_HOST='\(to)', MASTER_AUTO_POSITION=1; START SLAVE") { _ in }
    }

    /// SHOW SLAVE STATUS; when the SQL thread stopped on an error, skip that event and START
    /// SLAVE; then look again, and skip again while it stops on the next one (`left` more times).
    private func skipReplicaError(_ host: String, left: Int) {
        typed([.showReplicaStatus], on: host, "SHOW SLAVE STATUS") { [weak self] r in
            guard let self else { return }
            guard case .replicaStatus(let st?)? = r.first, !st.sqlRunning, let err = st.lastSQLError else {
                self.sim.record(host, .operatorAction, "the SQL thread is running (or stopped without an error): nothing to skip")
                return
            }
            self.typed([.skipReplicaEvent, .startReplica], on: host, "skipped the event that failed with \(err.code); START SLAVE") { [weak self] _ in
                if left > 1 { self?.skipReplicaError(host, left: left - 1) }
            }
        }
    }
}
