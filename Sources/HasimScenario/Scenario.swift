import HasimKernel
import HasimNetwork
import HasimStrategies
import HasimDatabase
import HasimWorkload
import HasimWeb

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
    /// How often the sampler reads every server (lag, writable, reachable); nil: every
    /// second, coarser for long runs (`ScenarioRunner.sampleInterval`). A figure read from
    /// the samples, such as the time a replica needs to drain, is no finer than this.
    public var sampleInterval: SimTime? = nil
    public var seeds: [UInt64]
    public var topology: Topology
    /// The `mysql:` section: settings every database node shares. The runner gives each
    /// server its own copy with server_id, auto-increment, read_only and semi-sync
    /// participation from its `topology.databases` entry.
    public var mysql: ServerConfig
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
    /// Users, Apache + mod_jk and Tomcats in front of the database (`web:`); nil: none, the
    /// application groups alone write to the database.
    public var web: WebSpec? = nil
    public var expectations: [Expectation]
    /// Scenarios of one group face the same faults and are compared side by side
    /// (`hasim compare`, `hasim report`); nil: the file's folder names the group.
    public var group: String? = nil
}

/// `topology.nics.HOST: {bandwidth: 1Gbit, packet_cost: 1us}`: the host's interface, a FIFO per
/// direction at that capacity (HasimNetwork NIC.swift). 0: unlimited.
public struct NICSpec: Sendable, Equatable {
    public var host: String
    public var bitsPerSecond: Int64 = 0
    public var packetCost: SimTime = 0
    public init(host: String) { self.host = host }
}

/// `topology.machines.NAME: {cpus: N, hosts: [...]}`: hosts whose processes share N cores.
public struct MachineSpec: Sendable, Equatable {
    public var name: String
    public var cpus: Int
    public var hosts: [String]
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
    /// This replica's own apply speed and spread (nil: mysql.sql_thread_rate / sql_apply_sigma).
    public var sqlThreadRate: Double?
    public var sqlApplySigma: Double?
    /// This replica's slave_parallel_workers (nil: mysql.slave_parallel_workers).
    public var parallelWorkers: Int?
    /// This server's own sync_binlog and innodb_flush_log_at_trx_commit (nil: the mysql: values).
    public var syncBinlog: Int?
    public var innodbFlushLogAtTrxCommit: Int?

    public init(host: String, role: DatabaseRole, source: String?) {
        self.host = host
        self.role = role
        self.source = source
    }
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
    /// Physical machines shared by several hosts (each other host has its own, uncontended CPUs).
    public var machines: [MachineSpec] = []
    /// Hosts whose network interface has a capacity or a per-packet cost (others: unlimited).
    public var nics: [NICSpec] = []

    public func site(of host: String) -> String? {
        sites.first { $0.hosts.contains(host) }?.name
    }
    public var allHosts: [String] { sites.flatMap(\.hosts) }
}

public struct Architecture: Sendable {
    public var strategy: String
    public var options: OptionValues
}

@dynamicMemberLookup
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
    /// The application's driver and pool settings (pool_size, timeouts, retries, probe_timeout),
    /// held as the client's own config; `spec.poolSize` reads through to it.
    public var clientConfig = ClientConfig()
    /// Interval of probe writes that measure write downtime.
    public var probeInterval: SimTime = Time.ms(100)
    public var start: SimTime = 0
    /// `protocol: udp`: the group is a UDP datagram client instead of a MySQL one (nil: MySQL).
    public var udp: UDPClientSpec?

    public subscript<T>(dynamicMember key: WritableKeyPath<ClientConfig, T>) -> T {
        get { clientConfig[keyPath: key] }
        set { clientConfig[keyPath: key] = newValue }
    }
}

/// A UDP client's settings (`workload: {protocol: udp}`), as validation/experiments/vip_udp.py
/// runs it: one datagram every `interval` to the group's address, an echo on every database host.
public struct UDPClientSpec: Sendable, Equatable {
    /// `datagram_interval`: vip_udp.py sends every 50 ms.
    public var interval: SimTime = Time.ms(50)
    /// `udp_port`: vip_udp.py's echo servers listen on port 9.
    public var port: Int = 9
    public init() {}
}

public enum FaultKind: Sendable, Equatable {
    /// The host loses power (or the kernel panics): everything on it stops silently.
    case hostCrash(host: String)
    /// mysqld dies (OOM kill, segfault); the host and its TCP stack live on.
    case processCrash(host: String)
    /// Packets between the two sets are dropped (both ways unless `oneWay`); with `firewall`, by
    /// the hosts' own firewall (nft OUTPUT drop), whose senders see EPERM and retry at each write.
    case partition(a: [String], b: [String], oneWay: Bool, firewall: Bool)
    /// Extra one-way delay between the two sets.
    case latencySpike(a: [String], b: [String], add: SimTime)
    /// Each packet between the two sets (both ways) is dropped with probability `rate` (tc netem
    /// loss): TCP retransmits after its RTO, so requests slow down and some time out.
    case packetLoss(a: [String], b: [String], rate: Double)
    /// A DBA runs STOP SLAVE [IO_THREAD | SQL_THREAD] on a replica (START SLAVE at recovery).
    case stopReplica(host: String, threads: ReplicaThreads)
    /// The datadir's disk stops completing writes: commits hang, connect and SELECT 1 answer.
    case diskStall(host: String)
    /// The datadir's disk is `factor` times slower: commits and replica applies take longer.
    case slowDisk(host: String, factor: Double)
    /// A DBA runs FLUSH TABLES [t] WITH READ LOCK (UNLOCK TABLES at recovery). On a Galera
    /// node the appliers wait; `global` (FTWRL) also desyncs it, so it sends no flow control.
    case readLock(host: String, global: Bool)
    /// Overload: `threads` CPU-bound processes run on the host's machine (a batch job, a
    /// neighbour VM, a runaway query) and take their fair share of its cores.
    case cpuLoad(host: String, threads: Double)
    /// kill -STOP of mysqld (a long GC-like stall, a frozen VM) until `recover_after` (SIGCONT):
    /// it answers nothing, its host's kernel keeps every connection open, nothing is lost.
    case pause(host: String)
    /// An administrator drains a Tomcat from mod_jk (jkstatus activation Disabled on every
    /// Apache): no new sessions, its users' sticky requests still go to it. recover_after: Active.
    case drain(host: String)
    /// An administrator removes a Tomcat from mod_jk (activation Stopped): no request at all,
    /// its users' sessions move to another member. recover_after: Active.
    case remove(host: String)

    // Operator actions: carried out at `at` by a process on the operator's or the manager's
    // host that talks SQL and SSH, costing the time the real command (or its typing) costs.

    /// The strategy's own planned switchover to `to` (MHA masterha_master_switch
    /// --master_state=alive, the manual runbook's switchover).
    case switchover(to: String)
    /// The manager stands down (masterha_stop, a monitoring downtime) until `recover_after`.
    case maintenance
    /// A DBA makes `host` (an old primary) a replica of `to`; with `check`, only after
    /// GTID_SUBSET(host's gtid_executed, to's gtid_executed) says it has no errant transactions.
    /// With `coordinatesAt`, by file and position: the File/Position of `to`'s SHOW MASTER STATUS
    /// as the DBA read it at that time (nil: by GTID, or at the re-attach when gtid_mode=OFF).
    case reattach(host: String, to: String, check: Bool, coordinatesAt: SimTime? = nil)
    /// A DBA copies what the dead primary `from` logged and `to` lacks: mysqlbinlog
    /// --read-from-remote-server --exclude-gtids=<to's gtid_executed> from | mysql to.
    case reapplyBinlog(from: String, to: String)
    /// A DBA skips the event a replica's SQL thread stopped on and runs START SLAVE, and does it
    /// again while it stops on another, up to `events` times (pt-slave-restart by hand).
    case skipReplicaError(host: String, events: Int)
    /// A DBA KILLs the session holding the read lock or the long query (UNLOCK TABLES).
    case unlockTables(host: String)
    /// A DBA runs SET GLOBAL wsrep_provider_options='pc.bootstrap=YES' on a Galera node.
    case bootstrap(host: String)
    /// Every Galera node is down: a DBA reads grastate.dat on each host over SSH, runs
    /// mysqld --wsrep-recover where its seqno is -1, and starts `host` (nil: the most advanced
    /// node) with galera_new_cluster, then systemctl start on the others. `force`: edit
    /// safe_to_bootstrap to 1 first (the runbook does it on the node it picked).
    case galeraNewCluster(host: String?, force: Bool)
}

extension FaultKind {
    /// The fault vocabulary, spelled once: the key of a fault in a scenario file, the
    /// `kind` of its incident in the results, its name in the stored parameters.
    public enum Name: String, CaseIterable, Sendable {
        case hostCrash = "host_crash"
        case processCrash = "process_crash"
        case partition
        case latencySpike = "latency_spike"
        case packetLoss = "packet_loss"
        case stopReplica = "stop_replica"
        case diskStall = "disk_stall"
        case slowDisk = "slow_disk"
        case readLock = "read_lock"
        case cpuLoad = "cpu_load"
        case pause
        case drain
        case remove
        case switchover, maintenance, reattach
        case reapplyBinlog = "reapply_binlog"
        case skipReplicaError = "skip_replica_error"
        case unlockTables = "unlock_tables"
        case bootstrap
        case galeraNewCluster = "galera_new_cluster"

        /// An operator's action rather than something that breaks.
        public var isOperatorAction: Bool {
            switch self {
            case .switchover, .maintenance, .reattach, .reapplyBinlog, .skipReplicaError, .unlockTables, .bootstrap, .galeraNewCluster: return true
            default: return false
            }
        }
    }

    public var name: Name {
        switch self {
        case .hostCrash: return .hostCrash
        case .processCrash: return .processCrash
        case .partition: return .partition
        case .latencySpike: return .latencySpike
        case .packetLoss: return .packetLoss
        case .stopReplica: return .stopReplica
        case .diskStall: return .diskStall
        case .slowDisk: return .slowDisk
        case .readLock: return .readLock
        case .cpuLoad: return .cpuLoad
        case .pause: return .pause
        case .drain: return .drain
        case .remove: return .remove
        case .switchover: return .switchover
        case .maintenance: return .maintenance
        case .reattach: return .reattach
        case .reapplyBinlog: return .reapplyBinlog
        case .skipReplicaError: return .skipReplicaError
        case .unlockTables: return .unlockTables
        case .bootstrap: return .bootstrap
        case .galeraNewCluster: return .galeraNewCluster
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
    /// `until:`, the end of the fault's window as a time of the run (instead of recover_after):
    /// with a uniform `at`, each seed's fault lasts from its drawn instant to this same end.
    public var until: SimTime? = nil
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

    /// Metrics measured in seconds: `check` writes their bounds and values as durations.
    public static let durationMetrics: Set<String> = [
        "write_downtime", "rto", "max_rto", "mean_rto", "lost_span", "split_brain_time", "two_writable_primaries_time",
        "duplicate_vip_time", "commit_latency_p50", "commit_latency_p99", "commit_latency_p999", "max_lag_seconds", "udp_silence",
        "http_latency_p50", "http_latency_p99",
    ]

    /// A value of this metric as `check` writes it: a duration in hasim's one format
    /// ("17 min", "850 ms"), a count as an integer when it is one.
    public func text(_ v: Double) -> String {
        if Self.durationMetrics.contains(metric) { return Time.text(seconds: v) }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return Time.formatFixed(v, 3)
    }

    public var boundDescription: String {
        switch bound {
        case .equal(let v): return "= \(text(v))"
        case .range(let lo, let hi):
            return [lo.map { ">= \(text($0))" }, hi.map { "<= \(text($0))" }].compactMap { $0 }.joined(separator: " and ")
        }
    }
}
