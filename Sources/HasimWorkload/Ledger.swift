import Foundation  // NSLock: ServerNames is shared by the runs of a process
import HasimKernel
import HasimDatabase

/// One commit the application saw acknowledged: the ground truth that loss is
/// measured against.
///
/// One per acknowledged write, kept for the whole run: 40 bytes. The fields are declared
/// widest first (Swift lays a struct out in declaration order), the group index is stored in
/// 16 bits and the acknowledging server as its index in `ServerNames` (a `String` was 16 bytes
/// of the 56 each entry took; it was 72 before the reordering).
public struct LedgerEntry: Sendable, Equatable {
    public var txid: Int64
    /// The row's key: the insert id the server returned, or the updated row.
    public var key: Int64
    public var issuedAt: SimTime
    public var ackedAt: SimTime
    private var server: UInt16
    public var table: Table
    public var isInsert: Bool
    public var isProbe: Bool
    private var groupIndex: UInt16
    /// The mysqld that acknowledged it (ground truth, whatever address was dialled).
    public var ackedBy: String {
        get { ServerNames.name(server) }
        set { server = ServerNames.index(newValue) }
    }
    /// The application group (index in the scenario's workloads) that issued it.
    public var group: Int {
        get { Int(groupIndex) }
        set { groupIndex = UInt16(newValue) }
    }

    public init(txid: Int64, table: Table, isInsert: Bool, key: Int64, issuedAt: SimTime, ackedAt: SimTime,
                ackedBy: String, isProbe: Bool, group: Int = 0) {
        self.init(txid: txid, table: table, isInsert: isInsert, key: key, issuedAt: issuedAt, ackedAt: ackedAt,
                  server: ServerNames.index(ackedBy), isProbe: isProbe, group: group)
    }

    /// With the server already interned (the client's hot path: no lookup per write).
    init(txid: Int64, table: Table, isInsert: Bool, key: Int64, issuedAt: SimTime, ackedAt: SimTime,
         server: UInt16, isProbe: Bool, group: Int) {
        self.txid = txid
        self.key = key
        self.issuedAt = issuedAt
        self.ackedAt = ackedAt
        self.server = server
        self.table = table
        self.isInsert = isInsert
        self.isProbe = isProbe
        self.groupIndex = UInt16(group)
    }
}

/// Server names interned process-wide, so a ledger entry holds a 2-byte index instead of a
/// `String`. Indices depend on the order in which runs first meet a name (runs proceed in
/// parallel), so nothing may order or decide by an index: entries expose only the name, and
/// two entries' indices are equal exactly when their names are. Append-only: a name once
/// published stays at its index for the life of the process (a few thousand names at most).
enum ServerNames {
    static let capacity = Int(UInt16.max)
    private static let lock = NSLock()
    /// Filled in order under the lock; slots below `count` never change afterwards.
    nonisolated(unsafe) private static let names = UnsafeMutablePointer<String>.allocate(capacity: capacity)
    nonisolated(unsafe) private static var indices: [String: UInt16] = [:]
    nonisolated(unsafe) private static var count = 0

    static func index(_ name: String) -> UInt16 {
        lock.lock()
        defer { lock.unlock() }
        if let i = indices[name] { return i }
        precondition(count < capacity, "more than \(capacity) distinct server names in one process")
        let i = UInt16(count)
        (names + count).initialize(to: name)
        count += 1
        indices[name] = i
        return i
    }

    /// The name at an index handed out by `index`: that slot was written before the index
    /// existed, and is never written again, so it is read without the lock.
    static func name(_ i: UInt16) -> String { names[Int(i)] }
}

/// One probe write: the downtime measurement.
public struct ProbeOutcome: Sendable, Equatable {
    public var issuedAt: SimTime
    /// Acknowledged within the probe timeout.
    public var ok: Bool
    /// Time to the acknowledgement, if there was one (even a late one).
    public var latency: SimTime?
    /// MySQL error code of the failure; nil if it succeeded or was just too slow.
    public var error: Int?
}

/// One write attempt that failed, as the application saw it.
public struct FailedAttempt: Sendable, Equatable {
    /// Not a MySQL error: the application had no free thread for the request.
    public static let rejectedCode = 0
    public var issuedAt: SimTime
    public var failedAt: SimTime
    public var code: Int
    public var isProbe: Bool
    /// The application group (index in the scenario's workloads) that issued it.
    public var group: Int = 0
}

/// A row another session read: the transaction that wrote it was visible then.
public struct ReadObservation: Sendable, Equatable {
    public var txid: Int64
    public var at: SimTime
    public var server: String
}
