import HasimKernel
import HasimDatabase
import HasimWorkload
import HasimWeb

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

/// One application group as configured at the start.
public struct ApplicationGroupInfo: Sendable, Equatable {
    /// The client process's name ("app", "app2", ...).
    public var name: String
    /// The host it runs on.
    public var client: String
    /// The address it was configured with at the start (a VIP, a DNS name, the proxy's or a
    /// server's IP): the one primary the design means it to write to. Groups that share it
    /// write to the same primary.
    public var address: String
}

/// What a periodic sampler saw of one server (every `RunOutcome.sampleInterval`):
/// replication lag as SHOW REPLICA STATUS gives it, and whether the server was writable
/// and reachable from the first application's host.
public struct ServerSample: Sendable, Equatable {
    public var time: SimTime
    public var server: String
    /// mysqld running, read_only OFF.
    public var writable: Bool
    /// The first application group's host and the server's host can reach each other.
    public var reachable: Bool
    /// Relay log transactions received but not applied; nil: not a running replica.
    public var lagTransactions: Int?
    /// Seconds_Behind_Source; nil when a replication thread is not running (MySQL shows NULL).
    public var lagTime: SimTime?
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
    public var ledger: Ledger
    /// Rows other sessions read (transaction ids they saw).
    public var reads: [ReadObservation]
    /// The first application group's probes (what the report draws).
    public var probes: [ProbeOutcome]
    /// Every application group's probes, in workload order.
    public var probeGroups: [[ProbeOutcome]]
    public var failures: FailureLog
    public var abandonedWrites: Int
    public var trace: [TraceRecord]
    public var servers: [ServerSnapshot]
    /// The server the application's configured address leads to at the end, when the
    /// front door's own state names exactly one (see `frontDoorTargets`).
    public var finalPrimary: String?
    /// The servers the first application's address is bound to at the end by the tools'
    /// own state, with no ARP draw: every live holder of a VIP, the DNS record's target,
    /// the proxy's current backend, the fixed IP's owner. Two or more: unresolved.
    public var frontDoorTargets: [String] = []
    /// The application groups, in workload order.
    public var groups: [ApplicationGroupInfo] = []
    /// Periodic samples of every server, in time order then server order.
    public var samples: [ServerSample] = []
    /// The simulated interval between two samples (also the bucket of time series).
    public var sampleInterval: SimTime = Time.s(1)
    public var faults: [AppliedFault]
    public var eventsProcessed: UInt64
    /// Simulated time at the end (duration + quiesce).
    public var endTime: SimTime
    /// What each `protocol: udp` group's client sent and heard, in workload order.
    public var datagrams: [DatagramLog] = []
    /// What the web tier's users saw (`web:`); nil: the scenario has none.
    public var web: WebOutcome? = nil

    public func server(_ name: String) -> ServerSnapshot? { servers.first { $0.name == name } }
}
