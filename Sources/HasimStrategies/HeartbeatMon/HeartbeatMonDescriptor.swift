import HasimKernel

/// Linux-HA Heartbeat (R1 style, haresources) moving a VIP between the two servers of
/// a dual-master pair, with Mon watching mysqld and asking Heartbeat to hand over.
public enum HeartbeatMon {
    public static let descriptor = StrategyDescriptor(
        name: "heartbeat-mon",
        summary: "Heartbeat between two dual-master servers (keepalive 1 s, deadtime 30 s) moves the VIP; Mon checks mysqld and calls hb_standby; auto_failback.",
        options: [
            OptionSpec("keepalive", .duration, default: .duration(Time.s(1)),
                       help: "Interval between heartbeats.",
                       source: "heartbeat 2.1.3 heartbeat/config.c (keepalive 1000ms)", range: .interval),
            OptionSpec("deadtime", .duration, default: .duration(Time.s(30)),
                       help: "Silence after which the peer is declared dead and its resources taken over.",
                       source: "heartbeat/config.c (deadtime 30000ms)"),
            OptionSpec("warntime", .duration, default: .duration(Time.s(15)),
                       help: "Silence after which a late heartbeat is logged.",
                       source: "heartbeat/config.c (warntime = deadtime/2)"),
            OptionSpec("auto_failback", .bool, default: .bool(true),
                       help: "Whether the resources return to the preferred node when it is back.",
                       source: "heartbeat/config.c: default 'legacy', i.e. the resources fail back"),
            OptionSpec("mon_interval", .duration, default: .duration(Time.s(10)),
                       help: "How often Mon runs mysql.monitor against the local mysqld.",
                       source: "mon.cf per-service interval; no upstream default (examples use 10s)", range: .interval),
            OptionSpec("mon_timeout", .duration, default: .duration(Time.s(5)),
                       help: "Timeout of one mysql.monitor run.",
                       source: "our choice (mysql.monitor connect timeout)"),
            OptionSpec("takeover_time", .duration, default: .duration(Time.ms(300)),
                       help: "From 'node is dead' to the first resource script: heartbeat's harc, mach_down and ResourceManager (shell scripts) run first.",
                       source: "measured: heartbeat 3.0.6 on Debian 12, validation/results/heartbeat-failover.json ('is dead' to 'Acquiring resource group': 0.3-0.5 s)"),
            OptionSpec("resource_script_time", .duration, default: .duration(Time.ms(250)),
                       help: "The mysqld resource script's status + start runs (process start-up, mysql client connect, SET GLOBAL read_only=0).",
                       source: "measured: validation/results/heartbeat-failover.json (a mysql-rw resource script's status + start: 0.1-0.5 s)"),
            OptionSpec("ipaddr_time", .duration, default: .duration(Time.s(1)),
                       help: "IPaddr2's status + start (the OCF agent is a large shell script) before the address is up and send_arp runs.",
                       source: "measured: validation/results/heartbeat-failover.json (IPaddr2 status + start to 'Adding inet address': 0.5-1.0 s; 'is dead' to the VIP up, all steps: 1.5-2.2 s)"),
            OptionSpec("resource_start_timeout", .duration, default: .duration(Time.s(120)),
                       help: "How long the mysqld resource script's start waits for mysqld to answer before the VIP is raised anyway.",
                       source: "Debian /etc/init.d/mysql: start waits up to MYSQLD_STARTUP_TIMEOUT, 'at least 14 s'; we take heartbeat's 120 s resource timeout"),
        ],
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("heartbeat-mon needs one active server (role: primary), found \(t.primaries.count)") }
            if t.replicas.count != 1 { problems.append("heartbeat-mon manages exactly two servers: the primary and one peer (role: replica, source: <primary>)") }
            return problems
        })
}
