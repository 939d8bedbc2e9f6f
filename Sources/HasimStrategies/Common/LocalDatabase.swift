import HasimKernel
import HasimNetwork
import HasimDatabase

/// What a process on a database host reaches on that host alone: mysqld's process (pid file,
/// `kill -0`, systemctl), its files (binlogs, relay logs, my.cnf) and the host's block devices
/// (a shared LUN, DRBD). Only `Deployment.localDatabase(for:)` hands one out, to a process on
/// that very host: sshd running MHA's node tools, MMM's agent, a resource agent. Everything
/// about another host's database a tool learns by asking over the network.
final class LocalDatabase {
    private let node: DatabaseNode
    /// The host's block devices, looked up when used (the cluster sets them up after its agents exist).
    private let devices: () -> (lun: SharedLUN?, drbd: (resource: DRBDResource, node: DRBDResource.Node)?)
    private var lun: SharedLUN? { devices().lun }
    private var drbd: (resource: DRBDResource, node: DRBDResource.Node)? { devices().drbd }

    init(node: DatabaseNode, devices: @escaping () -> (lun: SharedLUN?, drbd: (resource: DRBDResource, node: DRBDResource.Node)?)) {
        self.node = node
        self.devices = devices
    }

    var name: String { node.name }
    private var server: MySQLServer? { node as? MySQLServer }

    // MARK: the process (pid file, kill -0, systemctl)

    enum ProcessState { case down, starting, running }
    /// The pid file and `kill -0`: is mysqld there, and does its socket answer yet.
    var mysqld: ProcessState {
        guard let server else { return node.isRunning ? .running : .down }
        switch server.state {
        case .down: return .down
        case .starting: return .starting
        case .running: return .running
        }
    }
    func startMySQLD() { node.startProcess() }
    /// A clean `systemctl stop` (the redo and binlog are flushed).
    func stopMySQLD() { server?.stop() }
    /// A shutdown_script's stopssh: `kill -9` of mysqld and mysqld_safe; nothing restarts it.
    func killMySQLD() -> Bool {
        guard let server else { return false }
        server.setAutostart(false)
        server.crash()
        return true
    }
    /// my.cnf of a cluster-managed mysqld: init does not start it (the cluster does), and one
    /// my.cnf serves both nodes, so no read_only.
    func manageByCluster() {
        server?.setAutostart(false)
        server?.setReadOnlyAtStartup(false)
    }

    // MARK: the binary and relay logs on disk (mysqlbinlog; mysqld may be dead)

    func eventsOnDisk(notIn set: GTIDSet) -> [BinlogEvent]? { server?.eventsOnDisk(notIn: set) }
    /// nil: purged; nil too without a mysqld on this host (`hasBinlogs` tells which).
    func binlogEvents(from p: Int) -> [BinlogEvent]? { server?.binlogEvents(from: p) }
    func relayLogEvents(fromSourcePosition p: Int) -> [BinlogEvent]? { server?.relayLogEvents(fromSourcePosition: p) }
    var hasBinlogs: Bool { server != nil }

    // MARK: Galera's files and its bootstrap (mysqld stopped)

    func galeraCommand(_ command: AgentCommand, completion: @escaping (AgentReply) -> Void) {
        guard let g = node as? GaleraNode else {
            if case .startMySQLD = command { startMySQLD(); completion(.done) } else { completion(.failed("no Galera node on \(node.name)")) }
            return
        }
        switch command {
        case .readGrastate:
            completion(.grastate(seqno: g.grastate.seqno, safeToBootstrap: g.grastate.safeToBootstrap))
        case .wsrepRecover:
            g.wsrepRecover { seqno in
                completion(seqno.map { .grastate(seqno: $0, safeToBootstrap: g.grastate.safeToBootstrap) }
                           ?? .failed("mysqld is running: the datadir is locked"))
            }
        case .setSafeToBootstrap:
            g.editGrastate(safeToBootstrap: true)
            completion(.done)
        case .galeraNewCluster:
            g.startNewCluster { error in completion(error.map { .failed($0) } ?? .done) }
        case .startMySQLD:
            g.start()
            completion(.done)
        default:
            completion(.failed("not a Galera command"))
        }
    }

    // MARK: block devices

    /// `mount /dev/mapper/lun /var/lib/mysql` (mysqld down): the datadir becomes the blocks the
    /// LUN holds, written by whichever host had it mounted last; the next start replays their redo.
    func mountSharedLUN() -> Bool {
        guard let lun, let server else { return false }
        return lun.mount(on: server)
    }

    var hasDRBD: Bool { drbd != nil }
    /// `drbdadm primary`: refused while connected to a Primary peer (the error text).
    func drbdPromote() -> String? {
        guard let drbd else { return "no DRBD resource on \(node.name)" }
        return drbd.resource.promote(drbd.node)
    }
    /// `mount /dev/drbd0 /var/lib/mysql`.
    func drbdMount() {
        guard let drbd else { return }
        drbd.resource.mount(drbd.node)
    }
}

/// A LUN of a SAN cabled to two hosts. Its blocks are the datadir of the host that mounted it
/// last: what that host's mysqld wrote and made durable (after a power-off its server holds
/// exactly that, the volatile part died with it). Fencing the old owner first is the cluster's
/// job: mounting it on two hosts at once would corrupt it.
final class SharedLUN {
    private let servers: [MySQLServer]
    private var mountedOn: MySQLServer?

    init(servers: [MySQLServer]) {
        self.servers = servers
        mountedOn = servers.first
    }

    func mount(on server: MySQLServer) -> Bool {
        guard server.state == .down, servers.contains(where: { $0 === server }) else { return false }
        if let owner = mountedOn, owner !== server {
            server.mount(owner.storage, redoPending: owner.redoPending)
        }
        mountedOn = server
        return true
    }
}
