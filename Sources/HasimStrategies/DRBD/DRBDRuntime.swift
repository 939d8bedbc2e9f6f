import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// MySQL on DRBD under Corosync/Pacemaker. The Secondary's mysqld is stopped and its
/// disk is a DRBD copy; on losing the active node, Pacemaker fences it (if STONITH is
/// on), promotes DRBD (refused while still connected to a Primary), mounts the device,
/// adds the VIP and starts mysqld, whose InnoDB crash recovery replays the redo.
final class DRBDRuntime: StrategyRuntime {
    private let d: Deployment
    private let config: DRBDConfig
    private let cluster: PacemakerCluster
    private let mountTime: SimTime
    private let primary: DatabaseHandle
    private let standby: DatabaseHandle
    /// drbd RA: promote is retried within its recommended 90 s op timeout.
    private let promoteTimeout = Time.s(90)

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        primary = deployment.initialPrimary
        standby = deployment.replicas[0].replica
        var c = DRBDConfig()
        c.proto = DRBDProtocol(rawValue: options.string("protocol")) ?? .C
        c.timeout = options.duration("timeout")
        c.pingInterval = options.duration("ping_int")
        c.pingTimeout = options.duration("ping_timeout")
        c.connectInterval = options.duration("connect_int")
        c.peerDiskWrite = options.duration("peer_disk_write")
        config = c
        mountTime = options.duration("mount_time")
        cluster = PacemakerCluster(deployment: deployment, settings: .init(
            token: options.duration("token"),
            consensus: options.duration("consensus") > 0 ? options.duration("consensus") : nil,
            dcElection: options.duration("dc_election_time"), transition: options.duration("transition_time"),
            ipaddrStart: options.duration("ipaddr_time"),
            stonith: options.bool("stonith"),
            fenceTime: options.duration("fence_time"), stonithTimeout: options.duration("stonith_timeout"),
            priorityFencingDelay: options.duration("priority_fencing_delay"),
            monitorInterval: options.duration("monitor_interval"), monitorTimeout: options.duration("monitor_timeout")),
            active: primary, standby: standby)
    }

    var applicationAddress: IPAddress { primary.host.address }

    func start() {
        // Cluster-managed mysqld, one my.cnf for both nodes (no read_only).
        for n in cluster.nodes { n.local.manageByCluster() }
        cluster.nodes[1].local.stopMySQLD()
        d.attachDRBD(primary: primary, secondary: standby, config: config)
        d.startDRBD()
        d.sim.record(primary.name, .drbdState, "Primary/Secondary, protocol \(config.proto.rawValue)")
        cluster.recover = { [weak self] survivor, _ in self?.failover(survivor, deadline: nil) }
        cluster.start()
    }

    private func failover(_ n: PacemakerCluster.Node, deadline: SimTime?) {
        guard n.isAlive, n.local.hasDRBD else { return }
        let until = deadline ?? d.sim.now + promoteTimeout
        // The drbd resource agent's promote, on the survivor's host: drbdadm primary.
        if let err = n.local.drbdPromote() {
            if deadline == nil { d.sim.record(n.db.name, .failoverStepFailed, "drbd promote: \(err); retrying") }
            guard d.sim.now < until else {
                d.sim.record(n.db.name, .failoverStepFailed, "drbd promote: timed out; resource group not started")
                return
            }
            n.after(Time.s(1)) { [weak self] in self?.failover(n, deadline: until) }
            return
        }
        d.sim.record(n.db.name, .failoverStep, "drbd: promoted to Primary")
        n.after(mountTime) { [weak self] in
            guard let self else { return }
            n.local.drbdMount()
            self.d.sim.record(n.db.name, .failoverStep, "Filesystem: /dev/drbd0 mounted on /var/lib/mysql")
            self.cluster.addVIP(on: n) { [weak self] in
                guard let self else { return }
                self.cluster.becameActive(n)
                self.cluster.startMySQL(on: n)
            }
        }
    }
}
