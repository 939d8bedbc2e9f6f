import HasimKernel
import HasimNetwork
import HasimDatabase

// MHA 0.58's failover, phases 3.4 to 5 (MasterFailover.pm recover_master, recover_slaves):
// differential relay logs from the latest slave, the dead master's saved binlog, each slave
// applying them, and the re-pointing of the others to the new master.

extension MHARuntime {
    /// One failover's facts, as MasterFailover.pm keeps them in its globals.
    struct Recovery {
        let dead: Member
        /// The alive slaves, in configuration order.
        let slaves: [Slave]
        /// The latest slaves' Read_Master_Log_Pos: a slave that read this much is "latest".
        let latestRead: Int
        /// latest_base_slave: the diffs are generated from its relay log.
        let base: Slave
        let newMaster: Slave
        /// The dead master's binlog tail on the manager ($_has_saved_binlog).
        let saved: [BinlogEvent]
        let byPosition: Bool
    }

    /// scp of a file (a session, then the bytes).
    var scpCost: RemoteCommandCost { var c = sshOnly; c.eventBytes = cost.eventBytes; c.shipBytesPerSecond = cost.shipBytesPerSecond; return c }
    /// apply_diff_relay_logs --command=apply, the files already on the host: check() starts
    /// md5sum, mysql (the privilege test) and mysqlbinlog (the output test), init_mysqlbinlog
    /// mysqlbinlog --version, apply_diff mysql --version, then mysqlbinlog | mysql: 7 programs.
    var applyCost: RemoteCommandCost { var c = nodeTool(helpers: 7); c.shipBytesPerSecond = 0; return c }

    /// recover_relay_logs: a slave that read less than the latest gets, from the latest slave's
    /// relay log, what it lacks (`ssh exit 0` to the latest slave, then apply_diff_relay_logs
    /// --command=generate_and_send there, which scps the diff to it). nil: generation failed.
    func generateDiff(for t: Slave, _ r: Recovery, then next: @escaping ([BinlogEvent]?) -> Void) {
        guard t.read < r.latestRead else { next([]); return }
        let base = r.base
        ssh.run(.version, on: base.member.host, port: Self.sshPort, connectTimeout: sshTimeout, timeout: sshTimeout,
                cost: sshOnly, completion: manager.inThisLife { [weak self] ok in
            guard let self else { return }
            guard case .success = ok else {
                self.record(base.name, .failoverStepFailed, "SSH authentication test failed on \(base.name)")
                next(nil)
                return
            }
            let command: AgentCommand = r.byPosition
                ? .relayLogFrom(t.read)
                : .eventsOnDisk(notIn: t.status.retrieved.union(t.status.executed))
            // generate_and_send: mysqlbinlog over the relay logs, `ssh target mkdir`, then scp to the target.
            self.ssh.run(command, on: base.member.host, port: Self.sshPort, connectTimeout: self.sshTimeout,
                         timeout: self.scriptTimeout, cost: self.nodeTool(helpers: 3, sessions: 1),
                         completion: self.manager.inThisLife { [weak self] g in
                guard let self else { return }
                guard case .success(.events(let e)) = g else {
                    self.log(g, node: base.name, step: "apply_diff_relay_logs --command=generate_and_send for \(t.name)")
                    next(nil)
                    return
                }
                self.record(base.name, .failoverStep, "apply_diff_relay_logs --command=generate_and_send: \(e.count) events for \(t.name)")
                next(e)
            })
        })
    }

    /// recover_slave: send_binlog (scp of the saved binlog from the manager), then wait until
    /// the slave's SQL thread has applied its relay log, stop it, and apply the diffs with
    /// apply_diff_relay_logs --command=apply (mysqlbinlog | mysql). `next(false)`: failed.
    func recoverSlave(_ t: Slave, diff: [BinlogEvent], _ r: Recovery, then next: @escaping (Bool) -> Void) {
        let send: (@escaping () -> Void) -> Void = { [weak self] go in
            guard let self, !r.saved.isEmpty else { go(); return }
            self.ssh.run(.receiveFile(events: r.saved.count), on: t.member.host, port: Self.sshPort, connectTimeout: self.sshTimeout,
                         timeout: self.scriptTimeout, cost: self.scpCost, completion: self.manager.inThisLife { _ in go() })
        }
        send { [weak self] in
            guard let self else { return }
            self.waitUntilRelayLogApplied(t, until: self.d.sim.now + self.relayLogWait) { [weak self] applied in
                guard let self else { return }
                guard applied else { next(false); return }
                self.sql.execute(.stopReplica, on: t.address, completion: self.manager.inThisLife { [weak self] _ in
                    guard let self else { return }
                    let have = Set(diff.map(\.gtid))
                    let events = diff + r.saved.filter { !have.contains($0.gtid) }
                    guard !events.isEmpty else { next(true); return }
                    self.checkSSH(t.member) { [weak self] reachable in
                        guard let self else { return }
                        guard reachable else { self.record(t.name, .failoverStepFailed, "Failed to connect via SSH!"); next(false); return }
                        self.applyDiff(t, events, then: next)
                    }
                })
            }
        }
    }

    /// apply_diff_relay_logs --command=apply over SSH on the slave: mysqlbinlog | mysql.
    func applyDiff(_ t: Slave, _ events: [BinlogEvent], then next: @escaping (Bool) -> Void) {
        ssh.run(.sql(.applyEvents(events)), on: t.member.host, port: Self.sshPort, connectTimeout: sshTimeout,
                timeout: scriptTimeout, cost: applyCost, completion: manager.inThisLife { [weak self] a in
            guard let self else { return }
            if case .success(.result(.ok)) = a {
                self.record(t.name, .failoverStep, "apply_diff_relay_logs --command=apply: \(events.count) events applied. All relay logs were successfully applied.")
                next(true)
            } else {
                self.record(t.name, .failoverStepFailed, "apply_diff_relay_logs --command=apply: \(self.describe(a))")
                next(false)
            }
        })
    }

    /// DBHelper.pm wait_until_relay_log_applied: SHOW SLAVE STATUS until the SQL thread has
    /// applied everything received, checking again after `sleep(1)`; an error if the SQL
    /// thread stopped. MHA waits without a limit; hasim gives up after relay_log_wait.
    func waitUntilRelayLogApplied(_ t: Slave, until: SimTime, then next: @escaping (Bool) -> Void) {
        sql.execute(.showReplicaStatus, on: t.address, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            guard case .success(.replicaStatus(let st?)) = r, st.sqlRunning else {
                self.record(t.name, .failoverStepFailed, "SQL thread is not running! Check slave status.")
                next(false)
                return
            }
            if st.relayLogPending == 0 { next(true); return }
            guard self.d.sim.now < until else {
                self.record(t.name, .failoverStepFailed, "relay log not applied within relay_log_wait (\(st.relayLogPending) events left)")
                next(false)
                return
            }
            self.manager.after(Time.s(1)) { [weak self] in self?.waitUntilRelayLogApplied(t, until: until, then: next) }
        })
    }

    // MARK: Phase 3.4 - 3.5 (recover_master)

    func recoverMaster(_ r: Recovery) {
        guard positionBeforeApply else { return recoverMaster(r, positionBeforeApply: nil) }
        // A runbook that reads the new master's position at promotion, before its diff is applied.
        sql.execute(.showMasterStatus, on: r.newMaster.address, completion: manager.inThisLife { [weak self] s in
            guard let self else { return }
            guard case .success(.masterStatus(_, _, let position)) = s else {
                self.record(r.newMaster.name, .failoverStepFailed, "Recovering master server failed: SHOW MASTER STATUS")
                return
            }
            self.record(r.newMaster.name, .failoverStep, "new master's binlog position read before the diff is applied: \(position)")
            self.recoverMaster(r, positionBeforeApply: position)
        })
    }

    func recoverMaster(_ r: Recovery, positionBeforeApply early: Int?) {
        let m = r.newMaster
        record(m.name, .failoverStep, "Phase 3.4: New Master Diff Log Generation")
        generateDiff(for: m, r) { [weak self] diff in
            guard let self else { return }
            guard let diff else { self.record(m.name, .failoverStepFailed, "Recovering master server failed."); return }
            self.record(m.name, .failoverStep, "Phase 3.5: Master Log Apply")
            self.recoverSlave(m, diff: diff, r) { [weak self] ok in
                guard let self else { return }
                guard ok else { self.record(m.name, .failoverStepFailed, "Recovering master server failed."); return }
                if let early {
                    self.openFrontDoor(on: m.member) { [weak self] in self?.disableReadOnly(r, position: early) }
                    return
                }
                // get_new_master_binlog_position: where the other slaves will start.
                self.sql.execute(.showMasterStatus, on: m.address, completion: self.manager.inThisLife { [weak self] s in
                    guard let self else { return }
                    guard case .success(.masterStatus(_, _, let position)) = s else {
                        self.record(m.name, .failoverStepFailed, "Recovering master server failed: SHOW MASTER STATUS")
                        return
                    }
                    self.openFrontDoor(on: m.member) { [weak self] in
                        self?.disableReadOnly(r, position: position)
                    }
                })
            }
        }
    }

    /// disable_read_only, then Phase 4.
    func disableReadOnly(_ r: Recovery, position: Int) {
        let m = r.newMaster
        sql.execute(.setReadOnly(false), on: m.address, timeout: Time.s(60), completion: manager.inThisLife { [weak self] s in
            guard let self else { return }
            switch s {
            case .success: self.record(m.name, .failoverStep, "read_only=0. Finished master recovery successfully. Phase 4: Slaves Recovery")
            case .failure(let e): self.record(m.name, .failoverStepFailed, "disable_read_only: \(e)")
            }
            self.recoverSlaves(r, position: position)
        })
    }

    // MARK: Phase 4 - 5 (recover_slaves)

    /// Phase 4 by file and position: 4.1 generates every other slave's diff in parallel and
    /// waits for all; 4.2 recovers them in parallel and points each at the new master's
    /// binlog position (CHANGE MASTER TO MASTER_LOG_FILE/POS). By GTID: each slave is
    /// pointed at the new master with MASTER_AUTO_POSITION=1 and fetches what it lacks.
    func recoverSlaves(_ r: Recovery, position: Int) {
        let others = r.slaves.filter { $0.name != r.newMaster.name }
        guard !others.isEmpty else { cleanup(r, failed: []); return }
        guard r.byPosition else {
            var pending = others.count
            var failed: [String] = []
            for s in others {
                changeMaster(s.member, to: r.newMaster.member, .changeSource(r.newMaster.member.address)) { [weak self] ok in
                    if !ok { failed.append(s.name) }
                    pending -= 1
                    if pending == 0 { self?.cleanup(r, failed: failed) }
                }
            }
            return
        }
        var diffs: [String: [BinlogEvent]] = [:]
        var pending = others.count
        for s in others {
            generateDiff(for: s, r) { [weak self] diff in
                if let diff { diffs[s.name] = diff }
                pending -= 1
                guard let self, pending == 0 else { return }
                self.applySlaves(others, diffs: diffs, r, position: position)
            }
        }
    }

    /// Phase 4.2: a slave whose diff generation failed is skipped (not re-pointed).
    func applySlaves(_ others: [Slave], diffs: [String: [BinlogEvent]], _ r: Recovery, position: Int) {
        var pending = others.count
        var failed: [String] = []
        let done = { [weak self] (s: Slave, ok: Bool) in
            if !ok { failed.append(s.name) }
            pending -= 1
            if pending == 0 { self?.cleanup(r, failed: failed) }
        }
        for s in others {
            guard let diff = diffs[s.name] else {
                record(s.name, .failoverStepFailed, "Skipping recovering slave \(s.name) because diff log generation failed.")
                done(s, false)
                continue
            }
            recoverSlave(s, diff: diff, r) { [weak self] ok in
                guard let self, ok else { done(s, false); return }
                self.changeMaster(s.member, to: r.newMaster.member,
                                  .changeSourceToPosition(r.newMaster.member.address, position: position)) { done(s, $0) }
            }
        }
    }

    /// change_master_and_start_slave: STOP SLAVE, RESET SLAVE, CHANGE MASTER TO, START SLAVE.
    func changeMaster(_ s: Member, to m: Member, _ change: Query, then next: @escaping (Bool) -> Void) {
        sql.executeAll([.stopReplica, change, .startReplica], on: s.address, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            switch r {
            case .success:
                let how: String
                if case .changeSourceToPosition(_, let p) = change { how = "MASTER_LOG_POS=\(p)" } else { how = "MASTER_AUTO_POSITION=1" }
                self.record(s.name, .failoverStep, "CHANGE MASTER TO \(m.name), \(how); START SLAVE")
                next(true)
            case .failure(let e):
                self.record(s.name, .failoverStepFailed, "slave recovery: \(e)")
                next(false)
            }
        })
    }

    /// Phase 5: RESET SLAVE ALL on the new master (reset_slave_on_new_master).
    func cleanup(_ r: Recovery, failed: [String]) {
        let m = r.newMaster
        record(m.name, .failoverStep, "Phase 5: New master cleanup")
        sql.executeAll([.stopReplica, .resetReplicaAll], on: m.address, completion: manager.inThisLife { [weak self] _ in
            guard let self else { return }
            if failed.isEmpty {
                self.record(m.name, .failoverStep, "Master failover to \(m.name) completed successfully.")
            } else {
                self.record(m.name, .failoverStepFailed, "Master failover to \(m.name) done, but recovery on \(failed.joined(separator: ", ")) failed.")
            }
            self.finish(m.member)
        })
    }

    /// master_ip_failover --command=start (Perl on the manager, ssh to the new master):
    /// the VIP on the new master, or the DNS record.
    func openFrontDoor(on newMaster: Member, then next: @escaping () -> Void) {
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
                    next()
                })
            }
        case .dns(let name):
            record(newMaster.name, .failoverStep, "master_ip_failover: DNS API \(name) -> \(newMaster.address)")
            d.network.dns?.update(name, to: newMaster.address, by: "mha") { [weak self] _ in
                guard let self else { return }
                self.record(newMaster.name, .failoverComplete, "\(name) answers \(newMaster.address)")
            }
            next()
        case .none:
            record(newMaster.name, .failoverComplete, "new master \(newMaster.name); the application's address is not managed")
            next()
        }
    }

    func finish(_ newMaster: Member) {
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
}
