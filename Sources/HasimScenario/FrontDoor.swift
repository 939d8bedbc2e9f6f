import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload

/// How the application reaches the primary (the scenario's `front_door:` section). Without
/// one, the application dials the primary's host address.
public enum FrontDoorSpec: Sendable, Equatable {
    /// A virtual IP held by a host of one site, moved with `ip addr` and gratuitous ARP.
    case vip(VIPFrontDoor)
    /// A DNS name whose record a failover changes through the provider's API.
    case dns(DNSFrontDoor)
    /// An HAProxy-like L4 proxy that health-checks the databases and relays connections.
    case proxy(ProxyFrontDoor)

    public var kind: String {
        switch self {
        case .vip: return "vip"
        case .dns: return "dns"
        case .proxy: return "proxy"
        }
    }
}

public struct VIPFrontDoor: Sendable, Equatable {
    public var address: String
    /// The site (broadcast domain) the VIP lives in.
    public var site: String
    /// The host that holds it at the start.
    public var holder: String
}

public struct DNSFrontDoor: Sendable, Equatable {
    public var name: String
    /// The record's TTL: how long resolvers keep an answer.
    public var ttl: SimTime
    /// The provider API's delay, uniform in [min, max] (seed 000: 4–6 s).
    public var apiDelayMin: SimTime = Time.s(4)
    public var apiDelayMax: SimTime = Time.s(6)
    /// The application runtime's own cache (JVM `networkaddress.cache.ttl`, default 30 s);
    /// 0 = none, nil = forever.
    public var clientCache: SimTime? = NameResolution.jvmDefaultTTL
    /// The host the record names at the start.
    public var target: String
}

public struct ProxyFrontDoor: Sendable, Equatable {
    /// The host the proxy runs on.
    public var host: String
    /// Database hosts, in `server` line order.
    public var backends: [String]
    /// The ones marked `backup`.
    public var backup: [String]
    public var settings: ProxySettings
}

/// A front door built into a simulated world.
final class FrontDoorRuntime {
    let spec: FrontDoorSpec
    private let network: Network
    /// What the application is configured with.
    let applicationAddress: IPAddress
    /// The port the application dials (the proxy's), nil: mysqld's.
    private(set) var port: Int?
    private(set) var proxy: L4Proxy?

    init(_ spec: FrontDoorSpec, network: Network) {
        self.spec = spec
        self.network = network
        switch spec {
        case .vip(let v):
            let vips = VIPTable(network: network)
            let address = IPAddress(v.address)
            vips.addVIP(address, site: v.site)
            if let holder = network.host(named: v.holder) { vips.acquire(address, on: holder) }
            applicationAddress = address
        case .dns(let d):
            var settings = DNSSettings()
            settings.apiDelay = .uniform(min: d.apiDelayMin, max: d.apiDelayMax)
            let dns = DNSService(network: network, settings: settings)
            let target = network.host(named: d.target)!.address
            dns.addRecord(d.name, address: target, ttl: d.ttl)
            applicationAddress = IPAddress(d.name)
        case .proxy(let p):
            let host = network.host(named: p.host)!
            let backends = p.backends.map { name in
                ProxyServer(name: name, address: network.host(named: name)!.address, backup: p.backup.contains(name))
            }
            let proxy = L4Proxy(host: host, network: network, servers: backends, settings: p.settings)
            self.proxy = proxy
            port = p.settings.port
            applicationAddress = host.address
        }
    }

    private var proxyStarted = false

    /// Wires an application to the front door (its own name cache for a DNS name); the
    /// first call also starts the proxy.
    func start(app: ApplicationClient) {
        if case .dns(let d) = spec, let dns = network.dns {
            app.nameResolution = NameResolution(dns: dns, host: app.process.host, cacheTTL: d.clientCache)
        }
        if !proxyStarted {
            proxyStarted = true
            proxy?.start()
        }
    }

    /// The host the front door leads to at the end of the run: the authoritative DNS answer,
    /// the proxy's current choice, or for a VIP the application host's ARP view.
    func finalTarget(from host: Host) -> HostID? {
        switch spec {
        case .vip:
            return network.resolve(applicationAddress, from: host)
        case .dns(let d):
            return network.dns?.record(d.name).flatMap { network.resolve($0.address, from: host) }
        case .proxy:
            return proxy?.currentTarget.flatMap { network.resolve($0.address, from: host) }
        }
    }
}
