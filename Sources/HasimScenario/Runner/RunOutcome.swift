import HasimKernel
import HasimDatabase
import HasimWorkload

/// The final state of one server, for loss and divergence measurement.
public struct ServerSnapshot: Sendable {
    public var name: String
    public var storage: Storage
    public var isUp: Bool
    /// The server it replicates from at the end (nil: not a replica).
    public var source: String?
    public var sqlRunning: Bool
    public var replicationFailures: [ReplicationFailure]
}

/// A fault as it happened, for incidents.
public struct AppliedFault: Sendable, Equatable {
    public var index: Int
    public var kind: String
    public var target: String
    public var at: SimTime
    public var recoveredAt: SimTime?
}

/// Everything a run leaves behind. Metrics are computed from this, never
/// reported by strategies.
public struct RunOutcome: Sendable {
    public var scenario: Scenario
    public var seed: UInt64
    public var ledger: [LedgerEntry]
    /// Rows other sessions read (transaction ids they saw).
    public var reads: [ReadObservation]
    /// The first application group's probes (what the report draws).
    public var probes: [ProbeOutcome]
    /// Every application group's probes, in workload order.
    public var probeGroups: [[ProbeOutcome]]
    public var failures: [FailedAttempt]
    public var abandonedWrites: Int
    public var trace: [TraceRecord]
    public var servers: [ServerSnapshot]
    /// The server the application's configured address leads to at the end.
    public var finalPrimary: String?
    public var faults: [AppliedFault]
    public var eventsProcessed: UInt64
    /// Simulated time at the end (duration + quiesce).
    public var endTime: SimTime

    public func server(_ name: String) -> ServerSnapshot? { servers.first { $0.name == name } }
}
