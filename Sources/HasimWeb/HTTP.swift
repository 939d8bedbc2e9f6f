import HasimKernel
import HasimNetwork

/// What a virtual user asks for: a file Apache serves from its disk, or a page a
/// servlet builds from a read or a write through Tomcat's JDBC pool.
public enum RequestKind: UInt8, Sendable, CaseIterable {
    case staticFile = 0, read, write
    public var name: String {
        switch self {
        case .staticFile: return "static"
        case .read: return "read"
        case .write: return "write"
        }
    }
}

/// A session cookie: JSESSIONID=<id>.<jvmRoute>. mod_jk reads the route after the dot
/// (jk_lb_worker.c get_sessionid/find_bysession_route); Tomcat looks the id up in its
/// session manager. id 0: the user has no session yet.
public struct SessionCookie: Sendable, Equatable {
    public var id: Int64
    /// The index of the Tomcat (its jvmRoute) that created the session; -1: none.
    public var route: Int32
    public static let none = SessionCookie(id: 0, route: -1)
    public var isNone: Bool { id == 0 }
}

/// An HTTP request (user to Apache or Tomcat) or the AJP13 forward of one (mod_jk to
/// Tomcat): the same fields travel, only the port differs.
public struct HTTPRequest: WireMessage {
    public var id: Int64
    public var kind: RequestKind
    public var cookie: SessionCookie
    /// Bytes on the wire (request line, headers, body).
    public var bytes: Int32
    public var wireBytes: Int { Int(bytes) }
}

public struct HTTPResponse: WireMessage {
    public var id: Int64
    /// 200, 500 (the servlet's statement failed), 503 (no thread, no worker); 0 is never sent.
    public var status: Int16
    /// The session the response belongs to (Set-Cookie when it is a new one).
    public var cookie: SessionCookie
    public var bytes: Int32
    /// The transaction of a write page's statement (its last attempt), 0 otherwise.
    public var txid: Int64
    public var wireBytes: Int { Int(bytes) }
}

/// mod_jk's CPing (AJP13 packet type 10, 5 bytes) or mod_proxy_http's `Expect: 100-continue`:
/// is the member's program answering on this connection?
public struct BackendPing: WireMessage {
    public var wireBytes: Int { 5 }
}

/// CPong (type 9) or `100 Continue`.
public struct BackendPong: WireMessage {
    public var wireBytes: Int { 5 }
}

/// One request as the user who sent it saw it: the users' own ledger.
public struct HTTPRecord: Sendable, Equatable {
    public var issuedAt: SimTime
    public var finishedAt: SimTime
    /// The write's transaction (0: not a write, or no answer).
    public var txid: Int64
    /// The HTTP status; 0: no HTTP answer (connection refused or reset, timeout), as load
    /// tools (JMeter, nGrinder) record a non-HTTP failure.
    public var status: Int16
    public var kind: RequestKind
    /// The user was logged out by this response: it carried a new session although the
    /// user sent one (the Tomcat that answered did not know it).
    public var sessionLost: Bool
    public var latency: SimTime { finishedAt - issuedAt }
    public var ok: Bool { status == 200 }
}

/// What the web tier leaves behind, for the metrics.
public struct WebOutcome: Sendable {
    public var records: [HTTPRecord]
    /// Sessions the users started (logins).
    public var sessionsStarted: Int
    /// Per Tomcat: its name, and the JDBC pool's index among the run's application groups.
    public var tomcats: [String]
    /// Bytes the users sent and received.
    public var bytesIn: Int64
    public var bytesOut: Int64
    /// Session replication messages sent between Tomcats (DeltaManager / BackupManager).
    public var replicationMessages: Int
    /// The L4 balancer's load (nil: none in the run).
    public var l4: L4Load? = nil
}
