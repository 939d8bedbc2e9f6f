import HasimKernel

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

    public init(serverID: UInt32) { self.serverID = serverID }
}
