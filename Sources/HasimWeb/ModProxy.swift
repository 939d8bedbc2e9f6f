import HasimKernel

/// mod_proxy_balancer with mod_proxy_http (httpd 2.4, modules/proxy at commit 0cb680442e):
/// `BalancerMember http://was1:8080 route=was1` lines inside `<Proxy balancer://...>`.
public struct ModProxySpec: Sendable, Equatable {
    public enum LBMethod: String, Sendable, CaseIterable {
        /// Weighted request counting (mod_lbmethod_byrequests.c).
        case byrequests
        /// The member with the fewest requests in flight, ties by byrequests' count
        /// (mod_lbmethod_bybusyness.c is_best_bybusyness).
        case bybusyness
    }
    public var lbmethod = LBMethod.byrequests
    /// loadfactor per Tomcat host (absent: 1).
    public var loadfactor: [String: Int] = [:]
    /// stickysession=JSESSIONID|jsessionid: follow the route after the cookie's dot. The
    /// balancer has no sticky session unless it is configured.
    public var stickySession = false
    /// nofailover=On: a session whose member is unusable gets a 503 instead of another member.
    public var noFailover = false
    /// Failover attempts after the first member (nil: one less than the members,
    /// mod_proxy_balancer.c:128-129).
    public var maxAttempts: Int?
    /// A member in error is not tried again for this long (PROXY_WORKER_DEFAULT_RETRY 60).
    public var retry: SimTime = Time.s(60)
    /// With every member in error, clear them all and try anyway (forcerecovery On).
    public var forceRecovery = true
    /// Connect timeout to a member (connectiontimeout; unset: the server's Timeout 60 s).
    public var connectionTimeout: SimTime = Time.s(60)
    /// How long to wait for the member's reply (ProxyTimeout; unset: Timeout 60 s).
    public var timeout: SimTime = Time.s(60)
    /// BalancerMember ping: a request with a body (a write page's POST) is sent with
    /// `Expect: 100-continue` and the member must answer 100 within this (0: unset, no test;
    /// mod_proxy.h PROXY_SHOULD_PING_100_CONTINUE).
    public var ping: SimTime = 0
    /// BalancerMember status=+H, by Tomcat host: a hot standby, chosen only when no other
    /// member is usable (proxy_util.c proxy_balancer_get_best_worker).
    public var hotStandby: Set<String> = []
    /// failonstatus: a reply with one of these statuses puts its member in error (it still
    /// goes to the user; mod_proxy_balancer.c proxy_balancer_post_request). Empty: none.
    public var failOnStatus: [Int16] = []
    public init() {}
}

/// The balancer's members and their shared-memory state; the choice of a member and what a
/// failure does, as mod_proxy.c proxy_handler's loop and mod_proxy_balancer.c do it.
struct ProxyBalancer: RequestBalancer {
    struct Worker {
        var lbfactor: Int
        var lbstatus = 0
        /// Requests in flight (ap_proxy_increment_busy_count).
        var busy = 0
        var inError = false
        var errorTime: SimTime = 0
        var activation = JKBalancer.Activation.active
        var hotStandby = false
    }
    var workers: [Worker]
    let spec: ModProxySpec
    let maxAttempts: Int

    init(names: [String], spec: ModProxySpec) {
        self.spec = spec
        // recalc_factors: a single member's factor is 100.
        workers = names.map { Worker(lbfactor: names.count == 1 ? 100 : max(1, spec.loadfactor[$0] ?? 1),
                                     hotStandby: spec.hotStandby.contains($0)) }
        maxAttempts = spec.maxAttempts ?? max(0, names.count - 1)
    }

    var memberCount: Int { workers.count }
    var port: Int { Tomcat.httpPort }
    var connectTimeout: SimTime { spec.connectionTimeout }
    var replyTimeout: SimTime { spec.timeout }
    var memberAttempts: Int { 1 }
    var memberRetryInterval: SimTime { 0 }
    /// Its own rule, in `failed`: what went out is never sent again.
    func recoverable(_ how: MemberFailure, _ kind: RequestKind) -> Bool { true }
    /// No maintenance pass: a member in error is retried by the request that looks at it once
    /// `retry` is over (ap_proxy_retry_worker).
    var maintenanceInterval: SimTime? { nil }
    /// `ping` on HTTP: the 100-continue wait of a request with a body, on every connection.
    var probes: ConnectionProbes { ConnectionProbes(beforeRequest: spec.ping, bodyOnly: true) }
    var moduleName: String { "mod_proxy_balancer" }
    var errorWord: String { "in error state" }
    var recoveryWord: String { "marked for retry" }

    /// PROXY_WORKER_IS_USABLE: not in error, not Disabled/Stopped (a Draining member is usable
    /// for its own sessions only).
    private func usable(_ i: Int) -> Bool { !workers[i].inError && workers[i].activation != .stopped }

    /// ap_proxy_retry_worker: out of error once `retry` has passed since the error.
    private mutating func retried(_ i: Int, now: SimTime) {
        if workers[i].inError && now > workers[i].errorTime + spec.retry { workers[i].inError = false }
    }

    /// proxy_handler's loop: pre_request (force_recovery, find_session_route, then the
    /// lbmethod's finder), `maxattempts` more tries after a recoverable failure, then 503.
    mutating func next(_ a: inout BalanceAttempt, route: Int32, now: SimTime) -> BalanceStep {
        guard a.attempt <= maxAttempts else { return .fail(503) }
        forceRecovery(now: now)
        var chosen: Int?
        if spec.stickySession, route >= 0, Int(route) < workers.count {
            let r = Int(route)
            retried(r, now: now)
            if usable(r) {
                // pre_request's default status update so routed requests count too.
                var total = 0
                for i in workers.indices where usable(i) { workers[i].lbstatus += workers[i].lbfactor; total += workers[i].lbfactor }
                workers[r].lbstatus -= total
                chosen = r
            } else if spec.noFailover {
                return .fail(503)
            }
        }
        if chosen == nil { chosen = best(now: now) }
        guard let i = chosen else { return .fail(503) }
        a.attempt += 1
        workers[i].busy += 1
        return .member(i)
    }

    /// ap_proxy_balancer_get_best_worker with the lbmethod's is_best: every usable, not
    /// draining member gains its lbfactor; the best loses the total. Hot standbys are looked
    /// at only when no other member is usable (proxy_util.c:1470-1479).
    private mutating func best(now: SimTime) -> Int? {
        if let b = best(standbys: false, now: now) { return b }
        return best(standbys: true, now: now)
    }

    private mutating func best(standbys: Bool, now: SimTime) -> Int? {
        var best: Int?
        var total = 0
        for i in workers.indices where workers[i].activation == .active && workers[i].hotStandby == standbys {
            retried(i, now: now)
            guard usable(i) else { continue }
            workers[i].lbstatus += workers[i].lbfactor
            total += workers[i].lbfactor
            guard let b = best else { best = i; continue }
            switch spec.lbmethod {
            case .byrequests:
                if workers[i].lbstatus > workers[b].lbstatus { best = i }
            case .bybusyness:
                if workers[i].busy < workers[b].busy
                    || (workers[i].busy == workers[b].busy && workers[i].lbstatus > workers[b].lbstatus) { best = i }
            }
        }
        if let b = best { workers[b].lbstatus -= total }
        return best
    }

    /// force_recovery: with every member in error (and none out of its retry time), clear
    /// them all.
    private mutating func forceRecovery(now: SimTime) {
        for i in workers.indices {
            retried(i, now: now)
            if !workers[i].inError { return }
        }
        if spec.forceRecovery { for i in workers.indices { workers[i].inError = false } }
    }

    mutating func answered(_ i: Int, status: Int16, now: SimTime) -> MemberChange? {
        workers[i].busy -= 1
        guard spec.failOnStatus.contains(status) else { return nil }
        let newly = !workers[i].inError
        workers[i].inError = true
        workers[i].errorTime = now
        return newly ? .inError : nil
    }

    /// A connect failure is mod_proxy_http's 503, recoverable: the member goes into error and
    /// the loop tries another. Once the request went out, a closed connection is "Error
    /// reading from remote server", 502, and a reply timeout 504: neither moves the request
    /// nor puts the member in error (failontimeout and failonstatus are off by default).
    mutating func failed(_ i: Int, _ how: MemberFailure, _ a: inout BalanceAttempt, now: SimTime) -> (newlyInError: Bool, answer: Int16?) {
        workers[i].busy -= 1
        switch how {
        case .connect, .ping:
            // A 100-continue that does not come is a 503 too (mod_proxy_http.c:2158-2164
            // retries it once on a new connection; hasim goes to the balancer at once).
            let newly = !workers[i].inError
            workers[i].inError = true
            workers[i].errorTime = now
            return (newly, nil)
        case .afterSend: return (false, 502)
        case .replyTimeout: return (false, 504)
        }
    }

    mutating func maintain(at now: SimTime) -> [Int] { [] }

    mutating func setActivation(_ i: Int, _ a: JKBalancer.Activation) { workers[i].activation = a }
}
