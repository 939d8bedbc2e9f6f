import HasimKernel

extension TraceKind {
    /// A failover tool or DBA called the DNS provider's API to change a record.
    public static let dnsUpdate = TraceKind("dns_update")
    /// The authoritative servers answer with the new address.
    public static let dnsChange = TraceKind("dns_change")
}

/// How long DNS operations take.
public struct DNSSettings: Sendable, Equatable {
    /// From the API call to the authoritative servers answering with the new record.
    /// Seed 000: "DNS변경 API호출 시간만(4~6초 소요)" (the change API alone takes 4–6 s); not
    /// confirmed by a primary source (ha-tools-defaults.md §11: Route 53 documents only
    /// PENDING -> INSYNC, with no time).
    public var apiDelay: LatencyModel = .uniform(min: Time.s(4), max: Time.s(6))
    /// A query that misses the host's cache: one round trip to the site's recursive resolver
    /// (which asks the authoritative servers). A judgement; small next to every TTL.
    public var queryLatency: SimTime = Time.ms(1)
    public init() {}
}

/// An authoritative DNS zone, changed through a provider API that takes seconds, and the
/// resolver cache of every host, which keeps an answer for the record's TTL.
///
/// Lookups are not carried by the simulated network: the DNS servers are outside the
/// modelled sites and are assumed reachable.
public final class DNSService {
    public let network: Network
    public let settings: DNSSettings
    private var rng: SimRandom

    public struct Record: Sendable, Equatable {
        public var address: IPAddress
        public var ttl: SimTime
    }
    private var records: [String: Record] = [:]
    private struct Cached { var address: IPAddress; var expires: SimTime }
    /// [host raw id][name]
    private var caches: [[String: Cached]] = []

    /// Installs the service on the network (`network.dns`).
    public init(network: Network, settings: DNSSettings = DNSSettings()) {
        self.network = network
        self.settings = settings
        rng = network.sim.random("dns/api")
        network.dns = self
    }

    public func addRecord(_ name: String, address: IPAddress, ttl: SimTime) {
        records[name] = Record(address: address, ttl: ttl)
    }

    /// What the authoritative servers answer now.
    public func record(_ name: String) -> Record? { records[name] }

    /// Whether an address the application dials is a name of this zone.
    public func isName(_ address: IPAddress) -> Bool { records[address.value] != nil }

    /// Calls the provider's API: the authoritative answer changes after the API delay.
    /// `completion(true)` when it has (false: the name is unknown).
    public func update(_ name: String, to address: IPAddress, by node: String,
                       completion: ((Bool) -> Void)? = nil) {
        guard records[name] != nil else { completion?(false); return }
        let delay = settings.apiDelay.sample(&rng)
        network.sim.record(node, .dnsUpdate, "\(name) -> \(address) requested")
        network.sim.after(delay) { [weak self] in
            guard let self else { return }
            self.records[name]?.address = address
            self.network.sim.record(node, .dnsChange, "\(name) -> \(address) (TTL \(Time.format(self.records[name]!.ttl)))")
            completion?(true)
        }
    }

    /// Resolves a name through the host's resolver cache: a fresh cached answer at once,
    /// otherwise a query to the resolver, whose answer is cached for the record's TTL.
    /// Nil: no such name.
    public func lookup(_ name: String, from host: Host, completion: @escaping (IPAddress?) -> Void) {
        while caches.count <= host.id.raw { caches.append([:]) }
        if let c = caches[host.id.raw][name], network.sim.now < c.expires {
            completion(c.address)
            return
        }
        network.sim.after(settings.queryLatency) { [weak self] in
            guard let self else { return }
            guard let r = self.records[name] else { completion(nil); return }
            if r.ttl > 0 {
                self.caches[host.id.raw][name] = Cached(address: r.address, expires: self.network.sim.now + r.ttl)
            }
            completion(r.address)
        }
    }

    /// What a host's resolver cache holds for a name (nil: nothing fresh).
    public func cached(_ name: String, on host: Host) -> IPAddress? {
        guard host.id.raw < caches.count, let c = caches[host.id.raw][name], network.sim.now < c.expires else { return nil }
        return c.address
    }
}
