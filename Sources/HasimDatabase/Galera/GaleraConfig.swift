import HasimKernel
import HasimNetwork

extension TraceKind {
    public static let galeraView = TraceKind("galera_view")
    public static let galeraStateTransfer = TraceKind("galera_state_transfer")
    public static let galeraFlowControl = TraceKind("galera_flow_control")
    public static let galeraBootstrap = TraceKind("galera_bootstrap")
    /// wsrep_local_state changed (Joiner, Joined, Synced, Donor/Desynced).
    public static let galeraState = TraceKind("galera_state")
}

extension MySQLError {
    /// What a node outside the Primary Component answers (wsrep_ready=OFF).
    public static let wsrepNotReady = MySQLError(code: 1047, message: "WSREP has not yet prepared node for application use")
    /// A certification failure or a brute-force abort: the client sees a deadlock and may retry.
    public static let certificationDeadlock = MySQLError(code: 1213, message: "Deadlock found when trying to get lock; try restarting transaction")
    /// A commit that was replicating when the node left the Primary Component: its outcome is
    /// unknown to the client (MariaDB: ER_ERROR_DURING_COMMIT).
    public static let errorDuringCommit = MySQLError(code: 1180, message: "Got error 6 \"No such device or address\" during COMMIT")
}

/// wsrep / Galera provider settings. Defaults: Galera 4 (codership/galera gcomm/src/defaults.cpp,
/// gcs/src/gcs_params.cpp) and MariaDB 10.11's wsrep options.
public struct GaleraConfig: Sendable {
    public var port = 3306
    public var groupPort = 4567
    /// evs.keepalive_period (PT1S).
    public var keepalivePeriod: SimTime = Time.s(1)
    /// evs.inactive_check_period (PT0.5S in defaults.cpp; the docs table says PT1S): how often
    /// a member looks for silent peers, so eviction waits up to this much past suspect_timeout.
    public var inactiveCheckPeriod: SimTime = Time.ms(500)
    /// evs.suspect_timeout (PT5S).
    public var suspectTimeout: SimTime = Time.s(5)
    /// evs.join_retrans_period (PT1S): how often a member in a membership round sends its join
    /// again; a peer's changed belief reaches the others only with its next join.
    public var joinRetransPeriod: SimTime = Time.s(1)
    /// evs_proto.cpp join_rate_limit: at most one join per 100 ms.
    static let joinRateLimit: SimTime = Time.ms(100)
    /// evs.inactive_timeout (PT15S).
    public var inactiveTimeout: SimTime = Time.s(15)
    /// evs.install_timeout (inactive_timeout / 2): a membership round that has not agreed by then
    /// drops the members that did not answer it.
    public var installTimeout: SimTime { inactiveTimeout / 2 }
    /// pc.weight (1).
    public var weight = 1
    /// gcs.fc_limit (16), gcs.fc_factor (1.0), gcs.fc_master_slave (no).
    public var fcLimit = 16
    public var fcFactor = 1.0
    public var fcMasterSlave = false
    /// Local execution + InnoDB commit on the node the client talks to (half before replication,
    /// half for the ordered commit).
    public var localCommit: SimTime = Time.us(500)
    /// The host disk's fsync of the redo log at each commit (innodb_flush_log_at_trx_commit=1;
    /// nil for 0 or 2). Local commits wait for it after their ordered commit, grouped (RedoLog).
    public var diskFsync: LatencyModel? = .logNormal(median: Time.us(300), sigma: 0.25)
    /// Time an applier thread needs per remote write-set (wsrep_slave_threads effect folded in).
    public var applyTime: SimTime = Time.us(200)
    /// CPU and NIC time the group layer spends per member on each write-set it sends or acks
    /// (serialisation, one unicast per member in gcomm): what each extra member costs a commit.
    public var perMemberSendCost: SimTime = Time.us(15)
    /// CPU a member spends on each write-set it receives from another node before it acknowledges
    /// it (gcomm receive thread: unserialise, gcs queue, certification index): one burst on the
    /// node's gcomm thread. With members sharing cores, the slowest member's turn is what the
    /// origin waits for.
    public var writeSetCost: SimTime = 0
    /// Rolling back a local transaction that an applier brute-force aborts (it held a row lock
    /// the applier needs).
    public var bfAbortTime: SimTime = Time.us(300)
    /// gcache.size expressed in write-sets (gcache.size / average write-set size).
    public var gcacheWriteSets = 131_072
    /// IST cost per write-set sent from the donor's gcache.
    public var istPerWriteSet: SimTime = Time.us(20)
    /// SST (full copy from the donor, e.g. mariabackup): fixed part, plus per row of data.
    public var sstDuration: SimTime = Time.s(60)
    public var sstPerRow: SimTime = 0
    /// wsrep_sst_method rsync/mysqldump: the donor holds FLUSH TABLES WITH READ LOCK for the whole
    /// SST, so its clients' writes wait; xtrabackup-v2 / mariabackup do not.
    public var sstBlocksDonor = false
    /// mysqld start-up before the node joins the group.
    public var startupTime: SimTime = Time.s(5)
    /// mysqld starts when its host boots (systemd enabled).
    public var autostart = true
    /// MariaDB's systemd unit runs galera_recovery (mysqld --wsrep-recover) before each start, so
    /// the node knows its position after a kill -9 and can rejoin by IST. Off: grastate.dat
    /// says seqno -1 after a crash and the node needs a full SST.
    public var wsrepRecover = true
    /// wsrep_retry_autocommit: re-runs of an autocommit statement that failed certification.
    public var retryAutocommit = 1
    /// wsrep_auto_increment_control=ON: increment = cluster size, offset = node index + 1.
    public var autoIncrementIncrement: Int64 = 1
    public var autoIncrementOffset: Int64 = 1
    public init() {}
}
