import HasimKernel

/// Async replication; a monitoring system alerts, a DBA promotes the replica and the
/// developers change the application's DB address and redeploy (seed note 000).
public enum ManualFailover {
    public static let descriptor = StrategyDescriptor(
        name: "manual",
        summary: "Async replica; monitoring alerts, a DBA promotes the replica, the team changes the JDBC URL and redeploys.",
        options: [
            OptionSpec("check_interval", .duration, default: .duration(Time.s(60)),
                       help: "How often the monitoring system (Nagios/Zabbix-style) checks the primary's mysqld.",
                       source: "Zabbix/Nagios MySQL templates poll every 60 s by default", range: .interval),
            OptionSpec("alert_after", .int, default: .int(3),
                       help: "Consecutive failed checks before an alert is raised.",
                       source: "Nagios max_check_attempts is commonly 3; Zabbix triggers on 3 failures", range: .integers(1...1_000)),
            OptionSpec("check_timeout", .duration, default: .duration(Time.s(10)),
                       help: "Timeout of one monitoring check (connect + SELECT 1).",
                       source: "Nagios check_mysql default timeout 10 s"),
            OptionSpec("detection_delay", .duration, default: .duration(Time.minute * 5),
                       help: "From the alert to a DBA who has understood the failure (paged, acknowledged, looked).",
                       source: "on-call acknowledgement targets of ~5 minutes (seed 000: SE/DBA recognise and assess)", range: .delays),
            OptionSpec("promote_time", .duration, default: .duration(Time.minute * 2),
                       help: "The DBA's own work on the replica before it takes writes (check status, stop replication, read_only=OFF).",
                       source: "hand-typed commands; judgement, not a tool default", range: .delays),
            OptionSpec("target", .string, default: .string(""),
                       help: "The replica the DBA promotes; empty = the first replica of the primary in the scenario's order.",
                       source: "the runbook's designated standby; not chosen by how far each replica got"),
            OptionSpec("response_delay", .duration, default: .duration(Time.minute * 10),
                       help: "From the promoted replica to the application using it: tell the developers, change the JDBC URL, redeploy (front_door ip only).",
                       source: "seed 000: the failure is shared with the dev team, who change the DB connection and deploy", range: .delays),
            OptionSpec("front_door", .string, default: .string("auto"),
                       help: "How the DBA points the application at the promoted replica. ip: the developers change the JDBC URL and redeploy, after response_delay; "
                           + "vip: first `ip addr del` on the old primary over ssh (when it answers), after the promotion `ip addr add` + gratuitous ARP on the new one; "
                           + "dns: a call to the DNS provider's API; auto: whatever the scenario's front_door is (ip without one; nothing to do behind a proxy). "
                           + "One of ip, vip, dns, auto.",
                       source: "seed 000: VIP + replication (move the VIP to the slave), DNS + MHA (change API 4-6 s); a VIP moves only inside one L2 domain",
                       choices: ["ip", "vip", "dns", "auto"]),
            OptionSpec("ssh_connect_timeout", .duration, default: .duration(Time.s(10)),
                       help: "The DBA's `ssh -o ConnectTimeout` for the VIP commands: how long `ip addr del` on a dead old primary holds up the move (front_door vip).",
                       source: "a DBA's habit of 10 s; OpenSSH's own default is the kernel's TCP connect timeout (about 2 min)"),
            OptionSpec("gratuitous_arp", .bool, default: .bool(true),
                       help: "Whether the DBA's `ip addr add` of the VIP is followed by `arping -U` (front_door vip). false: clients that talked "
                           + "to the old holder keep its MAC until their neighbour entry fails (REACHABLE 15-45 s, DELAY 5 s, 3 probes 1 s apart).",
                       source: "iputils arping -U; Linux arp_notify=0 by default (no GARP on ip addr add); measured: validation/results/vip-no-garp.json"),
        ],
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("the manual strategy needs exactly one database with role: primary (found \(t.primaries.count))") }
            if t.replicas.isEmpty { problems.append("the manual strategy needs at least one replica to fail over to (role: replica, source: <primary>)") }
            return problems
        },
        validateOptions: { t, options in
            guard case .string(let target)? = options["target"], !target.isEmpty else { return [] }
            if !t.replicas.contains(where: { $0.host == target }) {
                return ["target '\(target)' is not a replica (replicas: \(t.replicas.map(\.host).joined(separator: ", ")))"]
            }
            return []
        }).supporting([.switchover, .maintenance])
}
