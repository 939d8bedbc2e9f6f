import HasimKernel

extension TraceKind {
    /// A host configured a VIP (`ip addr add`); node = the host, detail = the VIP.
    public static let vipAcquire = TraceKind("vip_acquire")
    /// A host removed a VIP (`ip addr del`).
    public static let vipRelease = TraceKind("vip_release")
    /// The gratuitous ARP of a new holder reached the caches of its broadcast domain.
    public static let garp = TraceKind("garp")
}

/// Timings of address resolution inside one broadcast domain.
public struct ARPSettings: Sendable, Equatable {
    /// From `ip addr add` + `arping -U` on the new holder to the peers' caches pointing at it.
    /// Seed 000: "VIP의 경우 arp갱신 0.01초" (ARP refresh 0.01 s); not a documented tool figure
    /// (ha-tools-defaults.md §11 "Check of the seed notes"): tools send the first GARP at once.
    public var garpDelay: SimTime = Time.ms(10)
    /// Linux `base_reachable_time` 30 s: a confirmed entry stays REACHABLE for a random time in
    /// [base/2, 3·base/2) = 15–45 s (`neigh_rand_reach_time`, net/core/neighbour.c; §10).
    public var baseReachableTime: SimTime = Time.s(30)
    public init() {}
}

/// Why a VIP operation was refused.
public enum VIPError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownVIP(IPAddress)
    /// The host is outside the VIP's broadcast domain.
    case otherSite(vip: IPAddress, vipSite: String, host: String, hostSite: String)

    public var description: String {
        switch self {
        case .unknownVIP(let v):
            return "\(v) is not a VIP of this network"
        case .otherSite(let vip, let vipSite, let host, let hostSite):
            return "cannot add VIP \(vip) on \(host): \(host) is in site \(hostSite), the VIP lives in the broadcast domain (L2) of site \(vipSite); "
                + "ARP does not cross sites, so a VIP cannot fail over between IDCs: use DNS"
        }
    }
}

/// Virtual IPs and the ARP caches that decide which host a packet for one reaches.
///
/// A VIP belongs to one site (one L2 broadcast domain). A host of that site raises it
/// (`ip addr add`) and sends a gratuitous ARP; peers of the site that already have an entry
/// for the VIP point it at the new holder (`arp_accept`=0: GARP updates, never creates,
/// entries). An entry ages out after 15–45 s; the next packet then asks the whole domain who
/// holds the VIP: every holder that is up and reachable answers and the last answer to
/// arrive wins. Two holders at once (split brain) are a state like any other: each client
/// reaches whichever host its own cache names. Hosts of other sites reach a VIP through the
/// gateway of its site, which keeps an ARP cache of its own.
public final class VIPTable {
    public let network: Network
    public let settings: ARPSettings
    private var rng: SimRandom

    private struct Holder { var host: HostID; var incarnation: UInt32 }
    private struct VIP {
        let address: IPAddress
        let site: String
        /// In the order they raised it.
        var holders: [Holder] = []
    }
    /// A neighbour entry; `holder` nil: INCOMPLETE (asked, nobody answered yet).
    private struct Entry { var holder: HostID?; var expires: SimTime }

    private var vips: [VIP] = []
    private var index: [IPAddress: Int] = [:]
    /// [host raw id][vip index]
    private var caches: [[Entry?]] = []
    /// [vip index]: the ARP cache of the gateway of the VIP's site (for hosts of other sites).
    private var gateways: [Entry?] = []

    /// Installs the table as the network's address resolver.
    public init(network: Network, settings: ARPSettings = ARPSettings()) {
        self.network = network
        self.settings = settings
        rng = network.sim.random("arp")
        network.vips = self
        network.resolver = { [unowned self] address, host in self.resolve(address, from: host) }
    }

    /// Declares a VIP of a site; nobody holds it yet.
    public func addVIP(_ address: IPAddress, site: String) {
        precondition(index[address] == nil, "duplicate VIP \(address)")
        index[address] = vips.count
        vips.append(VIP(address: address, site: site))
        gateways.append(nil)
        for i in caches.indices { caches[i].append(nil) }
    }

    public func isVIP(_ address: IPAddress) -> Bool { index[address] != nil }

    public func site(of vip: IPAddress) -> String? { index[vip].map { vips[$0].site } }

    /// Hosts that hold the VIP now (up, and not rebooted since they raised it), in the order they raised it.
    public func holders(of vip: IPAddress) -> [Host] {
        guard let v = index[vip] else { return [] }
        return vips[v].holders.filter(isLive).map { network.host($0.host) }
    }

    /// What a host's ARP cache says about a VIP (nil: no entry), and whether the entry is still fresh.
    public func cachedHolder(of vip: IPAddress, on host: Host) -> (holder: Host, fresh: Bool)? {
        guard let v = index[vip], let h = entry(v, host)?.holder else { return nil }
        return (network.host(h), network.sim.now < entry(v, host)!.expires)
    }

    // MARK: - raising and removing

    /// `ip addr add VIP` on `host`, then a gratuitous ARP to its broadcast domain.
    /// Refused for a host outside the VIP's site.
    @discardableResult
    public func acquire(_ vip: IPAddress, on host: Host) -> Result<Void, VIPError> {
        guard let v = index[vip] else { return .failure(.unknownVIP(vip)) }
        guard host.site == vips[v].site else {
            return .failure(.otherSite(vip: vip, vipSite: vips[v].site, host: host.name, hostSite: host.site))
        }
        guard host.isUp else { return .success(()) }
        vips[v].holders.removeAll { $0.host == host.id }
        vips[v].holders.append(Holder(host: host.id, incarnation: host.incarnation))
        network.sim.record(host.name, .vipAcquire, "\(vip)")
        let incarnation = host.incarnation
        network.sim.after(settings.garpDelay) { [weak self] in
            self?.gratuitousARP(v, from: host, incarnation: incarnation)
        }
        return .success(())
    }

    /// `ip addr del VIP` on `host`: it stops answering for the VIP and drops packets sent to it.
    public func release(_ vip: IPAddress, on host: Host) {
        guard let v = index[vip], vips[v].holders.contains(where: { $0.host == host.id }) else { return }
        vips[v].holders.removeAll { $0.host == host.id }
        network.sim.record(host.name, .vipRelease, "\(vip)")
    }

    private func gratuitousARP(_ v: Int, from holder: Host, incarnation: UInt32) {
        // Sent by the holder's kernel: lost if the host died in between.
        guard holder.isUp, holder.incarnation == incarnation else { return }
        let now = network.sim.now
        var updated: [String] = [], missed: [String] = []
        for h in network.hosts where h.site == vips[v].site && h.id != holder.id {
            guard h.isUp, network.canReach(holder.id, h.id) else { missed.append(h.name); continue }
            ensureCache(h.id)
            // arp_accept=0: an existing entry is updated, none is created.
            guard caches[h.id.raw][v] != nil else { continue }
            caches[h.id.raw][v] = Entry(holder: holder.id, expires: now + reachableTime())
            updated.append(h.name)
        }
        let site = vips[v].site
        let gatewayUpdated = gateways[v] != nil
        if gatewayUpdated { gateways[v] = Entry(holder: holder.id, expires: now + reachableTime()) }
        // SYNs queued on these entries leave now.
        network.neighbourUpdated(vips[v].address) { h in
            h.site == site ? updated.contains(h.name) : gatewayUpdated
        }
        var detail = "\(vips[v].address) is-at \(holder.name)"
        if !updated.isEmpty { detail += "; updated " + updated.joined(separator: ",") }
        if !missed.isEmpty { detail += "; missed " + missed.joined(separator: ",") + " (down or unreachable)" }
        network.sim.record(holder.name, .garp, detail)
    }

    // MARK: - resolution

    /// The host a packet from `host` to `address` reaches: a host's own address, or for a
    /// VIP what the sender's (or its site gateway's) ARP cache says, asking the domain when
    /// the entry has aged out. Nil: nobody answers, or the cached host no longer has the
    /// address (its kernel drops the packet).
    public func resolve(_ address: IPAddress, from host: Host) -> HostID? {
        guard let v = index[address] else { return network.ownerOfAddress(address) }
        if vips[v].holders.contains(where: { $0.host == host.id && isLive($0) }) { return host.id }
        let now = network.sim.now
        let local = host.site == vips[v].site
        let cached = local ? entry(v, host) : gateways[v]
        if let e = cached, let h = e.holder, now < e.expires { return deliverable(h, v) }
        // No entry or a stale one: who-has VIP, broadcast in the domain. Without an answer
        // the entry stays (INCOMPLETE if new), so that a gratuitous ARP can complete it.
        let answer = ask(v, from: local ? host : nil)
        guard answer != nil || cached == nil else { return nil }
        let e = Entry(holder: answer, expires: answer == nil ? now : now + reachableTime())
        if local {
            ensureCache(host.id)
            caches[host.id.raw][v] = e
        } else {
            gateways[v] = e
        }
        return answer
    }

    /// A cached holder is used as long as the entry is fresh; if that host has since
    /// removed the address, it drops what it receives for it.
    private func deliverable(_ h: HostID, _ v: Int) -> HostID? {
        let host = network.host(h)
        if host.isUp && !vips[v].holders.contains(where: { $0.host == h && isLive($0) }) { return nil }
        return h
    }

    /// The holders that hear the request and can answer; the last reply to arrive wins.
    /// `asker` nil: the gateway of the VIP's site asks.
    private func ask(_ v: Int, from asker: Host?) -> HostID? {
        var best: (HostID, SimTime)?
        for holder in vips[v].holders where isLive(holder) {
            let h = network.host(holder.host)
            if let a = asker, !(network.canReach(a.id, h.id) && network.canReach(h.id, a.id)) { continue }
            let rtt = network.link(asker ?? h, h).latency.sample(&rng) * 2
            if best == nil || rtt >= best!.1 { best = (h.id, rtt) }
        }
        return best?.0
    }

    private func isLive(_ holder: Holder) -> Bool {
        let h = network.host(holder.host)
        // A VIP added with `ip addr add` does not survive a reboot.
        return h.isUp && h.incarnation == holder.incarnation
    }

    private func entry(_ v: Int, _ host: Host) -> Entry? {
        host.id.raw < caches.count ? caches[host.id.raw][v] : nil
    }

    private func ensureCache(_ id: HostID) {
        while caches.count <= id.raw { caches.append([Entry?](repeating: nil, count: vips.count)) }
    }

    private func reachableTime() -> SimTime {
        let base = settings.baseReachableTime
        return base / 2 + SimTime(rng.next(upperBound: UInt64(max(1, base))))
    }
}
