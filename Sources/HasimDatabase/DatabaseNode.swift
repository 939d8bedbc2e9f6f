import HasimNetwork

/// One database server process on one host, whatever its kind (a plain mysqld with a binary
/// log, a Galera node). The scenario runner creates exactly one per database host, faults reach
/// it through these calls, and the measurements read its data through them: nothing outside the
/// strategy's own folder needs to know which kind it is.
public protocol DatabaseNode: AnyObject {
    var name: String { get }
    var host: Host { get }
    /// The data on its disk (what survives a crash).
    var storage: Storage { get }
    /// mysqld is running (it may still be starting up or refusing queries).
    var isRunning: Bool { get }
    /// The source it replicates from with CHANGE MASTER, if any.
    var replicationSource: IPAddress? { get }
    /// The replica SQL thread is running.
    var sqlThreadRunning: Bool { get }
    var replicationFailures: [ReplicationFailure] { get }
    /// The node as it is at time zero: running, with the scenario's starting data.
    func bootAtStart()
    /// kill -9 of mysqld; the host stays up.
    func crash()
    /// systemctl start mysql.
    func startProcess()
    /// A DBA's FLUSH TABLES [t] WITH READ LOCK (`global`: all tables), until unlockTables().
    func flushTablesWithReadLock(global: Bool)
    func unlockTables()
    /// kill -STOP of mysqld (a GC-like stall, a frozen VM): it answers nothing until resume();
    /// its host's kernel keeps the connections open.
    func pause()
    /// kill -CONT: mysqld serves what queued meanwhile.
    func resume()
}

extension MySQLServer: DatabaseNode {
    public var isRunning: Bool { state == .running }
    public var replicationSource: IPAddress? { source }
    public var sqlThreadRunning: Bool { replicaStatus?.sqlRunning ?? false }
    public func bootAtStart() { start(immediately: true) }
    public func startProcess() { start() }
}
