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
}

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
    /// The period of a maintenance pass (nil: none; recovery happens at request time).
    var maintenanceInterval: SimTime? { get }
    /// The next step for this request.
    mutating func next(_ a: inout BalanceAttempt, route: Int32, now: SimTime) -> BalanceStep
    /// Member i answered. true: it was not OK before (worth a trace line).
    mutating func answered(_ i: Int) -> Bool
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
