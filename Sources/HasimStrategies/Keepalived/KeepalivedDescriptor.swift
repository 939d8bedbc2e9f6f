import HasimKernel

/// keepalived (VRRP, RFC 5798 as acassen/keepalived implements it): the most common VIP
/// manager in front of MySQL today. Every node runs keepalived; the MASTER sends an
/// advertisement every advert_int; a BACKUP that hears none for the master-down interval
/// (3 x advert_int + skew) becomes MASTER, raises the VIP and sends gratuitous ARPs.
public enum Keepalived {
    public static let descriptor = StrategyDescriptor(
        name: "keepalived",
        summary: "keepalived/VRRP on each database host: adverts every 1 s, master-down 3 x advert + skew, priority + preempt, gratuitous ARPs, a mysqld track script, notify_master makes mysqld writable.",
        options: [
            OptionSpec("advert_int", .duration, default: .duration(Time.s(1)),
                       help: "Interval of the MASTER's VRRP advertisements.",
                       source: "keepalived.conf(5): advert_int, default 1 s (keepalived/include/vrrp.h VRRP_ADVER_DFL 1)", range: .interval),
            OptionSpec("master_priority", .int, default: .int(101),
                       help: "Priority of the initial primary's keepalived (1-254).",
                       source: "common MySQL guides: 101 on the preferred node; keepalived's default priority is 100", range: .integers(1...254)),
            OptionSpec("backup_priority", .int, default: .int(100),
                       help: "Priority of the other nodes' keepalived.",
                       source: "keepalived.conf(5): priority, default 100 (VRRP_PRIO_DFL)", range: .integers(1...254)),
            OptionSpec("preempt", .bool, default: .bool(true),
                       help: "A higher-priority node that comes back takes the VIP back (false: nopreempt).",
                       source: "keepalived.conf(5): preemption is the default; nopreempt disables it"),
            OptionSpec("garp_master_delay", .duration, default: .duration(Time.s(5)),
                       help: "Delay of the second round of gratuitous ARPs after becoming MASTER.",
                       source: "keepalived.conf(5): garp_master_delay, default 5 s", range: .delays),
            OptionSpec("garp_master_repeat", .int, default: .int(5),
                       help: "Gratuitous ARPs per round on becoming MASTER (0: none). They leave back to back, so hasim sends one GARP event per round.",
                       source: "keepalived.conf(5): garp_master_repeat, default 5 (keepalived/include/vrrp.h VRRP_GARP_REP)", range: .integers(0...1_000)),
            OptionSpec("garp_lower_prio_repeat", .int, default: .int(5),
                       help: "Gratuitous ARPs a MASTER sends at once when it hears a lower-priority MASTER's advert (0: none); it answers with an advert too.",
                       source: "keepalived.conf(5): garp_lower_prio_repeat; unset it is vrrp_garp_master_repeat, 5 (keepalived/vrrp/vrrp.c vrrp_state_master_rx, global_data.c)", range: .integers(0...1_000)),
            OptionSpec("garp_lower_prio_delay", .duration, default: .duration(Time.s(5)),
                       help: "Delay of the second round of those gratuitous ARPs (0: none).",
                       source: "keepalived.conf(5): garp_lower_prio_delay; unset it is vrrp_garp_master_delay, 5 s (keepalived/vrrp/vrrp.c)", range: .delays),
            OptionSpec("step_time", .duration, default: .duration(Time.ms(2)),
                       help: "Median of keepalived's own time per action: a timer thread's run, handling a received advert, each half of adding the VIP (the netlink request, then kernel_netlink_poll). Adverts drift by it, and it decides whose GARPs come last when a lower-priority node becomes MASTER beside a live one.",
                       source: "our estimate (lognormal); validation keepalived-split-brain measured 1.4-17.6 ms (median 5.9) from db2's advert to db1's answer on a loaded 2-core host, and the new MASTER's GARPs last in 8 of 12 runs", range: .delays),
            OptionSpec("step_time_sigma", .double, default: .double(1.0),
                       help: "Sigma of the lognormal step_time.",
                       source: "our estimate: the measured spread (1.4-17.6 ms around 5.9) is about a factor e each way", range: .sigma),
            OptionSpec("track_interval", .duration, default: .duration(Time.s(2)),
                       help: "Interval of the mysqld track script (vrrp_script chk_mysql); 0: no track script.",
                       source: "keepalived.conf(5) vrrp_script interval default 1 s; MySQL guides use 2 s", range: .intervalOrOff),
            OptionSpec("track_fall", .int, default: .int(2),
                       help: "Consecutive failures of the track script before the node goes to FAULT and drops the VIP.",
                       source: "keepalived.conf(5) vrrp_script fall (default 1); MySQL guides use 2", range: .integers(1...1_000)),
            OptionSpec("track_rise", .int, default: .int(2),
                       help: "Consecutive successes before a FAULT node is BACKUP again.",
                       source: "keepalived.conf(5) vrrp_script rise (default 1); MySQL guides use 2", range: .integers(1...1_000)),
            OptionSpec("notify_master_writable", .bool, default: .bool(true),
                       help: "notify_master runs SET GLOBAL read_only=0 on the new MASTER's mysqld.",
                       source: "deployment choice: the usual notify_master script of keepalived + MySQL replication guides"),
        ],
        validate: { t in
            var problems: [String] = []
            if t.primaries.count != 1 { problems.append("keepalived needs one preferred server (role: primary), found \(t.primaries.count)") }
            if t.replicas.isEmpty { problems.append("keepalived needs a second server to move the VIP to (role: replica, source: <primary>)") }
            return problems
        })
}
