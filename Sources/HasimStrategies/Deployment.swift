import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

extension TraceKind {
    /// A monitoring system or HA tool decided the primary has failed.
    public static let alert = TraceKind("alert")
    /// A failover begins; node = the old primary, detail names the target.
    public static let failoverStart = TraceKind("failover_start")
    /// One step of a failover (node = where it acted).
    public static let failoverStep = TraceKind("failover_step")
    /// A failover step that could not be carried out.
    public static let failoverStepFailed = TraceKind("failover_step_failed")
    /// Clients can write to the new primary.
    public static let failoverComplete = TraceKind("failover_complete")
    /// A role (e.g. an MMM reader VIP) moved from one host to another.
    public static let roleChange = TraceKind("role_change")
}

/// A database server as a tool's configuration file names it (MHA's `[server1]`, mmm_common.conf's
/// `<host db1>`, haresources' node, the operator's runbook): its name, its host (to run
/// processes there and to reach it), its address and port, its server_id and the source it was
/// set up to replicate from. Nothing a tool could only learn by asking: no server object.
public struct DatabaseHandle: Equatable {
    public let name: String
    public let host: Host
    public let port: Int
    public let serverID: UInt32
    /// The server it replicates from as set up at start (CHANGE MASTER in the build runbook;
    /// a dual-master primary's peer), by name.
    public let configuredSource: String?
    public var address: IPAddress { host.address }
    public static func == (a: DatabaseHandle, b: DatabaseHandle) -> Bool { a.name == b.name }
}

/// What a strategy acts on: the simulated hosts, handles to the database servers and the
/// application. A strategy talks to servers only through the network (SQL, agents, VIP/DNS
/// calls); the server objects are private to this file, and the one way to their files is a
/// process on their own host (`localDatabase(for:)`): a god's-eye read does not compile.
public final class Deployment {
    public let sim: Simulation
    public let network: Network
    /// Every database node, one per database host, in scenario order: private, so that no
    /// strategy can read a server's state behind the network's back.
    private let nodes: [DatabaseNode]
    /// Every database server, in scenario order.
    public let databases: [DatabaseHandle]
    private let firstPrimary: DatabaseHandle?
    /// The first primary (the first database for strategies whose nodes are all writable).
    public var initialPrimary: DatabaseHandle {
        guard let p = firstPrimary ?? databases.first else { preconditionFailure("a deployment without databases") }
        return p
    }
    /// (replica, its source) in scenario order.
    public let replicas: [(replica: DatabaseHandle, source: DatabaseHandle)]
    /// Set once the strategy has said which address the application uses.
    public var app: ApplicationClient!
    /// Block devices shared by two hosts (set up by `attachSharedLUN` / `startDRBD`).
    private var lun: SharedLUN?
    private var drbd: DRBDResource?
    /// The web tier's JDBC pools (one per Tomcat) that write through the same address: a
    /// redeploy of the application redeploys them too.
    public var webPools: [ApplicationClient] = []

    public init(sim: Simulation, network: Network, nodes: [DatabaseNode], initialPrimary: MySQLServer?,
                replicas: [(replica: MySQLServer, source: MySQLServer)]) {
        self.sim = sim
        self.network = network
        self.nodes = nodes
        let sourceName: (DatabaseNode) -> String? = { n in
            n.replicationSource.flatMap { a in nodes.first { $0.host.address == a }?.name }
        }
        let handles = nodes.enumerated().map { i, n in
            let server = n as? MySQLServer
            return DatabaseHandle(name: n.name, host: n.host, port: server?.config.port ?? 3306,
                                  serverID: server?.config.serverID ?? UInt32(i + 1), configuredSource: sourceName(n))
        }
        func handle(_ s: MySQLServer) -> DatabaseHandle { handles.first { $0.name == s.name }! }
        self.databases = handles
        self.firstPrimary = initialPrimary.map(handle)
        self.replicas = replicas.map { (handle($0.replica), handle($0.source)) }
    }

    public func database(named name: String) -> DatabaseHandle? { databases.first { $0.name == name } }

    /// The one way to a database's files and processes: from a process running on its host (an
    /// agent, sshd, a resource agent), as the real tool reads its own host's disk and process
    /// table. Nil when no database runs on that process's host.
    func localDatabase(for process: NetProcess) -> LocalDatabase? {
        guard let node = nodes.first(where: { $0.host === process.host }) else { return nil }
        return LocalDatabase(node: node) { [unowned self] in
            let device = self.drbd.flatMap { r in (node as? MySQLServer).flatMap(r.node).map { (resource: r, node: $0) } }
            return (self.lun, device)
        }
    }

    /// sshd or an HA tool's agent on a database host (or on another host, with no database):
    /// it runs commands there and reads that host's own files.
    func startHostAgent(name: String, on host: Host, port: Int) -> HostAgent {
        let agent = HostAgent(name: name, host: host, port: port, network: network)
        agent.local = localDatabase(for: agent.process)
        return agent
    }

    /// One LUN of a SAN that both hosts are cabled to (RHCS): the datadir of whichever mounted it
    /// last. The first database has it mounted at start.
    func attachSharedLUN(_ a: DatabaseHandle, _ b: DatabaseHandle) {
        let servers = [a, b].compactMap { h in nodes.first { $0.name == h.name } as? MySQLServer }
        lun = SharedLUN(servers: servers)
    }

    /// DRBD's kernel module on two hosts (a Primary with its datadir, a Secondary with a block
    /// copy), configured before the cluster's agents look for it; `startDRBD` connects it.
    func attachDRBD(primary: DatabaseHandle, secondary: DatabaseHandle, config: DRBDConfig) {
        guard let p = nodes.first(where: { $0.name == primary.name }) as? MySQLServer,
              let s = nodes.first(where: { $0.name == secondary.name }) as? MySQLServer else { return }
        drbd = DRBDResource(primary: p, secondary: s, network: network, config: config)
    }

    /// `drbdadm up`: the resource connects and gates the Primary's commits.
    func startDRBD() { drbd?.start() }

    /// The VIP the application dials, if its address is one (what a tool must move).
    public var applicationVIP: IPAddress? {
        let a = app.address
        return (network.vips?.isVIP(a) ?? false) ? a : nil
    }

    /// The DNS name the application dials, if its address is one.
    public var applicationDNSName: String? {
        let a = app.address
        return (network.dns?.isName(a) ?? false) ? a.value : nil
    }
}

/// A running strategy: the tools, agents and people of one architecture.
public protocol StrategyRuntime: AnyObject {
    /// The address the application is configured with at start.
    var applicationAddress: IPAddress { get }
    /// Starts monitors, agents and managers (after the application exists).
    func start()
}

public enum StrategyFactory {
    /// The database nodes of a strategy that runs its own node kind, one per host; nil when the
    /// hosts run plain MySQL servers.
    public static func makeNodes(_ name: String, options: OptionValues, hosts: [(name: String, host: Host)],
                                 network: Network, hotRows: Int) -> [DatabaseNode]? {
        switch name {
        case Galera.descriptor.name: return Galera.makeNodes(options: options, hosts: hosts, network: network, hotRows: hotRows)
        default: return nil
        }
    }

    /// Builds the runtime of a strategy named in the catalog.
    public static func make(_ name: String, options: OptionValues, deployment: Deployment) -> StrategyRuntime? {
        switch name {
        case SingleServer.descriptor.name: return SingleServerRuntime(deployment: deployment)
        case ManualFailover.descriptor.name, VIPManual.descriptor.name:
            return ManualFailoverRuntime(options: options, deployment: deployment)
        case MHA.descriptor.name: return MHARuntime(options: options, deployment: deployment)
        case MMM.descriptor.name: return MMMRuntime(options: options, deployment: deployment)
        case HeartbeatMon.descriptor.name: return HeartbeatMonRuntime(options: options, deployment: deployment)
        case Keepalived.descriptor.name: return KeepalivedRuntime(options: options, deployment: deployment)
        case DRBD.descriptor.name: return DRBDRuntime(options: options, deployment: deployment)
        case SharedDisk.descriptor.name: return SharedDiskRuntime(options: options, deployment: deployment)
        case Galera.descriptor.name: return GaleraRuntime(options: options, deployment: deployment)
        default: return nil
        }
    }
}
