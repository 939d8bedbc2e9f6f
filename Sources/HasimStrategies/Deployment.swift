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

/// What a strategy acts on: the simulated hosts, servers and the application.
/// A strategy talks to servers only through the network (SQL, agents, VIP/DNS calls).
public final class Deployment {
    public let sim: Simulation
    public let network: Network
    /// Every database node, one per database host, in scenario order.
    public let nodes: [DatabaseNode]
    /// The nodes that are plain MySQL servers (all of them, except in strategies with their own
    /// node kind), in scenario order.
    public let servers: [MySQLServer]
    private let firstPrimary: MySQLServer?
    /// The first primary; only strategies that run plain MySQL servers ask for it.
    public var initialPrimary: MySQLServer {
        guard let p = firstPrimary else { preconditionFailure("this strategy's nodes are not plain MySQL servers") }
        return p
    }
    /// (replica, its source) in scenario order.
    public let replicas: [(replica: MySQLServer, source: MySQLServer)]
    /// Set once the strategy has said which address the application uses.
    public var app: ApplicationClient!
    /// The web tier's JDBC pools (one per Tomcat) that write through the same address: a
    /// redeploy of the application redeploys them too.
    public var webPools: [ApplicationClient] = []

    public init(sim: Simulation, network: Network, nodes: [DatabaseNode], initialPrimary: MySQLServer?,
                replicas: [(replica: MySQLServer, source: MySQLServer)]) {
        self.sim = sim
        self.network = network
        self.nodes = nodes
        self.servers = nodes.compactMap { $0 as? MySQLServer }
        self.firstPrimary = initialPrimary
        self.replicas = replicas
    }

    public func server(named name: String) -> MySQLServer? { servers.first { $0.name == name } }

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
