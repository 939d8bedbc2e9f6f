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
                       help: "Comma-separated slaves with candidate_master=1: preferred as the new master, the latest of them first, unless no_master or too far behind; empty = the latest slave.",
                       source: "lib/MHA/ServerManager.pm select_new_master (latest_priority=1), get_candidate_masters"),
            OptionSpec("no_master", .string, default: .string(""),
                       help: "Comma-separated slaves with no_master=1: never the new master (a DR or backup host), still recovered and re-pointed.",
                       source: "lib/MHA/ServerManager.pm get_bad_candidate_masters"),
            OptionSpec("check_repl_delay", .bool, default: .bool(true),
                       help: "A slave whose SQL thread is more than 100 MB behind what the latest slave received (Exec_Master_Log_Pos + 100000000 < Read_Master_Log_Pos, in binlog_event_bytes per event) cannot be the new master, even as candidate_master.",
                       source: "lib/MHA/ServerManager.pm check_slave_delay; lib/MHA/Config.pm check_repl_delay = 1"),
            OptionSpec("shutdown_script", .string, default: .string("none"),
                       help: "Phase 2's fencing of the dead master: none, or power_manager (the sample: --command=stopssh kills mysqld and mysqld_safe over SSH when the host answers SSH, otherwise --command=stop powers the host off through its BMC).",
                       source: "samples/scripts/power_manager; lib/MHA/MasterFailover.pm force_shutdown_internal (shutdown_script is unset by default)",
                       choices: ["none", "power_manager"]),
            OptionSpec("power_off_time", .duration, default: .duration(Time.s(4)),
                       help: "power_manager --command=stop: ipmitool power off to the BMC, then power status polled every 3 s until off.",
                       source: "samples/scripts/power_manager stop (sleep 3 between power status checks); our estimate: one ipmitool lanplus call ~1 s, then one poll", range: .interval),
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
            OptionSpec("helper_startup", .duration, default: .duration(Time.ms(20)),
                       help: "Start-up of one program a node tool runs in turn (mysqlbinlog, mysql, ssh, scp, md5sum): apply_diff_relay_logs --command=apply starts 7, generate_and_send 3.",
                       source: "mha4mysql-node 0.58 bin/apply_diff_relay_logs check() / apply_diff() / generate_and_send; our estimate for an idle host (fork + exec + dynamic linking)", range: .delays),
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
                       help: "Longest wait for a slave's SQL thread to apply its relay log (checked every second) before its recovery is given up.",
                       source: "lib/MHA/DBHelper.pm read_all_relay_log: SHOW SLAVE STATUS, then sleep(1), without a limit; hasim bounds the wait", range: .interval),
            OptionSpec("new_master_position", .string, default: .string("after_apply"),
                       help: "File/position failovers: when the other slaves' CHANGE MASTER position is read from the new master's SHOW MASTER STATUS. after_apply: once Phase 3.5 has applied the new master's diff, as MHA does; before_apply: at promotion, before the diff (a hand-written runbook's order): the slaves, levelled with the same events, get them again from the new master's binlog (1062).",
                       source: "mha4mysql-manager 0.58 lib/MHA/MasterFailover.pm recover_master (apply_diff, then get_new_master_binlog_position)",
                       choices: ["after_apply", "before_apply"]),
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
            for key in ["candidate_master", "no_master"] {
                guard case .string(let list)? = options[key] else { continue }
                for c in hostList(list) where !t.replicas.contains(where: { $0.host == c }) {
                    problems.append("\(key) '\(c)' is not a slave (slaves: \(t.replicas.map(\.host).joined(separator: ", ")))")
                }
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
        }).supporting([.switchover, .maintenance])
}
