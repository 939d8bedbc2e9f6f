import HasimKernel

/// MHA (mha4mysql-manager 0.58): an agentless manager that pings the master, confirms
/// through other hosts, promotes the most advanced slave after applying what it lacks
/// (from the other slaves' relay logs and the dead master's binlog), re-points the
/// others and moves the VIP or the DNS record (master_ip_failover).
public enum MHA {
    public static let descriptor = StrategyDescriptor(
        name: "mha",
        summary: "MHA manager: ping every 3 s, 4 failures, secondary check, promote the latest slave after applying missing events, then VIP or DNS.",
        options: [
            OptionSpec("ping_interval", .duration, default: .duration(Time.s(3)),
                       help: "Interval of the master health check (SELECT 1); also its connect timeout.",
                       source: "mha4mysql-manager 0.58 lib/MHA/Config.pm (ping_interval = 3)", range: .interval),
            OptionSpec("ping_type", .string, default: .string("select"),
                       help: "How the master is checked: select (SELECT 1), connect (a new connection per check, then SELECT 1) or insert (INSERT ... ON DUPLICATE KEY UPDATE into infra.chk_masterha: a master whose disk stopped committing fails it, and Phase 1 skips the double check).",
                       source: "lib/MHA/ManagerConst.pm (PING_TYPE_SELECT default), lib/MHA/HealthCheck.pm ping_select / ping_connect / ping_insert",
                       choices: ["select", "connect", "insert"]),
            OptionSpec("ping_failures", .int, default: .int(4),
                       help: "Consecutive failed checks before the master is considered unreachable.",
                       source: "lib/MHA/HealthCheck.pm wait_until_unreachable (error_count >= 4)", range: .integers(1...1_000)),
            OptionSpec("secondary_check_hosts", .string, default: .string(""),
                       help: "Comma-separated hosts that check the master's port when the manager cannot (masterha_secondary_check -s ...); empty = no secondary check.",
                       source: "samples/conf/masterha_default.cnf (secondary_check_script is unset by default)"),
            OptionSpec("secondary_check_timeout", .duration, default: .duration(Time.s(5)),
                       help: "Timeout of each secondary route.",
                       source: "bin/masterha_secondary_check --timeout default 5"),
            OptionSpec("ssh_connection_timeout", .duration, default: .duration(Time.s(5)),
                       help: "SSH connect timeout for every remote step.",
                       source: "lib/MHA/Config.pm (ssh_connection_timeout = 5)"),
            OptionSpec("candidate_master", .string, default: .string(""),
                       help: "Preferred new master (candidate_master=1); empty = the slave with the latest relay log.",
                       source: "lib/MHA/ServerManager.pm select_new_master"),
            OptionSpec("last_failover_minute", .int, default: .int(480),
                       help: "A second failover within this many minutes of the last one is refused (no ping-pong).",
                       source: "lib/MHA/MasterFailover.pm (last_failover_minute = 480)", range: .integers(0...Int(Time.horizon / Time.minute))),
            OptionSpec("manager_host", .string, default: .string(""),
                       help: "Host the manager runs on; empty = the application's host.",
                       source: "deployment choice; MHA runs on a separate manager node or a slave"),
            OptionSpec("ssh_session_time", .duration, default: .duration(Time.ms(100)),
                       help: "One SSH session after the TCP connect: key exchange, public-key authentication, channel (every node-script call and scp pays it).",
                       source: "our estimate for OpenSSH on a LAN (curve25519 kex + ed25519 auth, ~3 round trips + CPU); to be replaced by the validation run"),
            OptionSpec("node_script_startup", .duration, default: .duration(Time.ms(200)),
                       help: "Start-up of one MHA Perl program (save_binary_logs, apply_diff_relay_logs, master_ip_failover) loading its modules (DBI, MHA::*).",
                       source: "our estimate: perl with DBI + MHA::NodeUtil; mha4mysql-node bin/* are Perl scripts started per call (MasterFailover.pm exec_ssh_cmd)"),
            OptionSpec("binlog_event_bytes", .int, default: .int(512),
                       help: "Average size of one binlog event (row-based, small rows) as read and shipped.",
                       source: "our choice: a row-based single-row INSERT with its GTID, table-map and XID events", range: .integers(1...1_073_741_824)),
            OptionSpec("binlog_read_mb_per_second", .double, default: .double(50),
                       help: "mysqlbinlog reading and rewriting a binlog / relay log (save_binary_logs, apply_diff_relay_logs --command=generate).",
                       source: "our estimate: mysqlbinlog parse rate on one core", range: .positive(upTo: 100_000)),
            OptionSpec("scp_mb_per_second", .double, default: .double(100),
                       help: "scp of the saved binlog / diff files between a node and the manager (1 GbE).",
                       source: "our choice: gigabit Ethernet wire speed", range: .positive(upTo: 100_000)),
            OptionSpec("apply_events_per_second", .double, default: .double(2000),
                       help: "mysqlbinlog | mysql replaying the missing events on the new master, one transaction after another.",
                       source: "our estimate: one client session, one fsync-ed commit per event (~0.5 ms)", range: .positive(upTo: 10_000_000)),
            OptionSpec("relay_log_wait", .duration, default: .duration(Time.minute * 10),
                       help: "Longest wait for the new master's SQL thread to apply its relay log before the diff is applied anyway.",
                       source: "MHA waits without a limit (DBHelper.pm wait_until_relay_log_applied); hasim bounds the wait"),
            OptionSpec("front_door", .string, default: .string("auto"),
                       help: "What master_ip_failover moves: vip (ip addr del/add + arping), dns (provider API), or auto = what the application dials.",
                       source: "samples/scripts/master_ip_failover", choices: ["auto", "vip", "dns"]),
        ],
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("mha needs exactly one database with role: primary (found \(t.primaries.count))") }
            if t.replicas.isEmpty { problems.append("mha needs at least one slave to promote (role: replica, source: <master>)") }
            return problems
        },
        validateOptions: { t, options in
            var problems: [String] = []
            if case .string(let c)? = options["candidate_master"], !c.isEmpty, !t.replicas.contains(where: { $0.host == c }) {
                problems.append("candidate_master '\(c)' is not a slave (slaves: \(t.replicas.map(\.host).joined(separator: ", ")))")
            }
            if case .string(let list)? = options["secondary_check_hosts"] {
                for h in hostList(list) where t.siteOf[h] == nil {
                    problems.append("secondary check host '\(h)' is not a host of the topology")
                }
            }
            if case .string(let m)? = options["manager_host"], !m.isEmpty, t.siteOf[m] == nil {
                problems.append("manager_host '\(m)' is not a host of the topology")
            }
            return problems
        })
}
