import HasimKernel
import HasimNetwork
import HasimDatabase

// MHA 0.58's failover, phases 1 to 3.3 (MasterFailover.pm do_master_failover): what the
// manager learns by SQL and SSH, in the order and at the cost the real one pays.

extension MHARuntime {
    /// A slave of the dead master as its SHOW SLAVE STATUS showed it.
    struct Slave {
        let member: Member
        let status: ReplicaStatus
        /// Read_Master_Log_Pos and Exec_Master_Log_Pos in events of the dead master's binlog:
        /// the file/position columns, or with GTID replication the dead master's highest
        /// transaction in the slave's retrieved and executed sets.
        let read: Int
        let exec: Int
        var name: String { member.name }
        var address: IPAddress { member.address }

        init(_ member: Member, _ status: ReplicaStatus, deadServerID: UInt32) {
            self.member = member
            self.status = status
            if let r = status.readMasterLogPos, let e = status.execMasterLogPos {
                read = r
                exec = e
            } else {
                read = Int(status.retrieved.union(status.executed).highest(of: deadServerID))
                exec = Int(status.executed.highest(of: deadServerID))
            }
        }
    }

    /// MHA 0.58 fails over by GTID only when every slave uses MySQL's auto-position; on
    /// MariaDB or with gtid_mode=OFF it works with files and positions
    /// (ServerManager.pm is_gtid_auto_pos_enabled, change_master_and_start_slave).
    func byPosition(_ slaves: [Slave]) -> Bool { slaves.allSatisfy { $0.status.readMasterLogPos != nil } }

    /// MasterMonitor.pm re-reads its configuration (MHA::Config, Perl) before it hands over
    /// to MasterFailover; then Phase 1, configuration check: the manager starts the node tools
    /// locally (check_node_version) and reads every configured server's SHOW SLAVE STATUS one
    /// after another (connect_all_and_read_server_status); the master's slaves are those
    /// whose Master_Host is the dead master.
    func failover() {
        if let last = manager.lastFailover, d.sim.now - last < lastFailoverWindow {
            record("mha", .failoverStepFailed, "last failover was done at \(Time.format(last)); not failing over within last_failover_minute")
            return
        }
        let dead = master
        manager.sshChecked = []
        manager.after(cost.startup) { [weak self] in
            guard let self else { return }
            self.record(dead.name, .failoverStart, "MHA: master \(dead.name) is dead; Phase 1: Configuration Check")
            self.manager.after(self.cost.startup) { [weak self] in
                guard let self else { return }
                self.readServerStatus(self.configured.filter { $0.name != dead.name }, dead: dead, slaves: [], unreachable: [])
            }
        }
    }

    func readServerStatus(_ rest: [Member], dead: Member, slaves: [Slave], unreachable: [String]) {
        guard let s = rest.first else {
            // ServerManager.pm validate_num_alive_servers: a server of the configuration that
            // the manager cannot reach (and that is not the dead master) stops the failover:
            // "Server X is dead, but must be alive! Check server settings."
            guard unreachable.isEmpty else {
                record("mha", .failoverStepFailed,
                       "Server \(unreachable.joined(separator: ", ")) is dead, but must be alive! Check server settings. Stop failover.")
                return
            }
            record("mha", .failoverStep, "Phase 1: alive slaves of \(dead.name): \(slaves.map(\.name).joined(separator: ", "))")
            guard !slaves.isEmpty else { record("mha", .failoverStepFailed, "no alive slave"); return }
            doubleCheck(dead, slaves)
            return
        }
        sql.execute(.showReplicaStatus, on: s.address, connectTimeout: sshTimeout, timeout: sshTimeout,
                    completion: manager.inThisLife { [weak self] r in
            var slaves = slaves, unreachable = unreachable
            switch r {
            case .success(.replicaStatus(let st?)) where st.source == dead.address:
                slaves.append(Slave(s, st, deadServerID: dead.serverID))
            case .success: break
            case .failure: unreachable.append(s.name)
            }
            self?.readServerStatus(Array(rest.dropFirst()), dead: dead, slaves: slaves, unreachable: unreachable)
        })
    }

    /// check_settings' double check (DBHelper.pm check_connection_fast_util): one connect
    /// to the dead master with mysql_connect_timeout=1; if it answers, the failover stops.
    func doubleCheck(_ dead: Member, _ slaves: [Slave]) {
        // "not double check when ping_type is insert": a master that accepts connections but
        // cannot commit would look alive to it.
        guard !pingInsert else { deadMasterShutdown(dead, slaves); return }
        sql.execute(.ping, on: dead.address, connectTimeout: Time.s(1), timeout: Time.s(1),
                    completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success(.ok) = r {
                self.record("mha", .failoverStepFailed, "The master \(dead.name) is reachable via MySQL! Stop failover.")
                return
            }
            self.deadMasterShutdown(dead, slaves)
        })
    }

    // MARK: Phase 2 (force_shutdown)

    /// Phase 2, dead master shutdown: every slave's IO thread is stopped (in parallel) while
    /// master_ip_failover --command=stopssh|stop and the shutdown_script run; the monitor's
    /// SSH check of the dead master (`$_real_ssh_reachable`) picks the command, and a
    /// shutdown_script that powers the host off makes it unreachable for Phase 3.
    func deadMasterShutdown(_ dead: Member, _ slaves: [Slave]) {
        let reachable = sshReachable
        record(dead.name, reachable ? .failoverStep : .failoverStepFailed,
               reachable ? "Phase 2: Dead Master Shutdown; the dead master's host answers SSH"
                         : "Phase 2: Dead Master Shutdown; the dead master's host did not answer SSH; its binlog cannot be saved")
        var pending = slaves.count + 1
        var ioStopFailed: [String] = []
        var reachableAfter = reachable
        let joined = { [weak self] in
            pending -= 1
            guard let self, pending == 0 else { return }
            guard ioStopFailed.isEmpty else {
                self.record("mha", .failoverStepFailed, "Stopping IO thread failed on \(ioStopFailed.joined(separator: ", "))! Check slave status!")
                return
            }
            self.record("mha", .failoverStep, "Phase 3: Master Recovery Phase; 3.1: Getting Latest Slaves")
            self.readLatestStatus(slaves.map(\.member), dead: dead, read: [], sshReachable: reachableAfter)
        }
        for s in slaves {
            sql.execute(.stopReplicaIOThread, on: s.address, completion: manager.inThisLife { r in
                if case .failure = r { ioStopFailed.append(s.name) }
                joined()
            })
        }
        deactivateMasterIP(dead, reachable: reachable) { [weak self] in
            guard let self else { return }
            self.shutdownScript(dead, reachable: reachable) { stillReachable in
                reachableAfter = stillReachable
                joined()
            }
        }
    }

    /// master_ip_failover --command=stopssh (a Perl script on the manager that ssh'es to drop
    /// the VIP) or --command=stop.
    func deactivateMasterIP(_ dead: Member, reachable: Bool, then next: @escaping () -> Void) {
        manager.after(cost.startup) { [weak self] in
            guard let self else { return }
            guard case .vip(let vip) = self.door, reachable else { next(); return }
            self.ssh.run(.deleteVIP(vip), on: dead.host, port: Self.sshPort, connectTimeout: self.sshTimeout,
                         timeout: self.scriptTimeout, cost: self.sshOnly, completion: self.manager.inThisLife { [weak self] r in
                self?.log(r, node: dead.name, step: "master_ip_failover --command=stopssh (ip addr del \(vip))")
                next()
            })
        }
    }

    /// shutdown_script (samples/scripts/power_manager): --command=stopssh kills mysqld and
    /// mysqld_safe over SSH (exit 10: "SSH reachable. Shutting down mysqld done."), and if
    /// SSH fails, or with --command=stop, powers the host off through its BMC (exit 0: "Power
    /// off done.", and MHA then treats SSH as unreachable). `next` gets `$_real_ssh_reachable`.
    func shutdownScript(_ dead: Member, reachable: Bool, then next: @escaping (Bool) -> Void) {
        guard powerManager else { next(reachable); return }
        manager.after(cost.startup) { [weak self] in
            guard let self else { return }
            guard reachable else { self.powerOff(dead, then: next); return }
            self.ssh.run(.killMySQLD, on: dead.host, port: Self.sshPort, connectTimeout: self.sshTimeout,
                         timeout: self.scriptTimeout, cost: self.sshOnly, completion: self.manager.inThisLife { [weak self] r in
                guard let self else { return }
                if case .success(.done) = r {
                    self.record(dead.name, .failoverStep, "shutdown_script --command=stopssh: SSH reachable. Shutting down mysqld done.")
                    next(true)
                } else {
                    self.powerOff(dead, then: next)
                }
            })
        }
    }

    /// power_manager's stop: `ipmitool ... power off` to the host's BMC, on its own management
    /// network (not modelled: the BMC always answers), then polls until the power is off.
    func powerOff(_ dead: Member, then next: @escaping (Bool) -> Void) {
        manager.after(powerOffTime) { [weak self] in
            guard let self else { return }
            self.d.network.crashHost(dead.host)
            self.record(dead.name, .failoverStep, "shutdown_script --command=stop: Power off done.")
            next(false)
        }
    }

    // MARK: Phase 3.1 - 3.3

    /// 3.1 (check_set_latest_slaves): SHOW SLAVE STATUS of every alive slave again, now that
    /// their IO threads are stopped; a slave that does not answer stops the failover.
    func readLatestStatus(_ rest: [Member], dead: Member, read: [Slave], sshReachable: Bool) {
        guard let s = rest.first else {
            saveMasterBinlog(dead, read, sshReachable: sshReachable)
            return
        }
        sql.execute(.showReplicaStatus, on: s.address, completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            guard case .success(.replicaStatus(let st?)) = r else {
                self.record(s.name, .failoverStepFailed, "Checking slave status failed. Stop failover.")
                return
            }
            self.readLatestStatus(Array(rest.dropFirst()), dead: dead, read: read + [Slave(s, st, deadServerID: dead.serverID)],
                                  sshReachable: sshReachable)
        })
    }

    /// The slaves that received the most (identify_latest_slaves: highest
    /// Master_Log_File / Read_Master_Log_Pos), in configuration order.
    func latestSlaves(_ slaves: [Slave]) -> [Slave] {
        let best = slaves.map(\.read).max() ?? 0
        return slaves.filter { $0.read == best }
    }

    /// 3.2 (save_master_binlog, only if the dead master's host answered SSH): save_binary_logs
    /// on the dead master from the latest slave's read position, copied to the manager.
    func saveMasterBinlog(_ dead: Member, _ slaves: [Slave], sshReachable: Bool) {
        let latest = latestSlaves(slaves)
        record(latest[0].name, .failoverStep,
               "latest slaves \(latest.map(\.name).joined(separator: ", ")) (read up to \(latest[0].read)); oldest \(slaves.map(\.read).min() ?? 0)")
        guard sshReachable else { determineNewMaster(dead, slaves, saved: []); return }
        let command: AgentCommand = byPosition(slaves)
            ? .binlogFrom(latest[0].read)
            : .eventsOnDisk(notIn: latest[0].status.retrieved.union(latest[0].status.executed))
        // save_binary_logs starts mysqlbinlog (--version) before it copies; the manager then scps the file.
        ssh.run(command, on: dead.host, port: Self.sshPort, connectTimeout: sshTimeout, timeout: scriptTimeout, cost: nodeTool(helpers: 1),
                completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            var saved: [BinlogEvent] = []
            if case .success(.events(let e)) = r {
                saved = e
                self.record(dead.name, .failoverStep, "save_binary_logs: \(e.count) events the latest slave lacks, copied to the manager")
            } else {
                self.log(r, node: dead.name, step: "save_binary_logs")
            }
            self.determineNewMaster(dead, slaves, saved: saved)
        })
    }

    /// 3.3: the latest slave that has every relay log the oldest slave lacks
    /// (find_latest_base_slave; by GTID: the latest slave that applied most), then the new master.
    func determineNewMaster(_ dead: Member, _ slaves: [Slave], saved: [BinlogEvent]) {
        let latest = latestSlaves(slaves)
        guard byPosition(slaves) else {
            let base = latest.max { $0.exec < $1.exec } ?? latest[0]
            choose(dead, slaves, latest: latest, base: base, saved: saved)
            return
        }
        let oldest = slaves.map(\.read).min() ?? 0
        guard oldest < latest[0].read else {
            record("mha", .failoverStep, "All slaves received relay logs to the same position. No need to resync each other.")
            choose(dead, slaves, latest: latest, base: latest[0], saved: saved)
            return
        }
        findSlaveWithAllRelayLogs(latest, from: oldest) { [weak self] base in
            guard let self else { return }
            guard let base else {
                self.record("mha", .failoverStepFailed, "None of the latest slaves has enough relay logs for recovery.")
                return
            }
            self.choose(dead, slaves, latest: latest, base: base, saved: saved)
        }
    }

    /// apply_diff_relay_logs --command=find on each latest slave in turn, over SSH.
    func findSlaveWithAllRelayLogs(_ latest: [Slave], from position: Int, then next: @escaping (Slave?) -> Void) {
        guard let s = latest.first else { next(nil); return }
        checkSSH(s.member) { [weak self] reachable in
            guard let self else { return }
            guard reachable else { self.findSlaveWithAllRelayLogs(Array(latest.dropFirst()), from: position, then: next); return }
            self.findRelayLogs(s, latest, from: position, then: next)
        }
    }

    /// apply_diff_relay_logs --command=find: Perl reading the relay logs' event headers.
    func findRelayLogs(_ s: Slave, _ latest: [Slave], from position: Int, then next: @escaping (Slave?) -> Void) {
        ssh.run(.relayLogHas(position), on: s.member.host, port: Self.sshPort, connectTimeout: sshTimeout,
                timeout: scriptTimeout, cost: nodeTool(helpers: 0), completion: manager.inThisLife { [weak self] r in
            guard let self else { return }
            if case .success(.reachable(true)) = r {
                self.record(s.name, .failoverStep, "apply_diff_relay_logs --command=find: \(s.name) has all relay logs from \(position)")
                next(s)
            } else {
                self.record(s.name, .failoverStep, "\(s.name) doesn't have all relay logs. Maybe some logs were purged.")
                self.findSlaveWithAllRelayLogs(Array(latest.dropFirst()), from: position, then: next)
            }
        })
    }

    /// ServerManager.pm check_slave_delay: the latest slave read more than 100 MB past what
    /// this one applied (Read_Master_Log_Pos > Exec_Master_Log_Pos + 100000000).
    func delaysTooMuch(_ s: Slave, behind latest: Slave) -> Bool {
        Int64(latest.read - s.exec) * Int64(cost.eventBytes) > 100_000_000
    }

    /// ServerManager.pm select_new_master (latest_priority=1): a candidate_master among the
    /// latest slaves, then any candidate, then any latest slave, then any slave; never one
    /// with no_master or (check_repl_delay) too far behind.
    func selectNewMaster(_ slaves: [Slave], latest: [Slave]) -> Slave? {
        let bad = slaves.filter { noMaster.contains($0.name) || (checkReplDelay && delaysTooMuch($0, behind: latest[0])) }.map(\.name)
        let pref = slaves.filter { candidates.contains($0.name) }.map(\.name)
        if pref.isEmpty && bad.isEmpty { return latest[0] }
        let ok = { (s: Slave) in !bad.contains(s.name) }
        return latest.first { pref.contains($0.name) && ok($0) }
            ?? slaves.first { pref.contains($0.name) && ok($0) }
            ?? latest.first(where: ok)
            ?? slaves.first(where: ok)
    }

    func choose(_ dead: Member, _ slaves: [Slave], latest: [Slave], base: Slave, saved: [BinlogEvent]) {
        for s in slaves where checkReplDelay && delaysTooMuch(s, behind: latest[0]) {
            record(s.name, .failoverStep, "Slave \(s.name) SQL Thread delays too much (applied \(s.exec), latest read \(latest[0].read)). This server is not selected as a new master because recovery will take long time.")
        }
        guard let newMaster = selectNewMaster(slaves, latest: latest) else {
            record("mha", .failoverStepFailed, "None of existing slaves matches as a new master. Maybe preferred node is misconfigured or all slaves are too  far behind.")
            return
        }
        record(newMaster.name, .failoverStep, "New master is \(newMaster.name) (latest slave \(base.name), read up to \(base.read))")
        let r = Recovery(dead: dead, slaves: slaves, latestRead: latest[0].read, base: base, newMaster: newMaster,
                         saved: saved, byPosition: byPosition(slaves))
        recoverMaster(r)
    }
}
