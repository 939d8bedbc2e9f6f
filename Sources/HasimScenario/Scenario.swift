import HasimKernel
import HasimNetwork
import HasimStrategies

/// A position in a scenario file, for error messages.
public struct SourceMark: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
    public var description: String { "\(file):\(line):\(column)" }
}

/// A whole scenario: topology + architecture + workload + faults + run settings
/// (+ optional expectations that make it a regression test).
public struct Scenario: Sendable {
    public var name: String
    public var description: String
    public var file: String
    /// How long the workload runs.
    public var duration: SimTime
    /// Extra time after the workload stops, before divergence is measured, so
    /// replicas can drain their relay logs (the "quiescence" of DESIGN.md).
    public var quiesce: SimTime
    public var seeds: [UInt64]
    public var topology: Topology
    public var mysql: MySQLSettings
    public var architecture: Architecture
    /// The application groups, in file order (`workload:` as one mapping or a list).
    public var workloads: [WorkloadSpec]
    /// The first application group: the one whose address defines the final primary.
    public var workload: WorkloadSpec {
        get { workloads[0] }
        set { workloads[0] = newValue }
    }
    public var faults: [FaultSpec]
    /// Random failures per component class (`fault_processes:`), drawn per seed from named
    /// streams and added to `faults` (see `faults(seed:)`); `hasim fleet` uses them too.
    public var faultProcesses: [FaultProcessSpec] = []
    /// How the application reaches the primary (VIP, DNS name, proxy); nil: the primary's host address.
    public var frontDoor: FrontDoorSpec? = nil
    public var expectations: [Expectation]
    /// Scenarios of one group face the same faults and are compared side by side
    /// (`hasim compare`, `hasim report`); nil: the file's folder names the group.
    public var group: String? = nil
}

public struct Site: Sendable, Equatable {
    public var name: String
    public var hosts: [String]
}

public struct LinkOverride: Sendable, Equatable {
    public var siteA: String
    public var siteB: String
    public var spec: LinkSpec
}

public enum DatabaseRole: String, Sendable, Equatable {
    case primary, replica
}

public struct DatabaseSpec: Sendable, Equatable {
    public var host: String
    public var role: DatabaseRole
    /// The host this server replicates from: a replica's source, or the peer of
    /// an active master in a dual-master pair.
    public var source: String?
    /// auto_increment_increment / auto_increment_offset (dual-master: 2 and 1/2).
    public var autoIncrementIncrement: Int = 1
    public var autoIncrementOffset: Int = 1
    /// read_only in my.cnf; nil = ON for replicas, OFF for primaries.
    public var readOnly: Bool?
    /// Whether this server takes part in semi-sync (when mysql.semi_sync is enabled).
    public var semiSync: Bool = true

    public init(host: String, role: DatabaseRole, source: String?) {
        self.host = host
        self.role = role
        self.source = source
    }
}

/// mysql.semi_sync in a scenario file.
public struct SemiSyncSettings: Sendable, Equatable {
    public var enabled = false
    /// "after_sync" (5.7.2+ default) or "after_commit" (5.5/5.6, MariaDB default).
    public var waitPoint = "after_sync"
    public var timeout: SimTime = Time.s(10)
    public var waitForReplicaCount = 1
    public var waitNoReplica = true
    public init() {}
}

public struct Topology: Sendable {
    public var sites: [Site]
    /// Latency inside every site unless overridden.
    public var sameSite: LinkSpec
    /// Latency between sites unless overridden per pair.
    public var crossSite: LinkSpec
    public var links: [LinkOverride]
    /// In file order.
    public var databases: [DatabaseSpec]

    public func site(of host: String) -> String? {
        sites.first { $0.hosts.contains(host) }?.name
    }
    public var allHosts: [String] { sites.flatMap(\.hosts) }
}

/// Server-wide MySQL settings shared by every database node of the scenario.
public struct MySQLSettings: Sendable, Equatable {
    /// Events per second one replica SQL thread can apply (single-threaded apply).
    public var sqlThreadRate: Double = 2_000
    /// Time the primary spends on one write transaction (execution + group commit fsync).
    public var commitLatency: SimTime = Time.us(800)
    /// mysqld start-up before crash recovery begins.
    public var startupTime: SimTime = Time.s(3)
    /// Redo replay cost per transaction written since the last checkpoint.
    public var redoApplyPerTransaction: SimTime = Time.us(200)
    /// How often InnoDB's checkpoint catches up (bounds the redo to replay).
    public var checkpointInterval: SimTime = Time.s(60)
    /// Start mysqld when its host boots (systemd unit enabled).
    public var autostart: Bool = true
    public var slaveNetTimeout: SimTime = Time.s(60)
    public var connectRetry: SimTime = Time.s(60)
    public var heartbeatPeriod: SimTime = Time.s(30)
    /// MySQL 8.0 default ON (5.7: OFF).
    public var logSlaveUpdates: Bool = true
    public var semiSync = SemiSyncSettings()
    public init() {}
}

public struct Architecture: Sendable {
    public var strategy: String
    public var options: OptionValues
}

public struct WorkloadSpec: Sendable, Equatable {
    /// Host the application runs on.
    public var client: String
    /// Address the application is configured with at start (a host name or VIP).
    /// Nil: the strategy's front door decides (the initial primary for fixed-IP designs).
    public var address: String?
    public var writesPerSecond: Double = 100
    /// Reads of the newest row by other sessions (what they saw is checked against loss).
    public var readsPerSecond: Double = 0
    /// Fraction of writes that update a hot row; the rest insert new rows.
    public var updateFraction: Double = 0.2
    public var hotRows: Int = 100
    public var poolSize: Int = 20
    /// Requests the application works on at once (Tomcat's maxThreads default, 200);
    /// a write arriving when all are busy is rejected, so backlogs stay bounded.
    public var appThreads: Int = 200
    public var connectTimeout: SimTime = Time.s(5)
    public var queryTimeout: SimTime = Time.s(10)
    /// Attempts after the first failure of one write before the application gives up.
    public var retries: Int = 2
    public var retryBackoff: SimTime = Time.ms(200)
    /// Interval of probe writes that measure write downtime.
    public var probeInterval: SimTime = Time.ms(100)
    /// A probe not acknowledged within this time counts as a failed write.
    public var probeTimeout: SimTime = Time.s(1)
    public var start: SimTime = 0
}

public enum FaultKind: Sendable, Equatable {
    /// The host loses power (or the kernel panics): everything on it stops silently.
    case hostCrash(host: String)
    /// mysqld dies (OOM kill, segfault); the host and its TCP stack live on.
    case processCrash(host: String)
    /// Packets between the two sets are dropped (both ways unless `oneWay`).
    case partition(a: [String], b: [String], oneWay: Bool)
    /// Extra one-way delay between the two sets.
    case latencySpike(a: [String], b: [String], add: SimTime)
}

extension FaultKind {
    /// The fault vocabulary, spelled once: the key of a fault in a scenario file, the
    /// `kind` of its incident in the results, its name in the stored parameters.
    public enum Name: String, CaseIterable, Sendable {
        case hostCrash = "host_crash"
        case processCrash = "process_crash"
        case partition
        case latencySpike = "latency_spike"
    }

    public var name: Name {
        switch self {
        case .hostCrash: return .hostCrash
        case .processCrash: return .processCrash
        case .partition: return .partition
        case .latencySpike: return .latencySpike
        }
    }

    /// Every fault key a scenario may use, in documentation order.
    public static let names: [String] = Name.allCases.map(\.rawValue)
}

public struct FaultSpec: Sendable, Equatable {
    /// When the fault strikes; with `atLatest`, the earliest time of a uniform window
    /// (`at: {uniform: [5m, 6m]}`) from which each seed draws its own instant, so seeds
    /// explore the phase of the fault in the monitors' check cycles.
    public var at: SimTime
    public var atLatest: SimTime? = nil
    public var kind: FaultKind
    /// When given, the fault is undone this long after it started (host/process
    /// restart, partition heal, spike end).
    public var recoverAfter: SimTime?
}

/// What a metric must be, for `hasim check`.
public struct Expectation: Sendable, Equatable {
    public enum Bound: Sendable, Equatable {
        case equal(Double)
        case range(min: Double?, max: Double?)
    }
    /// Metric name as in the results database (e.g. "lost_transactions").
    public var metric: String
    public var bound: Bound
    public var mark: SourceMark?

    public func holds(_ value: Double) -> Bool {
        switch bound {
        case .equal(let v): return abs(value - v) <= 1e-9 * max(1, abs(v))
        case .range(let lo, let hi):
            if let lo, value < lo - 1e-12 { return false }
            if let hi, value > hi + 1e-12 { return false }
            return true
        }
    }

    public var boundDescription: String {
        switch bound {
        case .equal(let v): return "= \(v)"
        case .range(let lo, let hi):
            return [lo.map { ">= \($0)" }, hi.map { "<= \($0)" }].compactMap { $0 }.joined(separator: " and ")
        }
    }
}
