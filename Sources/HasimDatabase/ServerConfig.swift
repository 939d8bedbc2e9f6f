import HasimKernel
import HasimNetwork

/// Where the source waits for the replica's ACK (rpl_semi_sync_master_wait_point).
public enum SemiSyncWaitPoint: String, Sendable, Equatable, CaseIterable {
    /// 5.7.2+ default ("lossless"): wait after the binlog sync, before the engine
    /// commit, so no other session sees the change until a replica has it.
    case afterSync = "after_sync"
    /// 5.5/5.6 behaviour (MariaDB's default): the engine commit comes first, so
    /// other sessions can read a change that is then lost on failover.
    case afterCommit = "after_commit"
}

/// Semi-synchronous replication (semisync_master/semisync_slave plugins, MySQL 5.7 defaults).
public struct SemiSyncConfig: Sendable, Equatable {
    /// rpl_semi_sync_master_enabled (default OFF).
    public var sourceEnabled = false
    /// rpl_semi_sync_slave_enabled: this server ACKs what it receives as a replica.
    public var replicaEnabled = false
    public var waitPoint: SemiSyncWaitPoint = .afterSync
    /// rpl_semi_sync_master_timeout: 10000 ms.
    public var timeout: SimTime = Time.s(10)
    /// rpl_semi_sync_master_wait_for_slave_count: 1.
    public var waitForReplicaCount = 1
    /// rpl_semi_sync_master_wait_no_slave: ON (keep waiting even with no replica connected).
    public var waitNoReplica = true
    public init() {}
}

/// relay_log_info_repository: where the SQL thread's position lives.
public enum RelayLogInfoRepository: String, Sendable, Equatable, CaseIterable {
    /// mysql.slave_relay_log_info, updated in the applied transaction itself (8.0 default).
    case table = "TABLE"
    /// relay-log.info, written after the transaction and fsynced every sync_relay_log_info (5.7 default).
    case file = "FILE"
}

/// The replica threads a START/STOP SLAVE names.
public enum ReplicaThreads: String, Sendable, Equatable, CaseIterable {
    case all, io, sql
    public func statement(_ verb: String) -> String {
        switch self {
        case .all: return "\(verb) SLAVE"
        case .io: return "\(verb) SLAVE IO_THREAD"
        case .sql: return "\(verb) SLAVE SQL_THREAD"
        }
    }
}

/// Which server: the GTID semantics, error texts and defaults differ.
public enum Flavor: String, Sendable, Equatable, CaseIterable {
    /// MySQL 8.0: GTID sets, auto-position, gtid_mode.
    case mysql
    /// MariaDB 10.11: domain-server-seq GTIDs, a replica's position is one GTID per domain.
    case mariadb
}

/// MariaDB's CHANGE MASTER TO MASTER_USE_GTID.
public enum MasterUseGTID: String, Sendable, Equatable, CaseIterable {
    /// Start after the last GTID the SQL thread applied (gtid_slave_pos): the 10.10+ default.
    case slavePos = "slave_pos"
    /// The later of gtid_slave_pos and the server's own binlog (includes local writes).
    case currentPos = "current_pos"
    /// File/position replication.
    case no
}

/// How a replica with parallel workers decides which transactions may apply at once.
public enum ParallelMode: String, Sendable, Equatable, CaseIterable {
    /// MariaDB slave_parallel_mode=conservative: only transactions that group-committed
    /// together on the source (one commit_id) apply at the same time.
    case conservative
    /// MariaDB optimistic: any transactions apply at once, in-order commit; here a transaction
    /// touching a row that one in flight touches waits for it (the real one rolls back and retries).
    case optimistic
    /// MySQL replica_parallel_type=LOGICAL_CLOCK: transactions of one binlog commit group
    /// (same last_committed) apply at the same time; as conservative in this model.
    case logicalClock = "logical_clock"
}

/// Settings of one mysqld (my.cnf plus the model's costs).
public struct ServerConfig: Sendable, Equatable {
    /// server_id; also the origin of the GTIDs this server generates.
    public var serverID: UInt32
    public var port: Int = 3306
    /// Transactions per second one replica SQL thread applies (single-threaded): the median
    /// cost of one transaction is 1 / sqlThreadRate.
    public var sqlThreadRate: Double = 2_000
    /// Spread of one transaction's apply cost (lognormal sigma around that median; 0: every
    /// transaction costs the same). Real transactions differ in rows, indexes and page misses.
    public var sqlApplySigma: Double = 0
    /// slave_parallel_threads (MariaDB) / replica_parallel_workers (MySQL): 0 applies with the
    /// SQL thread alone (MariaDB's default; MySQL 8.0.27+ defaults to 4).
    public var parallelWorkers = 0
    public var parallelMode: ParallelMode = .conservative
    /// One fsync of the datadir's disk. Set: a commit waits for the redo fsync
    /// (innodb_flush_log_at_trx_commit=1) and the binlog fsync (sync_binlog=1), each shared by
    /// the commits that queue while the previous one runs (group commit), on the source and on a
    /// replica's applier alike; commit_latency and sql_thread_rate are then the CPU part only.
    /// nil: the disk's cost is folded into commit_latency and sql_thread_rate.
    public var diskFsync: LatencyModel?
    /// One fsync of the binlog, a file that grows: the filesystem journal commits the new size
    /// too, so on ext4/xfs it costs more than the redo log's in-place overwrite. nil: diskFsync.
    public var binlogFsync: LatencyModel?
    /// The redo log's and the binlog's fsyncs are requests to the machine's disk (Disk.swift),
    /// whose flush covers every request queued before it started, from any log or server on
    /// it (ext4's jbd2 journal commit, the block layer's flush merging). false: each log's
    /// fsync takes its own time whatever else is syncing (the model before the device).
    public var diskBatching = true
    /// Fraction of a flush's time paid when it starts at the end of the previous one because
    /// requests were queued (the device kept busy): this machine's median with 4 threads
    /// appending at once (0.30-1.08; 0.66 with 2 threads, validation/results/fsync-concurrency.json).
    /// 1: no such saving, and then merged flushes make concurrent committers slower than two
    /// independent logs would be.
    public var diskFlushStreaming: Double = 0.47
    /// Time a flush takes for each request it covers beyond the first (0: one flush costs the
    /// same whatever it covers).
    public var diskFlushPerRequest: SimTime = 0
    /// Median time of a busy flush (Disk.swift `busy`); nil: diskFlushStreaming x the lone time.
    public var diskFlushBusy: SimTime?
    /// Execution + group-commit fsync of one write on the primary.
    public var commitLatency: SimTime = Time.us(800)
    /// mysqld's start-up before crash recovery: MariaDB 10.11 on this machine was ready 0.59-0.77 s
    /// after a clean start (validation/results/async-kill9.json, clean_start_to_ready).
    public var startupTime: SimTime = Time.ms(600)
    /// Crash recovery per transaction since the last checkpoint: the same runs were ready
    /// 0.87-0.93 s after kill -9 with ~2,000 transactions to recover, ~150 us each
    /// (validation/results/async-kill9.json, restart_to_ready).
    public var redoApplyPerTransaction: SimTime = Time.us(150)
    public var checkpointInterval: SimTime = Time.s(60)
    /// mysqld starts when its host boots.
    public var autostart: Bool = true
    /// read_only in my.cnf: what the server comes up with after a restart.
    public var readOnlyAtStartup: Bool = false
    /// MySQL 8.0 default ON (5.7: OFF). Needed for a promoted replica to serve others.
    public var logSlaveUpdates: Bool = true
    public var autoIncrementIncrement: Int64 = 1
    public var autoIncrementOffset: Int64 = 1
    /// slave_net_timeout: 60 s since 5.7.7. Also the IO thread's connect timeout.
    public var slaveNetTimeout: SimTime = Time.s(60)
    /// MASTER_CONNECT_RETRY: 60 s.
    public var connectRetry: SimTime = Time.s(60)
    /// MASTER_HEARTBEAT_PERIOD: slave_net_timeout / 2.
    public var heartbeatPeriod: SimTime = Time.s(30)
    public var semiSync = SemiSyncConfig()

    // Durability (see Durability.swift).
    /// sync_binlog: fsync the binlog every N commit groups; 0: the OS writes it back when it
    /// likes. MySQL 5.7.7+/8.0 default 1 (MariaDB 10.x: 0).
    public var syncBinlog = 1
    /// innodb_flush_log_at_trx_commit: 1 (default) flush redo at each commit; 2 write it to the
    /// OS at commit, flush once per second; 0 write and flush once per second.
    public var innodbFlushLogAtTrxCommit = 1
    /// innodb_flush_log_at_timeout: 1 s (how often redo is flushed with 0 or 2).
    public var innodbFlushLogAtTimeout: SimTime = Time.s(1)
    /// Linux vm.dirty_expire_centisecs (3000) and vm.dirty_writeback_centisecs (500): page-cache
    /// data older than 30 s is written back at the next 5 s flusher wake-up.
    public var osDirtyExpire: SimTime = Time.s(30)
    public var osWritebackInterval: SimTime = Time.s(5)
    /// lock_wait_timeout: how long a statement waits for a metadata or global read lock before
    /// 1205. nil: the flavour's default (MySQL 8.0 31536000 s, MariaDB 10.11 86400 s).
    public var lockWaitTimeout: SimTime?
    public var flavor: Flavor = .mysql
    /// gtid_mode (MySQL): ON (this model's usual setting) or OFF (file/position replication).
    public var gtidMode = true
    /// MASTER_USE_GTID (MariaDB).
    public var masterUseGTID: MasterUseGTID = .slavePos
    public var relayLogInfoRepository: RelayLogInfoRepository = .table
    /// relay_log_recovery: OFF by default; ON discards the relay log at start-up and fetches
    /// again from the SQL thread's position.
    public var relayLogRecovery = false
    /// sync_relay_log_info and sync_master_info: 10000 (positions fsynced every N events).
    public var syncRelayLogInfo = 10_000
    public var syncMasterInfo = 10_000
    /// binlog_expire_logs_seconds: 30 days (MySQL 8.0); 0: never purge.
    public var binlogExpire: SimTime = Time.s(2_592_000)

    public init(serverID: UInt32 = 0) { self.serverID = serverID }

    // The three flags below are read per replicated event: inlined, so that a read through
    // the server's `config` loads two fields instead of copying the whole 320-byte struct to
    // the stack to call the getter (a memcpy per event received).

    /// MySQL with gtid_mode=ON: a replica skips what its gtid_executed set already has.
    @inline(__always) var skipsByGTIDSet: Bool { flavor == .mysql && gtidMode }
    /// File/position replication: nothing tells a replica an event is a repeat.
    @inline(__always) var replicatesByPosition: Bool { flavor == .mysql ? !gtidMode : masterUseGTID == .no }
    /// MariaDB GTID replication: the replica names the GTID to start after.
    @inline(__always) var mariadbGTID: Bool { flavor == .mariadb && masterUseGTID != .no }
}
