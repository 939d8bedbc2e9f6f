import HasimKernel

/// Where one request stands in its balancer's failover loop (mod_jk: attempts per round
/// and rounds; mod_proxy: attempts).
struct BalanceAttempt {
    var attempt = 0
    var round = 0
    /// Members that failed this request (mod_jk skips them until the next round).
    var excluded: UInt64 = 0
}

/// What the balancer tells Apache to do next with a request.
enum BalanceStep: Equatable {
    /// Forward it to member i.
    case member(Int)
    /// Sleep, then ask again.
    case wait(SimTime)
    /// Answer the user with this status.
    case fail(Int16)
}

/// How an exchange with a member failed.
enum MemberFailure {
    /// The connection could not be made or used before the request went out.
    case connect
    /// The connection closed after the request went out, before the reply.
    case afterSend
    /// No reply within the module's reply timeout.
    case replyTimeout
    /// No CPong (mod_jk ping_mode, mod_proxy `ping`) within the ping timeout on a new
    /// connection: the request never went out.
    case ping
}

/// The checks a balancer makes on its connections to a member and how long it keeps idle
/// ones (mod_jk: ping_mode, ping_timeout, connection_pool_timeout; mod_proxy: ping).
struct ConnectionProbes {
    /// CPing on a new connection, with this timeout (0: none).
    var afterConnect: SimTime = 0
    /// CPing before each request on a pooled connection, and on a new one when
    /// `afterConnect` is 0 (0: none).
    var beforeRequest: SimTime = 0
    /// At the maintenance pass, CPing every connection idle longer than this (0: none)...
    var idleInterval: SimTime = 0
    /// ...with this timeout.
    var idleTimeout: SimTime = 0
    /// At the maintenance pass, close connections idle longer than this (0: never).
    var poolTimeout: SimTime = 0
    /// The check before a request is made for requests with a body only (mod_proxy_http's
    /// 100-continue); false: for every request (mod_jk's CPing).
    var bodyOnly = false
}

/// What an answer did to its member's state (worth a line in the error log).
enum MemberChange { case backToOK, inError }

/// The module inside Apache that spreads dynamic requests over the Tomcats: mod_jk's `lb`
/// worker or mod_proxy_balancer. Its state lives in Apache's shared memory (a scoreboard
/// slot per member), so it dies with Apache.
protocol RequestBalancer {
    var memberCount: Int { get }
    /// The Tomcat connector it talks to (AJP 8009 or HTTP 8080).
    var port: Int { get }
    var connectTimeout: SimTime { get }
    /// 0: none.
    var replyTimeout: SimTime { get }
    /// Attempts on one member before the balancer hears of a failure, each on another pooled
    /// connection or a new one, `memberRetryInterval` apart (mod_jk's AJP worker `retries`;
    /// mod_proxy: 1, its balancer moves the request itself).
    var memberAttempts: Int { get }
    var memberRetryInterval: SimTime { get }
    /// Whether a failure of this kind may be tried again, on this member or another, for a
    /// request of this kind (mod_jk's recovery_options; mod_proxy: true, its `failed` decides).
    func recoverable(_ how: MemberFailure, _ kind: RequestKind) -> Bool
    /// The period of a maintenance pass (nil: none; recovery happens at request time).
    var maintenanceInterval: SimTime? { get }
    var probes: ConnectionProbes { get }
    /// The next step for this request.
    mutating func next(_ a: inout BalanceAttempt, route: Int32, now: SimTime) -> BalanceStep
    /// Member i answered with this status.
    mutating func answered(_ i: Int, status: Int16, now: SimTime) -> MemberChange?
    /// Member i failed this request. `newlyInError`: it went into error now (a trace line);
    /// `answer`: the request ends with this status instead of going on with `next`.
    mutating func failed(_ i: Int, _ how: MemberFailure, _ a: inout BalanceAttempt, now: SimTime) -> (newlyInError: Bool, answer: Int16?)
    /// The maintenance pass: members moved out of error (their indices).
    mutating func maintain(at now: SimTime) -> [Int]
    mutating func setActivation(_ i: Int, _ a: JKBalancer.Activation)
    /// How the module names itself and a member's states in its log.
    var moduleName: String { get }
    var errorWord: String { get }
    var recoveryWord: String { get }
}
