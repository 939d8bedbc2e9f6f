import HasimKernel
import HasimDatabase

/// One commit the application saw acknowledged: the ground truth that loss is
/// measured against.
///
/// One per acknowledged write, kept for the whole run: 56 bytes. The fields are declared
/// widest first (Swift lays a struct out in declaration order) and the group index is
/// stored in 16 bits, so there is no padding (it was 72 bytes).
public struct LedgerEntry: Sendable, Equatable {
    public var txid: Int64
    /// The row's key: the insert id the server returned, or the updated row.
    public var key: Int64
    public var issuedAt: SimTime
    public var ackedAt: SimTime
    /// The mysqld that acknowledged it (ground truth, whatever address was dialled).
    public var ackedBy: String
    public var table: Table
    public var isInsert: Bool
    public var isProbe: Bool
    private var groupIndex: UInt16
    /// The application group (index in the scenario's workloads) that issued it.
    public var group: Int {
        get { Int(groupIndex) }
        set { groupIndex = UInt16(newValue) }
    }

    public init(txid: Int64, table: Table, isInsert: Bool, key: Int64, issuedAt: SimTime, ackedAt: SimTime,
                ackedBy: String, isProbe: Bool, group: Int = 0) {
        self.txid = txid
        self.key = key
        self.issuedAt = issuedAt
        self.ackedAt = ackedAt
        self.ackedBy = ackedBy
        self.table = table
        self.isInsert = isInsert
        self.isProbe = isProbe
        self.groupIndex = UInt16(group)
    }
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
