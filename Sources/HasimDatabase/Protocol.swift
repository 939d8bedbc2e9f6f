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
    /// mysqlbinlog --read-from-remote-server --exclude-gtids=SET: this server's binary log
    /// events whose GTID is not in SET, in binlog order (read over the dump protocol, so
    /// mysqld must be up; purged files are gone).
    case readBinlog(excluding: GTIDSet)

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
    /// Binary log events as mysqlbinlog prints them (readBinlog).
    case events([BinlogEvent])
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
///
/// A query and its answer cross the network once per write, each moved into an
/// `any WireMessage`, whose inline buffer holds 24 bytes: a larger value is boxed there, a
/// malloc and a free per message (issue 15: a `Query` takes 25 bytes, a `QueryResult` and the
/// server's name more). So the statements and answers of a write are packed into three words,
/// and any other is kept whole in a box; each reads back exactly as given
/// (`ClientMessageTests`).
public struct QueryMessage: WireMessage {
    /// The query id; for a packed update, the row's key above bit 40 (`Packed.keyShift`).
    private let word: Int64
    /// A packed statement: its kind (top 2 bits), table (next 6) and txid (low 56).
    private let packed: UInt64
    private let boxed: QueryBox?

    public init(id: Int64, query: Query) {
        switch query {
        case .insert(let t, let txid) where Packed.fits(txid: txid, table: t):
            word = id
            packed = Packed.insert | UInt64(t.rawValue) << Packed.tableShift | UInt64(txid)
            boxed = nil
        case .update(let t, let key, let txid) where Packed.fits(txid: txid, table: t)
                && id >= 0 && id < Packed.idLimit && key >= 0 && key < Packed.keyLimit:
            word = id | key << Packed.keyShift
            packed = Packed.update | UInt64(t.rawValue) << Packed.tableShift | UInt64(txid)
            boxed = nil
        default:
            word = id
            packed = 0
            boxed = QueryBox(query)
        }
    }

    public var id: Int64 { packed & Packed.kindMask == Packed.update ? word & (Packed.idLimit - 1) : word }

    public var query: Query {
        if let boxed { return boxed.query }
        let w = packedWrite!
        return w.isUpdate ? .update(table: w.table, key: w.key, txid: w.txid) : .insert(table: w.table, txid: w.txid)
    }

    /// A packed INSERT's or UPDATE's fields (`key` 0 for an insert; nil for any other
    /// statement, `query` then tells it): what the server reads for each write, without
    /// building the `Query`.
    public var packedWrite: (table: Table, isUpdate: Bool, key: Int64, txid: Int64)? {
        if boxed != nil { return nil }
        let table = Table(rawValue: UInt8(truncatingIfNeeded: packed >> Packed.tableShift) & 0x3F)!
        let txid = Int64(packed & Packed.txidMask)
        let isUpdate = packed & Packed.kindMask == Packed.update
        return (table, isUpdate, isUpdate ? word >> Packed.keyShift : 0, txid)
    }

    private enum Packed {
        static let insert: UInt64 = 1 << 62
        static let update: UInt64 = 2 << 62
        static let kindMask: UInt64 = 3 << 62
        static let tableShift: UInt64 = 56
        static let txidMask: UInt64 = 1 << 56 - 1
        static let keyShift: Int64 = 40
        static let idLimit: Int64 = 1 << 40
        static let keyLimit: Int64 = 1 << 23

        static func fits(txid: Int64, table: Table) -> Bool {
            txid >= 0 && UInt64(txid) <= txidMask && table.rawValue < 64
        }
    }
}

/// A statement that does not pack into a `QueryMessage`'s words.
final class QueryBox {
    let query: Query
    init(_ query: Query) { self.query = query }
}

public struct ResultMessage: WireMessage {
    public let id: Int64
    /// The answering server's `ServerNames` index (top 16 bits); a packed OK's kind (next 2: 1
    /// without an insert id, 2 with one), rows affected (next 6) and insert id (low 40).
    private let packed: UInt64
    private let boxed: ResultBox?

    /// `server`: the server that executed the query, as its `ServerNames` index (ground truth
    /// for the ledger, not something a real client would see through a VIP).
    public init(id: Int64, result: QueryResult, server: UInt16) {
        if case .ok(let affected, let insertID) = result {
            self.init(id: id, okAffected: affected, insertID: insertID, server: server)
        } else {
            self.init(id: id, packed: UInt64(server) << Packed.serverShift, boxed: ResultBox(result))
        }
    }

    /// An OK answer, given by its fields: the same message as `.ok(affected:insertID:)` gives,
    /// without building that `QueryResult` (a 202-byte enum, copied on its way in) for each
    /// acknowledged write.
    public init(id: Int64, okAffected affected: Int, insertID: Int64?, server: UInt16) {
        var bits = UInt64(server) << Packed.serverShift
        if affected >= 0, affected < Packed.affectedLimit, insertID.map({ $0 >= 0 && $0 < Packed.insertLimit }) ?? true {
            bits |= (insertID == nil ? Packed.okWithoutID : Packed.okWithID) | UInt64(affected) << Packed.affectedShift
            if let insertID { bits |= UInt64(insertID) }
            self.init(id: id, packed: bits, boxed: nil)
        } else {
            self.init(id: id, packed: bits, boxed: ResultBox(.ok(affected: affected, insertID: insertID)))
        }
    }

    private init(id: Int64, packed: UInt64, boxed: ResultBox?) {
        self.id = id
        self.packed = packed
        self.boxed = boxed
    }

    public init(id: Int64, result: QueryResult, server: String) {
        self.init(id: id, result: result, server: ServerNames.index(server))
    }

    /// The server that executed the query, as its `ServerNames` index.
    public var serverIndex: UInt16 { UInt16(truncatingIfNeeded: packed >> Packed.serverShift) }
    public var server: String { ServerNames.name(serverIndex) }

    public var result: QueryResult {
        if let boxed { return boxed.result }
        let ok = packedOK!
        return .ok(affected: ok.affected, insertID: ok.insertID)
    }

    /// A packed OK's fields (nil for any other answer, `result` then tells it): what a client
    /// reads for nearly every answer, without building and copying the `QueryResult`.
    public var packedOK: (affected: Int, insertID: Int64?)? {
        if boxed != nil { return nil }
        let affected = Int((packed >> Packed.affectedShift) & UInt64(Packed.affectedLimit - 1))
        let kind = packed & Packed.kindMask
        return (affected, kind == Packed.okWithID ? Int64(packed & UInt64(Packed.insertLimit - 1)) : nil)
    }

    private enum Packed {
        static let serverShift: UInt64 = 48
        static let okWithoutID: UInt64 = 1 << 46
        static let okWithID: UInt64 = 2 << 46
        static let kindMask: UInt64 = 3 << 46
        static let affectedShift: UInt64 = 40
        static let affectedLimit = 64
        static let insertLimit: Int64 = 1 << 40
    }
}

/// An answer that does not pack into a `ResultMessage`'s words.
final class ResultBox {
    let result: QueryResult
    init(_ result: QueryResult) { self.result = result }
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

// BinlogEventMessage, BinlogEventWhole: BinlogStream.swift.

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
