import HasimKernel

/// MySQL on a DRBD device under Corosync/Pacemaker: active/passive, the Secondary's disk
/// receives every block write; failover = fence, promote DRBD, mount, VIP, mysqld + crash recovery.
public enum DRBD {
    static let pacemakerOptions: [OptionSpec] = [
        OptionSpec("stonith", .bool, default: .bool(true),
                   help: "STONITH (fencing) before the survivor touches the storage.",
                   source: "Pacemaker lib/common/options.c: stonith-enabled=true"),
        OptionSpec("fence_time", .duration, default: .duration(Time.s(5)),
                   help: "How long one fence action (power off through IPMI/PDU) takes.",
                   source: "our choice: device-dependent, not documented (bounded by stonith-timeout)"),
        OptionSpec("stonith_timeout", .duration, default: .duration(Time.s(60)),
                   help: "Longest wait for a fence action; a slower one fails and the resources stay blocked.",
                   source: "Pacemaker lib/common/options.c: stonith-timeout=60s"),
        OptionSpec("priority_fencing_delay", .duration, default: .duration(0),
                   help: "Extra delay before fencing the node that runs the resources (wins a fence race).",
                   source: "Pacemaker >= 2.0.4 priority-fencing-delay, default 0 (disabled)"),
        OptionSpec("monitor_interval", .duration, default: .duration(Time.s(20)),
                   help: "Pacemaker's recurring monitor of mysqld (0: none).",
                   source: "resource-agents heartbeat/mysql meta-data: monitor 20s (recommended; op interval default 0)", range: .intervalOrOff),
        OptionSpec("monitor_timeout", .duration, default: .duration(Time.s(20)),
                   help: "Timeout of one monitor operation.",
                   source: "Pacemaker Pacemaker_Explained/operations.rst: op timeout 20s"),
        OptionSpec("mount_time", .duration, default: .duration(Time.s(1)),
                   help: "Filesystem agent start: mount with journal replay.",
                   source: "our choice within FC-18's 0-5 s (Percona 2009)"),
    ]

    public static let descriptor = StrategyDescriptor(
        name: "drbd",
        summary: "MySQL on DRBD (protocol C) under Corosync (token 3 s) + Pacemaker: fence, promote, mount, VIP, mysqld with InnoDB crash recovery; the Secondary serves nothing.",
        options: [
            OptionSpec("protocol", .string, default: .string("C"),
                       help: "When a write is complete: A = local disk + TCP send buffer, B = in the peer's memory, C = on the peer's disk.",
                       source: "LINBIT DRBD User's Guide (drbd-features.adoc); C is the UG's example and 'by far the most commonly used'",
                       choices: ["A", "B", "C"]),
            OptionSpec("timeout", .duration, default: .duration(Time.s(6)),
                       help: "DRBD: the peer is considered dead when an expected answer is this late.",
                       source: "LINBIT/drbd-utils documentation/v84/drbd.conf.xml: timeout 60 (x 0.1 s)"),
            OptionSpec("ping_int", .duration, default: .duration(Time.s(10)),
                       help: "DRBD keep-alive after this much idle time.",
                       source: "drbd.conf.xml: ping-int 10", range: .interval),
            OptionSpec("ping_timeout", .duration, default: .duration(Time.ms(500)),
                       help: "DRBD keep-alive answer deadline.",
                       source: "drbd.conf.xml: ping-timeout 5 (x 0.1 s)"),
            OptionSpec("connect_int", .duration, default: .duration(Time.s(10)),
                       help: "DRBD reconnect interval.",
                       source: "drbd.conf.xml: connect-int 10", range: .interval),
            OptionSpec("peer_disk_write", .duration, default: .duration(Time.us(500)),
                       help: "The Secondary's disk write of one replicated write (protocol C waits for it).",
                       source: "our choice (a write-back-cached RAID write)"),
            OptionSpec("token", .duration, default: .duration(Time.s(3)),
                       help: "Corosync token timeout: silence after which a node is declared lost.",
                       source: "corosync exec/totemconfig.c: 3000 ms since 3.1.0 (1000 ms before)"),
            OptionSpec("consensus", .duration, default: .duration(0),
                       help: "Corosync: how long a node that lost the token waits for consensus before forming the new membership (0: 1.2 x token, as corosync computes it).",
                       source: "corosync.conf(5): consensus default 1.2 * token; measured: 3.6 s after 'token timed out' (validation/results/pacemaker-failover.json)"),
            OptionSpec("dc_election_time", .duration, default: .duration(Time.ms(950)),
                       help: "Pacemaker: when the lost node was the DC, the survivors' election and join round before the scheduler runs.",
                       source: "measured: Pacemaker 2.1.5, validation/results/pacemaker-failover.json (membership to the first start: 1.0-1.1 s when the DC died, 0.13 s when the survivor was DC)"),
            OptionSpec("transition_time", .duration, default: .duration(Time.ms(130)),
                       help: "Pacemaker: from the new membership (with a DC) to the first resource action (scheduler + transition).",
                       source: "measured: validation/results/pacemaker-failover.json (0.13 s when the survivor was DC)"),
            OptionSpec("ipaddr_time", .duration, default: .duration(Time.ms(500)),
                       help: "The IPaddr2 resource agent's start (a shell script: checks, ip addr add, send_arp).",
                       source: "measured: validation/results/pacemaker-failover.json ('Initiating start' to the VIP up: 0.47-0.55 s)"),
        ] + pacemakerOptions,
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("drbd needs one active server (role: primary), found \(t.primaries.count)") }
            if t.replicas.count != 1 { problems.append("drbd runs on exactly two servers: the primary and its DRBD peer (role: replica, source: <primary>)") }
            return problems
        })
}
