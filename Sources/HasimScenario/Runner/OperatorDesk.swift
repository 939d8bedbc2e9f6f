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
/// A DBA's note of the File and Position a server's SHOW MASTER STATUS printed.
final class NotedCoordinates {
    var position: Int?
}

final class OperatorDesk {
    let sim: Simulation
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
        case .reattach(let host, let to, let check, let coordinatesAt):
            // File and position read earlier: the DBA's note of SHOW MASTER STATUS on `to`.
            let noted = NotedCoordinates()
            if let read = coordinatesAt {
                sim.at(read) { [weak self] in
                    self?.typed([.showMasterStatus], on: to, "SHOW MASTER STATUS (File, Position noted for later)") { r in
                        if case .masterStatus(_, _, let position)? = r.first { noted.position = position }
                    }
                }
            }
            sim.at(f.at) { [weak self] in self?.reattach(host, to: to, check: check, noted: coordinatesAt == nil ? nil : noted) }
            return "mysqld@\(host)"
        case .reapplyBinlog(let from, let to):
            sim.at(f.at) { [weak self] in self?.reapplyBinlog(from: from, to: to) }
            return "mysqld@\(to)"
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
        case .galeraNewCluster(let host, let force):
            guard let shell = strategy as? OperatorShell else { return "" }
            shell.openShell()
            sim.at(f.at) { [weak self] in self?.galeraNewCluster(shell, host: host, force: force) }
            return "mysqld@\(host ?? "most_advanced")"
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
    /// results, and is not called when one fails (the DBA stops and records why, then does
    /// `failed` if the runbook says what to do about that error).
    private func typed(_ queries: [Query], on host: String, _ what: String, failed: ((MySQLError) -> Void)? = nil,
                       then next: @escaping ([QueryResult]) -> Void) {
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
                    failed?(e)
                }
            }
        }
    }

    /// The re-attach runbook: on both servers SELECT @@GLOBAL.gtid_executed, then
    /// GTID_SUBSET(old, new): an old primary with transactions the new one lacks (errant: its
    /// unreplicated last commits) must not replicate from it, or the new primary's rows with the
    /// same keys stop it with 1062 and what it has alone stays divergent. Without the check the
    /// DBA goes straight to read_only, CHANGE MASTER TO and START SLAVE.
    private func reattach(_ host: String, to: String, check: Bool, noted: NotedCoordinates?) {
        sim.record(host, .operatorAction, "re-attach \(host) as a replica of \(to)\(check ? " after the errant-transaction check" : ", unchecked")")
        guard check else { return repoint(host, to: to, noted: noted) }
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
                self.repoint(host, to: to, noted: noted)
            }
        }
    }

    /// read_only first, then by GTID auto-position, or by file and position: at the coordinates
    /// the DBA noted earlier, or, when the server answers 1777 (gtid_mode=OFF), at the new
    /// primary's SHOW MASTER STATUS read now. Whatever the new primary logged between those
    /// coordinates and the events the old one already has is what the old one will miss or repeat.
    private func repoint(_ host: String, to: String, noted: NotedCoordinates?) {
        if let noted {
            guard let position = noted.position else {
                sim.record(host, .operatorRefused, "no SHOW MASTER STATUS of \(to) was noted: not re-attached")
                return
            }
            return repoint(host, to: to, position: position)
        }
        typed([.setReadOnly(true), .stopReplica, .changeSource(address(to)), .startReplica], on: host,
              "SET GLOBAL read_only=ON; CHANGE MASTER TO MASTER_HOST='\(to)', MASTER_AUTO_POSITION=1; START SLAVE",
              failed: { [weak self] e in
                  guard let self, e.code == MySQLError.autoPositionNeedsGTIDs.code else { return }
                  self.typed([.showMasterStatus], on: to, "SHOW MASTER STATUS (gtid_mode=OFF: File, Position)") { [weak self] r in
                      if case .masterStatus(_, _, let position)? = r.first { self?.repoint(host, to: to, position: position) }
                  }
              }) { _ in }
    }

    private func repoint(_ host: String, to: String, position: Int) {
        typed([.setReadOnly(true), .stopReplica, .changeSourceToPosition(address(to), position: position), .startReplica], on: host,
              "SET GLOBAL read_only=ON; CHANGE MASTER TO MASTER_HOST='\(to)', MASTER_LOG_POS=\(position); START SLAVE") { _ in }
    }

    /// mysqlbinlog | mysql: the new primary's gtid_executed, then the old primary's binary log
    /// without those GTIDs (its mysqld must answer), then replayed on the new primary, which
    /// applies them in order until the first error; the error stops the pipe there.
    private func reapplyBinlog(from: String, to: String) {
        sim.record(to, .operatorAction, "re-apply \(from)'s binary log to \(to) (mysqlbinlog | mysql)")
        typed([.showMasterStatus], on: to, "SELECT @@GLOBAL.gtid_executed") { [weak self] r in
            guard let self, case .masterStatus(let executed, _, _)? = r.first else { return }
            self.typed([.readBinlog(excluding: executed)], on: from, "mysqlbinlog --read-from-remote-server --exclude-gtids=<\(to)'s gtid_executed>") { [weak self] r in
                guard let self, case .events(let events)? = r.first else { return }
                guard !events.isEmpty else {
                    self.sim.record(from, .operatorAction, "nothing in \(from)'s binary log that \(to) lacks")
                    return
                }
                self.typed([.applyEvents(events)], on: to, "mysql < \(events.count) transactions from \(from)") { _ in }
            }
        }
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
