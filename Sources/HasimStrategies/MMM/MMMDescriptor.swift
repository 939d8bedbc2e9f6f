import HasimKernel

/// mysql-mmm 2.2.1: a monitor (mmm_mond) checks every host and moves roles; agents
/// (mmm_agentd) on the database hosts carry the roles out locally. The writer role
/// (an exclusive VIP) moves only to the configured peer master.
public enum MMM {
    public static let descriptor = StrategyDescriptor(
        name: "mmm",
        summary: "MMM monitor + agents: checks every 5 s, failure after 10 s (trap_period); writer VIP moves to the fixed peer master once it is ONLINE, after it drains its relay log; slaves re-pointed at its current binlog position.",
        options: [
            OptionSpec("check_period", .duration, default: .duration(Time.s(5)),
                       help: "Checker threads sleep this long between rounds over all hosts.",
                       source: "mysql-mmm 2.2.1 lib/Common/Config.pm; doc/mmm_configuration.texi", range: .interval),
            OptionSpec("trap_period", .duration, default: .duration(Time.s(10)),
                       help: "A check is failed only if it has not succeeded for at least this long.",
                       source: "lib/Common/Config.pm (trap_period 10)"),
            OptionSpec("check_timeout", .duration, default: .duration(Time.s(2)),
                       help: "Timeout of one check (mysql connect + SELECT NOW()).",
                       source: "lib/Common/Config.pm (timeout 2)"),
            OptionSpec("max_backlog", .duration, default: .duration(Time.s(60)),
                       help: "rep_backlog: Seconds_Behind_Master above this marks a slave REPLICATION_DELAY.",
                       source: "lib/Monitor/Checker/Checks.pm (max_backlog 60)"),
            OptionSpec("standby_master", .string, default: .string(""),
                       help: "The peer master that takes the writer role; empty = the primary's dual-master peer (the server it replicates from), else its first replica.",
                       source: "mmm_common.conf: <host db2> mode master, peer db1 — fixed by configuration"),
            OptionSpec("monitor_host", .string, default: .string(""),
                       help: "Host mmm_mond runs on; empty = the application's host.",
                       source: "deployment choice (seed lab: a separate monitor server)"),
            OptionSpec("reader_vips", .string, default: .string(""),
                       help: "Comma-separated reader role VIPs (role reader(balanced) in mmm_common.conf), spread over the ONLINE hosts; empty = no reader roles.",
                       source: "doc/mmm_configuration.texi: <role reader> mode balanced, ips ..."),
            OptionSpec("sync_with_master_timeout", .duration, default: .duration(0),
                       help: "How long the new writer's agent waits for its relay log to be applied before read_only=0 (0: no limit).",
                       source: "bin/agent/sync_with_master: SELECT MASTER_POS_WAIT(file, pos) without a timeout"),
            OptionSpec("agent_timeout", .duration, default: .duration(Time.s(10)),
                       help: "How long the monitor waits for an agent to answer a role change.",
                       source: "our choice: mmm_mond's agent socket timeout (not a documented default)"),
        ],
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("mmm needs exactly one active master (role: primary), found \(t.primaries.count)") }
            if t.replicas.isEmpty { problems.append("mmm needs a standby master (a replica of the primary, usually its dual-master peer)") }
            return problems
        },
        validateOptions: { t, options in
            var problems: [String] = []
            if case .string(let s)? = options["standby_master"], !s.isEmpty, !t.replicas.contains(where: { $0.host == s }) {
                problems.append("standby_master '\(s)' is not a replica of the primary")
            }
            if case .string(let m)? = options["monitor_host"], !m.isEmpty, t.siteOf[m] == nil {
                problems.append("monitor_host '\(m)' is not a host of the topology")
            }
            return problems
        }).supporting([.switchover, .maintenance])
}
