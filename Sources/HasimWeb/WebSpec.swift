import HasimKernel

/// The `web:` section of a scenario: virtual users in front of Apache httpd + mod_jk (or
/// Tomcat directly), Tomcats whose JDBC pools write to the database (docs/web-tier.md).
public struct WebSpec: Sendable, Equatable {
    public var users = UsersSpec()
    /// nil: the users talk HTTP to the Tomcats directly (user i to Tomcat i mod n).
    public var apache: ApacheSpec?
    public var modJK = ModJKSpec()
    /// An L4 balancer in front of the Apaches; nil: user i goes to Apache i mod n.
    public var l4: L4Spec?
    /// mod_proxy_balancer instead of mod_jk (nil: mod_jk).
    public var modProxy: ModProxySpec?
    public var tomcat = TomcatSpec()
    public init() {}
}

/// Closed-loop virtual users, as nGrinder or JMeter drive them: think, request, wait.
public struct UsersSpec: Sendable, Equatable {
    /// The load generator's host.
    public var client = ""
    public var count = 100
    /// Median think time between a response and the next request (lognormal).
    public var thinkTime: SimTime = Time.s(3)
    public var thinkSigma = 0.5
    /// Pages per session: the user logs out after this many and logs in again.
    public var sessionPages = 20
    /// Fractions of static, read and write requests (they sum to 1).
    public var mix: (staticFile: Double, read: Double, write: Double) = (0.7, 0.25, 0.05)
    /// The load tool's response timeout: no answer by then is a failed request (status 0).
    public var timeout: SimTime = Time.s(60)
    public var requestBytes = 600
    public var staticBytes = 20_000
    public var pageBytes = 8_000
    public init() {}

    public static func == (a: UsersSpec, b: UsersSpec) -> Bool {
        a.client == b.client && a.count == b.count && a.thinkTime == b.thinkTime && a.thinkSigma == b.thinkSigma
            && a.sessionPages == b.sessionPages && a.mix == b.mix && a.timeout == b.timeout
            && a.requestBytes == b.requestBytes && a.staticBytes == b.staticBytes && a.pageBytes == b.pageBytes
    }
}

/// Apache httpd (event MPM) with mod_jk.
public struct ApacheSpec: Sendable, Equatable {
    public var hosts: [String] = []
    /// Requests served at once (event MPM: ServerLimit 16 x ThreadsPerChild 25 = 400).
    public var maxRequestWorkers = 400
    /// Child processes (event MPM StartServers 3): each has its own mod_jk connection pool.
    /// hasim keeps this many; Apache spawns more only when fewer than MinSpareThreads (75)
    /// threads are idle.
    public var processes = 3
    /// Connections waiting beyond the workers (ListenBacklog 511).
    public var listenBacklog = 511
    /// CPU time to serve one static file from the page cache.
    public var staticTime: SimTime = Time.us(200)
    /// KeepAliveTimeout (Apache 2.4: 5 s) and MaxKeepAliveRequests (100); 0: off, hasim's
    /// default so that runs from before them keep their results (users keep their connections).
    public var keepAliveTimeout: SimTime = 0
    public var maxKeepAliveRequests = 0
    public init() {}
}

/// The mod_jk `lb` worker and its AJP member workers (workers.properties).
public struct ModJKSpec: Sendable, Equatable {
    /// lbfactor per Tomcat host (absent: 1).
    public var lbfactor: [String: Int] = [:]
    public var stickySession = true
    public var stickySessionForce = false
    /// Rounds over the members before giving up (JK_RETRIES 2).
    public var retries = 2
    /// Sleep between two rounds, and between two attempts of an AJP worker (JK_SLEEP_DEF 100 ms).
    public var retryInterval: SimTime = Time.ms(100)
    /// The AJP member worker's own `retries` (JK_RETRIES 2): attempts on the same Tomcat, each
    /// on another pooled connection or a new one, before the lb worker hears of a failure
    /// (jk_ajp_common.c ajp_service).
    public var ajpRetries = 2
    /// recovery_options (AJP_DEF_RECOVERY_OPTS 0): 1 no recovery once Tomcat has the request,
    /// 2 none once it sent headers, 4 close the connection on a client error, 8 always
    /// recover a HEAD, 16 always recover a GET (jk_ajp_common.h RECOVER_*).
    public var recoveryOptions = 0
    /// How long a member in ERROR is left alone (WAIT_BEFORE_RECOVER 60 s).
    public var recoverTime: SimTime = Time.s(60)
    /// The maintenance pass that moves ERROR members to RECOVER (worker.maintain 60 s).
    public var maintain: SimTime = Time.s(60)
    /// AJP connect timeout; 0: the kernel's (Linux: SYN retries give up after about 127 s).
    public var socketConnectTimeout: SimTime = 0
    /// How long mod_jk waits for Tomcat's reply; 0: forever (the TCP connection's own end).
    public var replyTimeout: SimTime = 0
    /// ping_mode: when mod_jk sends a CPing and waits for Tomcat's CPong (none by default,
    /// jk_ajp_common.c: jk_get_worker_ping_mode(..., AJP_CPING_NONE)).
    public var pingMode: AJPPingMode = []
    /// ping_timeout: the wait for a CPong (AJP_DEF_PING_TIMEOUT 10000 ms).
    public var pingTimeout: SimTime = Time.s(10)
    /// connection_pool_timeout: idle AJP connections are closed by the maintenance pass
    /// after this long (0: kept, AJP_DEF_CACHE_TIMEOUT 0).
    public var connectionPoolTimeout: SimTime = 0
    /// error_escalation_time: a member with a local error (connect, CPing, send) goes to
    /// ERROR for every request only after this long (nil: recover_time / 2, jk_lb_worker.c).
    public var errorEscalationTime: SimTime?
    /// The effective error_escalation_time.
    public var escalation: SimTime { errorEscalationTime ?? recoverTime / 2 }
    public init() {}
}

/// mod_jk's ping_mode letters (jk_ajp_common.h AJP_CPING_*): C a CPing on each new
/// connection (its timeout is connect_timeout), P before each request (prepost_timeout), I on
/// connections idle for connection_ping_interval at the maintenance pass; A all three.
public struct AJPPingMode: OptionSet, Sendable, Equatable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let connect = AJPPingMode(rawValue: 1)
    public static let prepost = AJPPingMode(rawValue: 2)
    public static let interval = AJPPingMode(rawValue: 4)
    public static let all: AJPPingMode = [.connect, .prepost, .interval]

    /// jk_ajp_get_cping_mode: each of C, P, I (either case) sets its bit; A sets all.
    public init?(letters: String) {
        var m: AJPPingMode = []
        for ch in letters.uppercased() {
            switch ch {
            case "C": m.insert(.connect)
            case "P": m.insert(.prepost)
            case "I": m.insert(.interval)
            case "A": m = .all
            default: return nil
            }
        }
        self = m
    }
}

/// How Tomcats share sessions (<distributable/> plus a <Cluster> in server.xml).
public enum SessionReplication: String, Sendable, Equatable, CaseIterable {
    /// StandardManager: sessions live in one JVM's memory only.
    case none
    /// DeltaManager: every change is sent to every other member (asynchronously, the
    /// SimpleTcpCluster default channelSendOptions 8).
    case delta
    /// BackupManager: one backup member per session, sent synchronously (mapSendOptions 6).
    case backup
}

public struct TomcatSpec: Sendable, Equatable {
    public var hosts: [String] = []
    /// Connector maxThreads: requests served at once.
    public var maxThreads = 200
    /// Connector acceptCount: requests that wait for a thread beyond maxThreads.
    public var acceptCount = 100
    /// CPU time of one servlet, besides its statement (and of a static file served by Tomcat).
    public var servletTime: SimTime = Time.ms(2)
    public var sessions: SessionReplication = .none
    /// Session timeout (web.xml session-config, 30 min).
    public var sessionTimeout: SimTime = Time.s(1800)
    public init() {}
}
