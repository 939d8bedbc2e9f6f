import HasimKernel

/// The L4 load balancer in front of the Apaches (`web.l4`), docs/web-tier.md.
public struct L4Spec: Sendable, Equatable {
    /// How the balancer forwards (ipvsadm's packet-forwarding methods, or a managed LBaaS).
    public enum Mode: String, Sendable, CaseIterable {
        /// LVS-NAT (`-m`): requests and responses both pass the director.
        case nat
        /// LVS-DR (`-g`, L2DSR): the director rewrites the destination MAC; the real servers
        /// hold the VIP on their loopback and answer the users directly. One L2 domain only.
        case dsrL2 = "dsr_l2"
        /// LVS-TUN (`-i`, L3DSR): the request goes to the real server in an IP-in-IP tunnel
        /// (20 more bytes per packet), so real servers may be in other sites; replies direct.
        case dsrL3 = "dsr_l3"
        /// A cloud load balancer (AWS ELB/NLB-like): managed, no VIP or ARP, a DNS name;
        /// both directions through it; an unhealthy or deregistered target's connections are reset.
        case lbaas
        public var forwardsReplies: Bool { self == .nat || self == .lbaas }
    }
    /// IPVS schedulers (ipvsadm(8) `-s`).
    public enum Scheduler: String, Sendable, CaseIterable {
        case rr, wrr, lc, wlc
    }
    public enum Check: String, Sendable, CaseIterable {
        /// keepalived TCP_CHECK: a connect to the real server's port.
        case tcp
        /// keepalived HTTP_GET: GET a URL, 200 is healthy.
        case http
    }

    public var host = ""
    /// An active/standby pair of directors (`hosts: [lb1, lb2]`): the users dial `vip`, which
    /// keepalived's VRRP keeps on one of them (L4Pair.swift); empty: one director on `host`.
    public var pairHosts: [String] = []
    public var vip = ""
    public var vrrp = VRRP()
    /// keepalived's `vrrp_instance` on the directors (web.l4.vrrp).
    public struct VRRP: Sendable, Equatable {
        /// `advert_int`, 1 s (VRRP_ADVER_DFL).
        public var advertInt: SimTime = Time.s(1)
        /// Priorities in the order of `hosts`: the first is the preferred MASTER.
        public var priorities: [Int] = [101, 100]
        /// keepalived preempts by default (`nopreempt` turns it off).
        public var preempt = true
        /// IPVS connection synchronisation (`lvs_sync_daemon` in keepalived, `ipvsadm
        /// --start-daemon master|backup`): the MASTER multicasts its connection entries, the
        /// BACKUP keeps copies, so connections survive a move of the VIP. Off by default (the
        /// daemon is started only when configured).
        public var syncDaemon = false
        public init() {}
    }
    public var mode = Mode.nat
    public var scheduler = Scheduler.wlc
    /// Real server weights by Apache host (absent: 1).
    public var weights: [String: Int] = [:]
    public var check = Check.http
    /// keepalived `delay_loop` (60 s, KEEPALIVED_DEFAULT_DELAY); LBaaS: 30 s.
    public var interval: SimTime = Time.s(60)
    /// keepalived `connect_timeout` 5 s; LBaaS: 5 s.
    public var timeout: SimTime = Time.s(5)
    /// Consecutive failed checks that take a server out: keepalived `retry` 1 + the first
    /// check = 2; LBaaS `UnhealthyThresholdCount` 2.
    public var fall = 2
    /// Consecutive good checks that bring it back: keepalived 1; LBaaS `HealthyThresholdCount` 5.
    public var rise = 1
    /// Pause before re-checking a server whose check failed: keepalived `delay_before_retry`
    /// 1 s; LBaaS: the interval.
    public var retryDelay: SimTime = Time.s(1)
    /// The balancer's NIC (a 1 GbE port) and its per-packet CPU cost; LBaaS: unlimited.
    public var bandwidth: Int64 = 1_000_000_000
    public var packetCost: SimTime = Time.us(1)
    /// The NIC's transmit queue in frames (txqueuelen, Linux 1000): beyond, tail drop. 0: unbounded.
    public var txQueueLen = 1000
    /// IPVS `expire_nodest_conn` (0: a deleted real server's connections are dropped silently).
    public var expireNodestConn = false
    public init() {}

    /// The defaults of a mode: a managed LBaaS checks as AWS target groups do.
    public static func defaults(for mode: Mode) -> L4Spec {
        var s = L4Spec()
        s.mode = mode
        if mode == .lbaas {
            s.scheduler = .rr
            s.interval = Time.s(30)
            s.timeout = Time.s(5)
            s.fall = 2
            s.rise = 5
            s.retryDelay = Time.s(30)
            s.bandwidth = 0
            s.packetCost = 0
            s.txQueueLen = 0
            s.expireNodestConn = true
        }
        return s
    }
}
