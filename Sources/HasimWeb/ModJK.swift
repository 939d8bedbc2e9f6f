import HasimKernel

/// mod_jk's `lb` worker: the members' shared state and the choice of a member for one
/// request, as native/common/jk_lb_worker.c (tomcat-connectors, commit fdb5700f1) does it.
public struct JKBalancer {
    enum State: String { case ok = "OK", error = "ERR", recovering = "ERR/REC", probing = "ERR/PRB" }

    struct Member {
        var name: String
        var route: Int32
        /// lb_mult: the least common multiple of the lbfactors over this one's, so that
        /// lb_value grows slower for a larger lbfactor (jk_lb_worker.c update_mult).
        var mult: Int
        var value = 0
        var state = State.ok
        var lastError: SimTime = 0
        /// first_error_time: the first of a run of local errors (0: none since the last success).
        var firstError: SimTime = 0
        /// The AJP worker's busy count: requests being served by it now.
        var busy = 0
        var activation = Activation.active
    }

    /// A member's activation, as an administrator sets it in the jkstatus worker (or
    /// `activation` in workers.properties): Disabled takes no new session but keeps serving
    /// its sticky ones (a drain); Stopped takes no request at all (a removal).
    public enum Activation: String, Sendable { case active = "A", disabled = "D", stopped = "S" }

    var members: [Member]
    let spec: ModJKSpec

    init(names: [String], spec: ModJKSpec) {
        self.spec = spec
        let factors = names.map { max(1, spec.lbfactor[$0] ?? 1) }
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let lcm = factors.reduce(1) { $0 / gcd($0, $1) * $1 }
        members = names.enumerated().map { i, n in Member(name: n, route: Int32(i), mult: lcm / factors[i]) }
    }

    /// Usable for a new request: not in ERROR (JK_WORKER_USABLE: OK, RECOVER; a PROBE is
    /// already being tried by another request).
    static func usable(_ s: State) -> Bool { s == .ok || s == .recovering }

    /// get_most_suitable_worker: the session's route when sticky and usable
    /// (find_bysession_route), else the usable member with the lowest lb_value
    /// (find_best_byvalue, method Request). `excluded`: members that failed this request.
    /// nil: none (with sticky_session_force, a sticky route whose member is down is final).
    func choose(route: Int32, excluded: UInt64) -> Int? {
        func ok(_ i: Int) -> Bool { excluded & (1 << UInt64(i)) == 0 && Self.usable(members[i].state) }
        // JK_WORKER_USABLE_STICKY: any activation but Stopped; JK_WORKER_USABLE: Active only.
        if spec.stickySession, route >= 0, Int(route) < members.count {
            if ok(Int(route)) && members[Int(route)].activation != .stopped { return Int(route) }
            if spec.stickySessionForce { return nil }
        }
        var best: Int?
        for i in members.indices where ok(i) && members[i].activation == .active {
            if best == nil || members[i].value < members[best!].value { best = i }
        }
        return best
    }

    /// A request goes to member i: its lb_value grows by its mult; a RECOVER member is
    /// being probed by this request (jk_lb_worker.c service: JK_LB_STATE_PROBE).
    mutating func elected(_ i: Int) {
        members[i].value += members[i].mult
        members[i].busy += 1
        if members[i].state == .recovering { members[i].state = .probing }
    }

    mutating func succeeded(_ i: Int) {
        members[i].state = .ok
        members[i].lastError = 0
        members[i].firstError = 0
    }

    /// The AJP exchange failed (jk_lb_worker.c service, lines 1536-1596). A reply timeout
    /// (JK_REPLY_TIMEOUT, more than max_reply_timeouts 0 of them) puts the member in ERROR at
    /// once. Any other failure (connect, CPing, a connection lost) is a local error: only this
    /// request leaves the member, unless no other request is busy on it, or
    /// error_escalation_time has passed since the first of these errors, or it is 0; then
    /// ERROR. Returns whether the member is in ERROR now.
    mutating func failed(_ i: Int, at now: SimTime, escalateAtOnce: Bool) -> Bool {
        members[i].busy -= 1
        let m = members[i]
        if escalateAtOnce || m.busy == 0 || spec.escalation == 0 || (m.firstError > 0 && now - m.firstError >= spec.escalation) {
            members[i].state = .error
        }
        if members[i].firstError == 0 || escalateAtOnce { members[i].firstError = now }
        members[i].lastError = now
        return members[i].state == .error
    }

    /// The maintenance pass (recover_workers): a member in ERROR longer than recover_time
    /// becomes RECOVER, with the current maximum lb_value so it does not take every request.
    /// Returns the members it moved.
    mutating func maintain(at now: SimTime) -> [Int] {
        let top = members.map(\.value).max() ?? 0
        var moved: [Int] = []
        for i in members.indices {
            if members[i].state == .error {
                guard now - members[i].lastError > spec.recoverTime else { continue }
                members[i].state = .recovering
                members[i].value = top
                moved.append(i)
            } else if members[i].firstError > 0, now - members[i].firstError >= spec.escalation, members[i].state != .recovering {
                // Local errors for error_escalation_time: ERROR for every request now
                // (recover_workers, lines 626-634; last_error_time stays the last error's).
                members[i].state = .error
            }
        }
        return moved
    }
}

extension JKBalancer: RequestBalancer {
    var memberCount: Int { members.count }
    var port: Int { Tomcat.ajpPort }
    /// socket_connect_timeout 0 leaves it to the kernel: Linux gives up on SYNs after ~127 s.
    var connectTimeout: SimTime { spec.socketConnectTimeout > 0 ? spec.socketConnectTimeout : Time.s(127) }
    var replyTimeout: SimTime { spec.replyTimeout }
    var memberAttempts: Int { spec.ajpRetries }
    var memberRetryInterval: SimTime { spec.retryInterval }

    /// recovery_options (jk_ajp_common.c ajp_get_reply, lines 2310-2330): bit 1
    /// (RECOVER_ABORT_IF_TCGETREQUEST) makes a request Tomcat already had unrecoverable, unless
    /// bit 16 (RECOVER_ALWAYS_HTTP_GET) and it is a GET. A failure before the request went out
    /// (connect, CPing) is always recoverable. (Bit 2 concerns failures after the reply's
    /// headers, which hasim's one-message replies do not have.)
    func recoverable(_ how: MemberFailure, _ kind: RequestKind) -> Bool {
        switch how {
        case .connect, .ping: return true
        case .afterSend, .replyTimeout:
            guard spec.recoveryOptions & 1 != 0 else { return true }
            return spec.recoveryOptions & 16 != 0 && kind != .write
        }
    }
    var maintenanceInterval: SimTime? { spec.maintain }
    /// ajp_worker init (jk_ajp_common.c:3132-3150): with C, connect_timeout = ping_timeout;
    /// with P, prepost_timeout = ping_timeout; with I, connection_ping_interval =
    /// ping_timeout / 100 seconds (ten times the timeout). connection_pool_timeout is
    /// cache_timeout (jk_util.c CACHE_TIMEOUT_OF_WORKER).
    var probes: ConnectionProbes {
        let m = spec.pingMode, t = spec.pingTimeout
        return ConnectionProbes(afterConnect: m.contains(.connect) ? t : 0, beforeRequest: m.contains(.prepost) ? t : 0,
                                idleInterval: m.contains(.interval) ? t * 10 : 0, idleTimeout: t,
                                poolTimeout: spec.connectionPoolTimeout)
    }
    var moduleName: String { "mod_jk" }
    var errorWord: String { "in ERR" }
    var recoveryWord: String { "in ERR/REC (recover_time over)" }

    /// One pass of jk_lb_worker.c service(): up to min(members, lb_retries) members per
    /// round (JK_LB_RETRIES 2, jk_service.h:38), `retries` rounds with `retry_interval`
    /// between them, then 503.
    mutating func next(_ a: inout BalanceAttempt, route: Int32, now: SimTime) -> BalanceStep {
        let perRound = min(members.count, 2)
        if a.attempt < perRound, let i = choose(route: route, excluded: a.excluded) {
            elected(i)
            a.attempt += 1
            return .member(i)
        }
        a.round += 1
        guard a.round < spec.retries else { return .fail(503) }
        a.attempt = 0
        a.excluded = 0
        return .wait(spec.retryInterval)
    }

    mutating func answered(_ i: Int, status: Int16, now: SimTime) -> MemberChange? {
        let wasNotOK = members[i].state != .ok
        members[i].busy -= 1
        succeeded(i)
        return wasNotOK ? .backToOK : nil
    }

    /// ERROR with last_error_time, and the request goes on to another member whatever phase
    /// it failed in: recovery_options defaults to 0 (jk_ajp_common.h:237 AJP_DEF_RECOVERY_OPTS),
    /// none of the RECOVER_ABORT_IF_TC* bits (:253-254), so a request Tomcat already received is
    /// sent again to another member, a POST included.
    mutating func failed(_ i: Int, _ how: MemberFailure, _ a: inout BalanceAttempt, now: SimTime) -> (newlyInError: Bool, answer: Int16?) {
        let wasError = members[i].state == .error
        let isError = failed(i, at: now, escalateAtOnce: how == .replyTimeout)
        a.excluded |= 1 << UInt64(i)
        return (!wasError && isError, nil)
    }

    mutating func setActivation(_ i: Int, _ a: Activation) { members[i].activation = a }
}
