import HasimKernel
import HasimNetwork

// Whole-cluster recovery on stopped nodes, as a DBA does it over SSH: read grastate.dat, run
// `mysqld --wsrep-recover` where its seqno is -1, start the most advanced node with
// `galera_new_cluster` (mysqld --wsrep-new-cluster), then `systemctl start` the others.
// The rules and texts are galera's (codership/galera galera/src/replicator_smm.cpp connect(),
// process_conf_change; replicator_str.cpp state_transfer_required).

extension GaleraNode {
    /// `cat /var/lib/mysql/grastate.dat`: seqno (-1 after a crash or while mysqld runs) and
    /// safe_to_bootstrap (1 only on the node that was alone in the last Primary Component).
    public var grastate: (seqno: Int64, safeToBootstrap: Bool) { (grastateSeqno, safeToBootstrap) }

    /// `sed -i 's/safe_to_bootstrap: 0/safe_to_bootstrap: 1/' grastate.dat`: the documented
    /// override, which the file's guard exists to make a deliberate act.
    public func editGrastate(safeToBootstrap safe: Bool) { safeToBootstrap = safe }

    /// `mysqld --wsrep-recover`: InnoDB crash recovery, then "WSREP: Recovered position:
    /// uuid:seqno" in the error log, and mysqld exits. It takes a start-up; refused while mysqld
    /// runs (the datadir is locked). nil: refused.
    public func wsrepRecover(_ done: @escaping (Int64?) -> Void) {
        guard state == .down else { done(nil); return }
        // Run by sshd on this host: if the host dies meanwhile, nobody hears the answer.
        sim.after(config.startupTime) { [unowned(unsafe) self] in
            self.sim.record(self.name, .galeraBootstrap, "mysqld --wsrep-recover: WSREP: Recovered position: \(self.innodbSeqno)")
            done(self.innodbSeqno)
        }
    }

    /// The error galera logs when told to bootstrap from a node whose grastate.dat says
    /// safe_to_bootstrap: 0 (replicator_smm.cpp ReplicatorSMM::connect).
    public static let unsafeBootstrap = "It may not be safe to bootstrap the cluster from this node. It was not the last one to leave the cluster and may not contain all the updates. To force cluster bootstrap with this node, edit the grastate.dat file manually and set safe_to_bootstrap to 1 ."

    /// `galera_new_cluster`: mysqld with --wsrep-new-cluster (wsrep_cluster_address=gcomm://).
    /// Refused, and mysqld exits, when safe_to_bootstrap is 0; otherwise, after its start-up,
    /// the node alone is a new Primary Component whose history is its own committed data.
    /// `done` gets nil once it is Synced, or the error.
    public func startNewCluster(_ done: @escaping (String?) -> Void) {
        guard state == .down else { done("mysqld is already running on \(name)"); return }
        guard safeToBootstrap else {
            sim.record(name, .galeraBootstrap, "galera_new_cluster: [ERROR] WSREP: \(Self.unsafeBootstrap)")
            done(Self.unsafeBootstrap)
            return
        }
        network.processStarted(process)
        life += 1
        let l = life
        setState(.joiner)
        isPrimary = false
        view = [index]
        viewMask = mask(view)
        sim.record(name, .mysqlStarting, "galera_new_cluster (--wsrep-new-cluster): start-up \(Time.format(config.startupTime))")
        afterRunnable(config.startupTime) { [unowned(unsafe) self] in
            guard self.life == l else { return }
            let position = self.innodbSeqno
            self.lastSeqno = position
            self.appliedSeqno = position
            self.restoredView = false
            self.isPrimary = true
            self.viewID += 1
            // A new lineage: the cluster's history from here on is this node's.
            self.primaryView = PrimaryView(id: self.primaryView.id + 1, members: [self.index],
                                           lineage: "new\(self.life)-\(self.name)")
            self.safeToBootstrap = true  // a Primary view of one member
            self.setState(.synced)
            self.sim.record(self.name, .galeraView, "view \(self.name) weight 1/1 -> Primary (new cluster at seqno \(position))")
            self.recordWriterGroup()
            self.begin()
            done(nil)
        }
    }

    /// A node that has just started and finds the Primary Component behind its own committed
    /// position aborts rather than lose what it has (replicator_str.cpp state_transfer_required):
    /// the DBA must remove grastate.dat (or bootstrap from this node instead).
    func abortIfAhead(of groupSeqno: Int64) -> Bool {
        // With seqno -1 (no --wsrep-recover) the node has no position to compare: it takes an SST.
        let local = lastSeqno
        guard local >= 0, local > groupSeqno else { return false }
        let l = life
        sim.record(name, .processCrash,
                   "mysqld aborts: [ERROR] WSREP: Local state seqno (\(local)) is greater than group seqno (\(groupSeqno)): states diverged. Aborting to avoid potential data loss. Remove '/var/lib/mysql//grastate.dat' file and restart if you wish to continue. (FATAL)")
        // close(): a graceful leave, then mysqld exits (its shutdown takes a moment).
        sim.after(0) { [unowned(unsafe) self] in
            guard self.life == l, self.state != .down else { return }
            self.broadcast(GLeave(from: self.index), to: self.view)
            self.sim.after(Time.ms(100)) { [unowned(unsafe) self] in
                guard self.life == l, self.state != .down else { return }
                self.network.processDied(self.process)
                self.loseVolatile()
            }
        }
        return true
    }

    /// Member `j` left gracefully: it no longer counts in the Primary Component's weight, and
    /// a membership round without it starts now.
    func leftGracefully(_ j: Int) {
        primaryView.members.removeAll { $0 == j }
        lastHeard[j] = -1
        excludedUntil[j] = sim.now + config.suspectTimeout
        checkMembership()
    }
}
