import HasimKernel
import HasimNetwork
import HasimDatabase

// The manual runbook's planned switchover (seed 000's order: read-only, kill sessions, revoke
// the VIP, then promote and assign the VIP), typed by the DBA at the terminal one statement at
// a time, and the monitoring system's scheduled downtime as its maintenance mode.

extension ManualFailoverRuntime: OperatorCommands {
    /// One hand-typed statement: promote_time is the DBA's time for three of them
    /// (STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF).
    var typing: SimTime { promoteTime / 3 }

    func switchover(to name: String) {
        let old = oldPrimary
        guard let new = d.database(named: name), new != old else {
            d.sim.record("dba", .failoverStepFailed, "switchover: \(name) is not a replica of \(old.name)")
            return
        }
        target = new
        d.sim.record(old.name, .failoverStart, "DBA switches over from \(old.name) to \(new.name)")
        typed([.setReadOnly(true), .killClientSessions], on: old, "SET GLOBAL read_only=ON; KILL of the application's sessions") { [weak self] in
            guard let self else { return }
            let next: () -> Void = { [weak self] in
                self?.typed([.showMasterStatus], on: old, "SHOW MASTER STATUS") { [weak self] in
                    self?.readPosition(old, new)
                }
            }
            guard case .vip(let vip) = self.door else { return next() }
            self.d.sim.after(self.typing) { [weak self] in self?.removeVIP(vip, then: next) }
        }
    }

    /// Runs statements one after another, each after the time it takes to type.
    private func typed(_ queries: [Query], on s: DatabaseHandle, _ what: String, then next: @escaping () -> Void) {
        d.sim.after(typing * SimTime(queries.count)) { [weak self] in
            guard let self else { return }
            self.dba.executeAll(queries, on: s.host.address) { [weak self] r in
                guard let self else { return }
                if case .failure(let e) = r {
                    self.d.sim.record(s.name, .failoverStepFailed, "\(what): \(e); switchover abandoned")
                    return
                }
                self.d.sim.record(s.name, .failoverStep, what)
                next()
            }
        }
    }

    private func readPosition(_ old: DatabaseHandle, _ new: DatabaseHandle) {
        dba.execute(.showMasterStatus, on: old.host.address) { [weak self] r in
            guard let self else { return }
            guard case .success(.masterStatus(let executed, _, let position)) = r else {
                self.d.sim.record(old.name, .failoverStepFailed, "SHOW MASTER STATUS: \(r); switchover abandoned")
                return
            }
            self.waitForCatchUp(old, new, executed: executed, position: position)
        }
    }

    /// The DBA re-runs SHOW SLAVE STATUS on the target (every second, as when failing over)
    /// until it has executed everything the read-only old primary has.
    private func waitForCatchUp(_ old: DatabaseHandle, _ new: DatabaseHandle, executed: GTIDSet, position: Int) {
        dba.execute(.showReplicaStatus, on: new.host.address) { [weak self] r in
            guard let self else { return }
            guard case .success(.replicaStatus(let st?)) = r, st.sqlRunning else {
                self.d.sim.record(new.name, .failoverStepFailed, "SHOW SLAVE STATUS: the SQL thread is not running; switchover abandoned")
                return
            }
            let caughtUp = st.execMasterLogPos.map { $0 >= position } ?? executed.isSubset(of: st.executed)
            guard caughtUp else {
                self.d.sim.after(Time.s(1)) { [weak self] in self?.waitForCatchUp(old, new, executed: executed, position: position) }
                return
            }
            self.d.sim.record(new.name, .failoverStep, "\(new.name) has executed everything \(old.name) has; promoting")
            // How the target replicates (Auto_Position / Using_Gtid) is how the old primary will.
            let byPosition = !st.autoPosition
            self.d.sim.after(self.promoteTime) { [weak self] in self?.promoteForSwitchover(old, new, byPosition: byPosition) }
        }
    }

    /// The failover runbook's promotion, then the old primary follows the new one
    /// (CHANGE MASTER TO ...; START SLAVE), and the monitoring watches the new primary.
    private func promoteForSwitchover(_ old: DatabaseHandle, _ new: DatabaseHandle, byPosition: Bool) {
        dba.executeAll([.stopReplica, .resetReplicaAll, .setReadOnly(false)], on: new.host.address) { [weak self] r in
            guard let self else { return }
            if case .failure(let e) = r {
                self.d.sim.record(new.name, .failoverStepFailed, "promotion: \(e); switchover abandoned")
                return
            }
            self.d.sim.record(new.name, .failoverStep, "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF")
            self.repointOtherReplicas()
            self.pointApplicationAtTarget()
            self.dba.execute(.showMasterStatus, on: new.host.address) { [weak self] m in
                guard let self else { return }
                guard case .success(.masterStatus(_, _, let position)) = m else {
                    self.d.sim.record(new.name, .failoverStepFailed, "SHOW MASTER STATUS: \(m); \(old.name) left without a source")
                    return
                }
                let change: Query = byPosition ? .changeSourceToPosition(new.host.address, position: position) : .changeSource(new.host.address)
                self.typed([change, .startReplica], on: old, "CHANGE MASTER TO \(new.name); START SLAVE on \(old.name)") { [weak self] in
                    guard let self else { return }
                    self.oldPrimary = new
                    self.target = old
                    self.d.sim.record(new.name, .failoverStep, "switchover done: \(new.name) is the primary, \(old.name) its replica")
                }
            }
        }
    }

    // MARK: maintenance

    /// A scheduled downtime in the monitoring system: no check runs, nobody is paged.
    func beginMaintenance() {
        inDowntime = true
        d.sim.record("monitoring", .failoverStep, "scheduled downtime of \(oldPrimary.name): checks stopped")
    }

    func endMaintenance() {
        guard inDowntime else { return }
        inDowntime = false
        checkLoop += 1
        let loop = checkLoop
        d.sim.record("monitoring", .failoverStep, "scheduled downtime over: checks resume")
        check(loop: loop)
    }
}
