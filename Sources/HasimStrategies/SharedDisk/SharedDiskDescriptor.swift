import HasimKernel

/// Red Hat Cluster Suite style: one shared disk (SAN LUN) mounted by the active node;
/// failover = fence the old owner, mount on the standby, VIP, mysqld + crash recovery.
public enum SharedDisk {
    public static let descriptor = StrategyDescriptor(
        name: "shared-disk",
        summary: "Active/standby on one shared disk (RHCS): cman token 10 s, fence the failed node, mount on the standby, VIP, mysqld with InnoDB crash recovery. No replication.",
        options: [
            OptionSpec("token", .duration, default: .duration(Time.s(10)),
                       help: "Cluster membership token timeout (RHEL 5/6 cman).",
                       source: "Red Hat article 300953 via voxpupuli/puppet-corosync#300: cman token 10000 ms"),
            OptionSpec("post_fail_delay", .duration, default: .duration(0),
                       help: "fenced: wait after a node failure before fencing.",
                       source: "RHEL 6 Cluster Administration (fenced post_fail_delay 0)"),
        ] + DRBD.pacemakerOptions.filter { $0.name != "stonith" }.map { o in
            // A non-cluster filesystem must never be mounted twice: fencing is not optional here.
            o.name == "monitor_interval"
                ? OptionSpec("monitor_interval", .duration, default: .duration(Time.s(60)),
                             help: "rgmanager status check of the mysql resource (0: none).",
                             source: "resource-agents rgmanager/src/resources/mysql.metadata: status interval 1 min", range: .intervalOrOff)
                : o
        },
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("shared-disk needs one active server (role: primary), found \(t.primaries.count)") }
            if t.replicas.count != 1 { problems.append("shared-disk runs on exactly two servers: the active one and the standby (role: replica, source: <primary>)") }
            return problems
        })
}
