import HasimKernel
import HasimScenario

/// What one `hasim fleet` study is: how many clusters of each architecture, over what
/// horizon, how many independent replications, and how the transaction level is cut.
public struct FleetConfig: Sendable, Equatable {
    /// Clusters (replication groups, one logical database each) of every architecture.
    public var clusters: Int = 250
    /// The simulated span of each replication.
    public var horizon: SimTime = FaultProcessSpec.year
    /// Independent fleet-years; confidence intervals are over these.
    public var replications: Int = 100
    /// The base seed: every stream of the study derives from it by name.
    public var seed: UInt64 = 1
    /// Steady state simulated before the fault, so the incident starts from a warmed-up
    /// cluster (pools open, replicas caught up, monitors in their check cycle).
    public var warmup: SimTime = Time.s(60)
    /// Transaction-level time after an incident's first fault. A second fault of the same
    /// cluster within it belongs to the same incident (a fault during a failover).
    public var window: SimTime = 30 * Time.minute
    /// Simulated incidents per (fault class, target) in the incident library.
    public var librarySize: Int = 8
    /// Each replication draws from its own bootstrap resample of every library key's entries
    /// (`--library-bootstrap`), so the spread over replications, and the confidence interval,
    /// include the library's own sampling error: with 4 entries, an outcome seen in one of them
    /// has a probability anywhere in about [0.6 %, 81 %] (Clopper-Pearson), which a fixed
    /// library shared by every replication hides (docs/fleet.md, "What drives each figure").
    public var libraryBootstrap = false
    /// Overrides the scenarios' write rate in incident windows (nil: the scenario's).
    public var writesPerSecond: Double? = nil
    public var human = HumanModel()
    /// Planned maintenances of each primary per year (`--maintenance`), added to the study's fault
    /// processes for tools with a planned switchover; 0: none (FaultProcessSpec.maintenance).
    public var maintenancePerYear: Double = 0
    /// `--shard K/N`: this process runs replications r with r mod N = K − 1 (K from 1). Every
    /// replication's streams derive from (seed, r) only, so the shards' union is the whole study.
    public var shard: (index: Int, count: Int)? = nil
    public init() {}

    /// The replications this process runs, by study-wide index.
    public var replicationIDs: [Int] {
        guard let shard else { return Array(0..<replications) }
        return (0..<replications).filter { $0 % shard.count == shard.index - 1 }
    }

    public static func == (a: FleetConfig, b: FleetConfig) -> Bool {
        a.json == b.json && a.shard?.index == b.shard?.index && a.shard?.count == b.shard?.count
    }
}

/// Human work: when a DBA is paged and how long each runbook step takes. No published
/// study gives these; they are stated assumptions, each an option of `hasim fleet`.
public struct HumanModel: Sendable, Equatable {
    /// Monitoring pages the on-call DBA when writes stay down this long (an alert with a
    /// 5-minute `for:` clause, as in Prometheus mysqld_exporter alert examples).
    public var pageAfter: SimTime = 5 * Time.minute
    /// Wake up, log in, triage: counted for every page.
    public var pageResponse: Double = 0.5
    /// A manual failover or restart when automation did not bring writes back (hours).
    public var manualFailover: Double = 0.5
    /// Re-clone one replica whose replication stopped with an error (hours).
    public var fixReplication: Double = 2
    /// Compare and reconcile two servers that both took writes (hours).
    public var reconcile: Double = 4
    /// After a failover: turn the old primary into a replica again, re-arm the manager (hours).
    public var reintegrate: Double = 1
    /// Rebuild a server whose disk died from a backup or a clone (hours).
    public var rebuildServer: Double = 2
    /// One planned maintenance: the switchover, the patch, the restart, the checks (hours).
    public var maintenance: Double = 1
    /// Pages between these local hours (fault time of day) are night pages.
    public var nightStartHour: Int = 22
    public var nightEndHour: Int = 7
    /// DBAs and the hours each can give to incidents in a year (1,700 h: 220 days of 8 h,
    /// minus meetings; an assumption).
    public var dbas: Int = 5
    public var hoursPerDBA: Double = 1_700
    public init() {}
}
