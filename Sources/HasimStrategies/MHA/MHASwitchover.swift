import HasimKernel
import HasimNetwork
import HasimDatabase

// masterha_master_switch --master_state=alive --new_master_host=X --orig_master_is_new_slave
// --interactive=0 (mha4mysql-manager 0.58 lib/MHA/MasterRotate.pm), and masterha_stop /
// masterha_manager for maintenance. The switch runs on the manager's host, as the operator
// starts it there, and learns and acts only by SQL and SSH.

extension MHARuntime: OperatorCommands {
    /// MasterRotate.pm refuses to run while masterha_manager monitors the same configuration
    /// ("MHA Manager is running on ... Stop it first"): the operator runs masterha_stop, then the
    /// switch, then starts masterha_manager again, which finds the new master from the slaves.
    func switchover(to target: String) {
        stopMonitoring("masterha_stop before masterha_master_switch")
        let orig = master
        guard let new = configured.first(where: { $0.name == target }), new.name != orig.name else {
            record("mha", .failoverStepFailed, "masterha_master_switch: \(target) is not a slave of \(orig.name)")
            return
        }
        // The Perl program starts and reads its configuration, then connect_all_and_read_server_status.
        manager.after(cost.startup) { [weak self] in
            guard let self else { return }
            self.record(orig.name, .failoverStart, "masterha_master_switch --master_state=alive --new_master_host=\(new.name) --orig_master_is_new_slave")
            self.readSlaves(self.configured.filter { $0.name != orig.name }, orig: orig, new: new, found: [])
        }
    }

    /// check_settings: every slave must replicate from the current master with both threads
    /// running ("Slave IO/SQL thread is not running" stops the switch).
    private func readSlaves(_ rest: [Member], orig: Member, new: Member, found: [Slave]) {
        guard let s = rest.first else {
            guard found.contains(where: { $0.name == new.name }) else {
                record("mha", .failoverStepFailed, "masterha_master_switch: \(new.name) is not a running slave of \(orig.name). Stop switching.")
                return
            }
            rejectUpdate(orig: orig, new: new, slaves: found)
            return
        }
        sql.execute(.showReplicaStatus, on: s.address, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            guard case .success(.replicaStatus(let st?)) = r, st.source == orig.address else {
                self.readSlaves(Array(rest.dropFirst()), orig: orig, new: new, found: found)
                return
            }
            guard st.ioRunning == "Yes", st.sqlRunning else {
                self.record(s.name, .failoverStepFailed, "Slave IO or SQL thread is not running on \(s.name). Stop switching.")
                return
            }
            self.readSlaves(Array(rest.dropFirst()), orig: orig, new: new,
                            found: found + [Slave(s, st, deadServerID: orig.serverID)])
        })
    }

    /// reject_update: master_ip_online_change --command=stop (a Perl script: read_only=1 on the
    /// original master, its application sessions killed, the VIP dropped over SSH), then MHA's own
    /// FLUSH NO_WRITE_TO_BINLOG TABLES and FLUSH TABLES WITH READ LOCK on it.
    private func rejectUpdate(orig: Member, new: Member, slaves: [Slave]) {
        manager.after(cost.startup) { [weak self] in
            guard let self else { return }
            self.sql.executeAll([.setReadOnly(true), .killClientSessions], on: orig.address, completion: self.manager.inThisLife { [weak self] r in
                guard let self else { return }
                guard case .success = r else {
                    self.record(orig.name, .failoverStepFailed, "master_ip_online_change --command=stop: \(r)")
                    return
                }
                self.record(orig.name, .failoverStep, "master_ip_online_change --command=stop: read_only=1, application threads killed")
                self.dropVIP(on: orig) { [weak self] in
                    guard let self else { return }
                    self.sql.execute(.flushTablesWithReadLock, on: orig.address, completion: self.manager.inThisLife { [weak self] _ in
                        guard let self else { return }
                        self.record(orig.name, .failoverStep, "Locking all tables on the orig master to reject updates from everybody (including root): FLUSH TABLES WITH READ LOCK")
                        self.sql.execute(.showMasterStatus, on: orig.address, completion: self.manager.inThisLife { [weak self] m in
                            guard let self else { return }
                            guard case .success(.masterStatus(let executed, _, let position)) = m else {
                                self.record(orig.name, .failoverStepFailed, "SHOW MASTER STATUS on the orig master failed")
                                return
                            }
                            self.waitUntilCaughtUp(new, executed: executed, position: position) { [weak self] in
                                self?.promoteNewMaster(orig: orig, new: new, slaves: slaves, executed: executed, position: position)
                            }
                        })
                    })
                }
            })
        }
    }

    /// master_ip_online_change --command=stopssh's `ip addr del` of the VIP on the orig master.
    private func dropVIP(on orig: Member, then next: @escaping () -> Void) {
        guard case .vip(let vip) = door else { next(); return }
        ssh.run(.deleteVIP(vip), on: orig.host, port: Self.sshPort, connectTimeout: sshTimeout, timeout: scriptTimeout,
                cost: sshOnly, completion: manager.inThisLife { [weak self] r in
            self?.log(r, node: orig.name, step: "master_ip_online_change: ip addr del \(vip)")
            next()
        })
    }

    /// wait_until_slave_catches_up: MASTER_POS_WAIT on the slave for the orig master's binlog
    /// position, here SHOW SLAVE STATUS every 50 ms until it has executed what the orig master
    /// had when it was locked (by GTID, or Exec_Master_Log_Pos by file and position).
    private func waitUntilCaughtUp(_ s: Member, executed: GTIDSet, position: Int, then next: @escaping () -> Void) {
        sql.execute(.showReplicaStatus, on: s.address, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            guard case .success(.replicaStatus(let st?)) = r, st.sqlRunning else {
                self.record(s.name, .failoverStepFailed, "Slave \(s.name) SQL thread is not running while waiting to catch up. Stop switching.")
                return
            }
            let caughtUp = st.execMasterLogPos.map { $0 >= position } ?? executed.isSubset(of: st.executed)
            if caughtUp { next(); return }
            self.manager.after(Time.ms(50)) { [weak self] in self?.waitUntilCaughtUp(s, executed: executed, position: position, then: next) }
        })
    }

    /// switch_master: the new master's SHOW MASTER STATUS, master_ip_online_change
    /// --command=start (read_only=0 and the VIP or DNS record on the new master).
    private func promoteNewMaster(orig: Member, new: Member, slaves: [Slave], executed: GTIDSet, position: Int) {
        record(new.name, .failoverStep, "All slaves received and applied the orig master's binlog; switching to \(new.name)")
        sql.execute(.showMasterStatus, on: new.address, completion: manager.inThisLife { [weak self] m in
            guard let self else { return }
            guard case .success(.masterStatus(_, _, let newPosition)) = m else {
                self.record(new.name, .failoverStepFailed, "SHOW MASTER STATUS on the new master failed")
                return
            }
            self.manager.after(self.cost.startup) { [weak self] in
                guard let self else { return }
                self.sql.execute(.setReadOnly(false), on: new.address, completion: self.manager.inThisLife { [weak self] _ in
                    guard let self else { return }
                    self.record(new.name, .failoverStep, "master_ip_online_change --command=start: read_only=0 on \(new.name)")
                    self.openFrontDoor(on: new) { [weak self] in
                        self?.switchSlaves(orig: orig, new: new, slaves: slaves, executed: executed, position: position, newPosition: newPosition)
                    }
                })
            }
        })
    }

    /// switch_slaves: every other slave waits until it has the orig master's last event, then is
    /// re-pointed; the orig master becomes a slave (CHANGE MASTER TO, UNLOCK TABLES, START SLAVE);
    /// RESET SLAVE ALL on the new master.
    private func switchSlaves(orig: Member, new: Member, slaves: [Slave], executed: GTIDSet, position: Int, newPosition: Int) {
        let byPos = byPosition(slaves)
        let change: Query = byPos ? .changeSourceToPosition(new.address, position: newPosition) : .changeSource(new.address)
        let others = slaves.filter { $0.name != new.name }.map(\.member)
        var pending = others.count + 1
        let joined = { [weak self] in
            pending -= 1
            guard let self, pending == 0 else { return }
            self.sql.executeAll([.stopReplica, .resetReplicaAll], on: new.address, completion: self.manager.inThisLife { [weak self] _ in
                guard let self else { return }
                self.record(new.name, .failoverStep, "Switching master to \(new.name) completed successfully.")
                self.configured.removeAll { $0.name == orig.name }
                self.configured.append(orig)
                self.manager.masterName = new.name
                // The operator starts masterha_manager again; it reads the slaves' source.
                self.restartMonitoring()
            })
        }
        for s in others {
            waitUntilCaughtUp(s, executed: executed, position: position) { [weak self] in
                self?.changeMaster(s, to: new, change) { _ in joined() }
            }
        }
        sql.executeAll([.stopReplica, change, .unlockTables, .startReplica], on: orig.address, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            if case .failure(let e) = r {
                self.record(orig.name, .failoverStepFailed, "orig master as a new slave: \(e)")
            } else {
                self.record(orig.name, .failoverStep, "Orig master \(orig.name) is a slave of \(new.name): CHANGE MASTER TO; UNLOCK TABLES; START SLAVE")
            }
            joined()
        })
    }

    // MARK: maintenance

    /// masterha_stop: the manager exits; nothing watches the master until it is started again.
    func beginMaintenance() { stopMonitoring("masterha_stop: MHA Manager stopped (maintenance)") }

    /// masterha_manager started again by the operator: it finds the master from the slaves.
    func endMaintenance() {
        guard manager.isAlive else { return }
        restartMonitoring()
    }

    private func stopMonitoring(_ why: String) {
        guard manager.monitoring else { return }
        manager.monitoring = false
        manager.checkGeneration += 1
        record("mha", .failoverStep, why)
    }
}
