import HasimKernel
import HasimNetwork

/// The application runtime's own cache of name lookups (the JVM's InetAddress cache), in
/// front of the host's resolver. A JVM keeps an answer for `networkaddress.cache.ttl`
/// whatever the record's TTL says.
public final class NameResolution {
    /// JDK default `networkaddress.cache.ttl`: 30 s without a SecurityManager (openjdk
    /// sun/net/InetAddressCachePolicy.java `DEFAULT_POSITIVE`; ha-tools-defaults.md §11).
    public static let jvmDefaultTTL: SimTime = Time.s(30)

    private let dns: DNSService
    private let host: Host
    /// How long an answer is kept: 0 = not at all, nil = forever (the JDK 8-era default
    /// with a SecurityManager installed: "until you restart the JVM").
    public let cacheTTL: SimTime?
    private var cache: [String: (address: IPAddress, expires: SimTime?)] = [:]

    public init(dns: DNSService, host: Host, cacheTTL: SimTime?) {
        self.dns = dns
        self.host = host
        self.cacheTTL = cacheTTL
    }

    /// Calls back with the address to dial: an IP as it is, a name through the cache and
    /// the host's resolver. A name nobody knows comes back unchanged (it leads nowhere).
    public func resolve(_ address: IPAddress, _ completion: @escaping (IPAddress) -> Void) {
        let name = address.value
        guard dns.isName(address) else { completion(address); return }
        if let c = cache[name], c.expires.map({ dns.network.sim.now < $0 }) ?? true {
            completion(c.address)
            return
        }
        dns.lookup(name, from: host) { [weak self] answer in
            guard let self else { return }
            guard let answer else { completion(address); return }
            if self.cacheTTL != 0 {
                self.cache[name] = (answer, self.cacheTTL.map { self.dns.network.sim.now + $0 })
            }
            completion(answer)
        }
    }

    /// A restarted JVM starts with an empty cache.
    public func flush() { cache.removeAll() }
}
