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
