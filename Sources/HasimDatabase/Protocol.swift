import HasimKernel
import HasimNetwork

/// A MySQL error as a DBA would recognise it: the real code and wording.
public struct MySQLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "ERROR \(code): \(message)" }

    public static func duplicateKey(_ key: Int64) -> MySQLError {
        MySQLError(code: 1062, message: "Duplicate entry '\(key)' for key 'PRIMARY'")
    }
    public static func rowNotFound(_ table: Table) -> MySQLError {
        MySQLError(code: 1032, message: "Can't find record in '\(table)'")
    }
    public static let readOnly = MySQLError(code: 1290, message: "The MySQL server is running with the --read-only option so it cannot execute this statement")
    public static let superReadOnly = MySQLError(code: 1290, message: "The MySQL server is running with the --super-read-only option so it cannot execute this statement")
    public static func cannotConnect(_ host: String, timedOut: Bool) -> MySQLError {
        MySQLError(code: 2003, message: "Can't connect to MySQL server on '\(host)' (\(timedOut ? 110 : 111))")
    }
    /// ER_LOCK_WAIT_TIMEOUT, also what a statement gets when lock_wait_timeout ends its metadata-lock wait.
    public static let lockWaitTimeout = MySQLError(code: 1205, message: "Lock wait timeout exceeded; try restarting transaction")
    public static let lostConnection = MySQLError(code: 2013, message: "Lost connection to MySQL server during query")
    public static let goneAway = MySQLError(code: 2006, message: "MySQL server has gone away")
    public static let notReplica = MySQLError(code: 1200, message: "The server is not configured as slave; fix in config file or with CHANGE MASTER TO")
    public static let autoPositionNeedsGTIDs = MySQLError(code: 1777, message: "CHANGE MASTER TO MASTER_AUTO_POSITION = 1 cannot be executed because @@GLOBAL.GTID_MODE = OFF.")
    public static let replicaRunning = MySQLError(code: 1198, message: "This operation cannot be performed with a running slave; run STOP SLAVE first")
}

/// What a client (application, DBA, HA tool) asks a server.
public enum Query: Sendable, Equatable {
    /// INSERT INTO <table> (value) VALUES (<txid>): auto-increment key.
    case insert(table: Table, txid: Int64)
    /// UPDATE <table> SET value = value + 1 WHERE id = <key>.
    case update(table: Table, key: Int64, txid: Int64)
    /// SELECT 1.
    case ping
    case setReadOnly(Bool)
    /// SET GLOBAL super_read_only: also refuses writes from SUPER sessions (the tools'
    /// own statements); ON implies read_only ON. Replication threads still apply.
    case setSuperReadOnly(Bool)
    case stopReplica
    /// STOP SLAVE IO_THREAD: nothing more is received; the SQL thread applies what was.
    case stopReplicaIOThread
    case startReplica
    /// RESET SLAVE ALL: forget the source.
    case resetReplicaAll
    /// CHANGE MASTER TO MASTER_HOST=..., MASTER_AUTO_POSITION=1.
    case changeSource(IPAddress)
    /// CHANGE MASTER TO MASTER_HOST=..., MASTER_LOG_FILE/POS: start at a binlog
    /// position of the new source (here: an index into its binary log), no GTID filtering.
    case changeSourceToPosition(IPAddress, position: Int)
    /// SELECT id, value FROM <table> ORDER BY id DESC LIMIT 1: what other sessions can see.
    case selectLatest(table: Table)
    /// `mysqlbinlog events | mysql`: applies transactions with their original GTIDs
    /// (SET GTID_NEXT), skipping those already executed; stops at the first error.
    case applyEvents([BinlogEvent])
    /// KILL every client connection (not replication threads).
    case killClientSessions
    case showReplicaStatus
    /// SELECT @@GLOBAL.gtid_executed, @@read_only.
    case showMasterStatus
    /// SHOW STATUS LIKE 'wsrep%' (a server without wsrep answers an empty set).
    case showWsrepStatus
    /// SET GLOBAL wsrep_provider_options='...', e.g. 'pc.bootstrap=YES'.
    case setWsrepProviderOptions(String)
    /// FLUSH TABLES WITH READ LOCK in the tool's own session (MHA's online switch holds it
    /// until its UNLOCK TABLES; here the lock outlives the short connection that took it).
    case flushTablesWithReadLock
    /// UNLOCK TABLES, or a DBA's KILL of the session holding the read lock or the long query.
    case unlockTables
    /// Skip the event the stopped SQL thread failed on: MySQL with GTIDs an empty transaction
    /// with its GTID (SET GTID_NEXT; BEGIN; COMMIT), otherwise SET GLOBAL sql_slave_skip_counter=1.
    case skipReplicaEvent

    public var isWrite: Bool {
        if case .applyEvents = self { return false }
        switch self {
        case .insert, .update: return true
        default: return false
        }
    }
}

public struct ReplicaStatus: Sendable, Equatable {
    /// "Yes", "Connecting" or "No", as SHOW SLAVE STATUS prints it.
    public var ioRunning: String
    public var sqlRunning: Bool
    public var source: IPAddress?
    public var lastIOError: MySQLError?
    public var lastSQLError: MySQLError?
    public var retrieved: GTIDSet
    public var executed: GTIDSet
    /// Transactions received but not applied yet.
    public var relayLogPending: Int
    /// Seconds_Behind_Master (nil = NULL: SQL thread stopped or IO not connected).
    public var secondsBehind: SimTime?
    /// MySQL's Auto_Position = 1 / MariaDB's Using_Gtid != No: the source sends what the
    /// replica's GTID set lacks. false: file and position.
    public var autoPosition: Bool = true
    /// Read_Master_Log_Pos / Exec_Master_Log_Pos of a file/position replica: how far into the
    /// source's binary log the IO thread has received and the SQL thread has applied (here an
    /// index of events, one binlog file); nil when it replicates by GTID.
    public var readMasterLogPos: Int? = nil
    public var execMasterLogPos: Int? = nil
}

public enum QueryResult: Sendable, Equatable {
    case ok(affected: Int, insertID: Int64?)
    case error(MySQLError)
    case replicaStatus(ReplicaStatus?)
    case masterStatus(executed: GTIDSet, readOnly: Bool, binlogPosition: Int)
    /// A row as read: its key and the transaction that last wrote it.
    case row(key: Int64, txid: Int64)
    case empty
    case wsrepStatus(WsrepStatus)
}

/// What SHOW STATUS LIKE 'wsrep%' tells a DBA about a Galera node.
public struct WsrepStatus: Sendable, Equatable {
    /// wsrep_cluster_status: Primary, non-Primary, Disconnected.
    public var clusterStatus: String
    /// wsrep_local_state: 1 Joining, 2 Donor/Desynced, 3 Joined, 4 Synced.
    public var localState: Int
    /// wsrep_last_committed: the node's position in the cluster's history.
    public var lastCommitted: Int64
    public init(clusterStatus: String, localState: Int, lastCommitted: Int64) {
        self.clusterStatus = clusterStatus
        self.localState = localState
        self.lastCommitted = lastCommitted
    }
}

/// Client protocol messages.
public struct QueryMessage: WireMessage {
    public var id: Int64
    public var query: Query
    public init(id: Int64, query: Query) {
        self.id = id
        self.query = query
    }
}

public struct ResultMessage: WireMessage {
    public var id: Int64
    public var result: QueryResult
    /// The server that executed the query (ground truth for the ledger, not
    /// something a real client would see through a VIP).
    public var server: String
}

/// Replication protocol messages.
struct BinlogDumpRequest: WireMessage {
    var replicaServerID: UInt32
    var gtids: GTIDSet
    /// Start at this binlog index instead of filtering by GTID (file/position replication).
    var position: Int?
    /// MariaDB GTID replication: start after `startAfter` (nil: from the beginning).
    var mariadbGTID = false
    var startAfter: GTID?
    /// The replica is a semi-sync replica and will ACK.
    var semiSync: Bool
}

struct BinlogEventMessage: WireMessage {
    var event: BinlogEvent
    /// Index of the event in the source's binary log (its "position").
    var index: Int
    /// The source wants an ACK for this event (semi-sync is ON).
    var needsAck: Bool
}

/// Semi-sync reply: the replica has written (and flushed) events up to `index`.
struct SemiSyncAck: WireMessage {
    var replicaServerID: UInt32
    var index: Int
}

struct HeartbeatMessage: WireMessage {}

/// The dump thread refuses the request (ER_MASTER_FATAL_ERROR_READING_BINLOG, 1236 on the
/// replica) and closes the connection.
struct BinlogDumpError: WireMessage {
    var message: String
}
