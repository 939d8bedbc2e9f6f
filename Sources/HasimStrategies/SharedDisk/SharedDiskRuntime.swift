import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// RHCS-style active/standby on one shared LUN. The disk holds what the active mysqld
/// wrote (sync_binlog=1, innodb_flush_log_at_trx_commit=1): after the old owner is
/// fenced, the standby mounts that very disk, adds the VIP and starts mysqld, whose
/// crash recovery replays the redo the old owner left. Nothing is mounted before the
/// fence succeeds: a failing fence blocks the service.
final class SharedDiskRuntime: StrategyRuntime {
    private let d: Deployment
    private let cluster: PacemakerCluster
    private let mountTime: SimTime
    private let primary: DatabaseHandle
    private let standby: DatabaseHandle

    init(options: OptionValues, deployment: Deployment) {
        d = deployment
        primary = deployment.initialPrimary
        standby = deployment.replicas[0].replica
        mountTime = options.duration("mount_time")
        deployment.attachSharedLUN(primary, standby)
        cluster = PacemakerCluster(deployment: deployment, settings: .init(
            token: options.duration("token"), stonith: true,
            fenceTime: options.duration("post_fail_delay") + options.duration("fence_time"),
            stonithTimeout: options.duration("stonith_timeout"),
            priorityFencingDelay: options.duration("priority_fencing_delay"),
            monitorInterval: options.duration("monitor_interval"), monitorTimeout: options.duration("monitor_timeout")),
            active: primary, standby: standby)
    }

    var applicationAddress: IPAddress { primary.host.address }

    func start() {
        // Cluster-managed mysqld, one my.cnf for both nodes (no read_only).
        for n in cluster.nodes { n.local.manageByCluster() }
        cluster.nodes[1].local.stopMySQLD()
        cluster.recover = { [weak self] survivor, lost in self?.failover(survivor, from: lost) }
        cluster.start()
    }

    private func failover(_ n: PacemakerCluster.Node, from _: PacemakerCluster.Node) {
        // Called only once the fence agent has answered that the old owner is off: the
        // survivor knows the power state from that reply, never from looking at the host.
        n.after(mountTime) { [weak self] in
            guard let self else { return }
            // The Filesystem agent on the survivor: the LUN's blocks are what the fenced owner's
            // mysqld last made durable; mysqld starts from them and replays their redo.
            guard n.local.mountSharedLUN() else {
                self.d.sim.record(n.db.name, .failoverStepFailed, "fs: mount of the shared LUN failed (mysqld running here?)")
                return
            }
            self.d.sim.record(n.db.name, .failoverStep, "fs: shared LUN mounted on /var/lib/mysql (journal replayed)")
            self.cluster.addVIP(on: n) { [weak self] in
                guard let self else { return }
                self.cluster.becameActive(n)
                self.cluster.startMySQL(on: n)
            }
        }
    }
}
