import HasimKernel

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

/// Settings of one mysqld (my.cnf plus the model's costs).
public struct ServerConfig: Sendable, Equatable {
    /// server_id; also the origin of the GTIDs this server generates.
    public var serverID: UInt32
    public var port: Int = 3306
    /// Transactions per second one replica SQL thread applies (single-threaded).
    public var sqlThreadRate: Double = 2_000
    /// Execution + group-commit fsync of one write on the primary.
    public var commitLatency: SimTime = Time.us(800)
    public var startupTime: SimTime = Time.s(3)
    public var redoApplyPerTransaction: SimTime = Time.us(200)
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

    public init(serverID: UInt32 = 0) { self.serverID = serverID }
}
