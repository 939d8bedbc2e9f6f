import HasimKernel

extension TraceKind {
    /// A host configured a VIP (`ip addr add`); node = the host, detail = the VIP.
    public static let vipAcquire = TraceKind("vip_acquire")
    /// A host removed a VIP (`ip addr del`).
    public static let vipRelease = TraceKind("vip_release")
    /// The gratuitous ARP of a new holder reached the caches of its broadcast domain.
    public static let garp = TraceKind("garp")
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

/// Virtual IPs and the neighbour (ARP) caches that decide which host a packet for one reaches.
///
/// A VIP belongs to one site (one L2 broadcast domain). A host of that site raises it
/// (`ip addr add`) and, if its tool does so, sends a gratuitous ARP; peers of the site that
/// already have an entry for the VIP point it at the new holder (`arp_accept`=0: a GARP
/// updates, never creates, entries). Every entry then lives as in Linux (NeighbourCache.swift):
/// REACHABLE while confirmed — by an ARP reply or by TCP forward progress on a connection to
/// the VIP — within `reachable_time` (15–45 s); then STALE, DELAY on the next use (5 s for TCP
/// to confirm it), PROBE (3 unicast requests, 1 s apart, to the CACHED host) and FAILED; only
/// then does the next packet ask the whole domain, and the first holder to answer wins. So no
/// client wanders to another holder without a GARP or a failed probe: a VIP moved without a
/// GARP leaves a client on the old host until its entry fails. Two holders at once (split
/// brain) are a state like any other: each client reaches whichever host its own cache names.
/// Hosts of other sites reach a VIP through the gateway of its site, which keeps an entry of
/// its own (confirmed only by ARP: TCP confirmations do not cross a router).
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

    private var vips: [VIP] = []
    private var index: [IPAddress: Int] = [:]
    /// [host raw id, vip index]
    private var caches = NeighbourGrid()
    /// [vip index]: the ARP cache of the gateway of the VIP's site (for hosts of other sites).
    private var gateways: [NeighbourEntry?] = []
    /// `reachable_time` per host interface, and per site gateway (by VIP).
    private var hostReach: [ReachableTime] = []
    private var gatewayReach: [ReachableTime] = []

    /// Installs the table as the network's address resolver.
    public init(network: Network, settings: ARPSettings = ARPSettings()) {
        self.network = network
        self.settings = settings
        rng = network.sim.random("arp")
        network.vips = self
        network.resolver = { [unowned(unsafe) self] address, host in self.resolve(address, from: host) }
    }

    /// Declares a VIP of a site; nobody holds it yet.
    public func addVIP(_ address: IPAddress, site: String) {
        precondition(index[address] == nil, "duplicate VIP \(address)")
        index[address] = vips.count
        vips.append(VIP(address: address, site: site))
        gateways.append(nil)
        gatewayReach.append(ReachableTime())
        caches.addColumn()
    }

    public func isVIP(_ address: IPAddress) -> Bool { index[address] != nil }

    /// The VIP's slot, kept by a connection that dialled it (for TCP's confirmations).
    func slot(of address: IPAddress) -> Int? { index[address] }

    public func site(of vip: IPAddress) -> String? { index[vip].map { vips[$0].site } }

    /// Hosts that hold the VIP now (up, and not rebooted since they raised it), in the order they raised it.
    public func holders(of vip: IPAddress) -> [Host] {
        guard let v = index[vip] else { return [] }
        return vips[v].holders.filter(isLive).map { network.host($0.host) }
    }

    /// `ip addr show` on `host`: whether its own interface carries the address now (raised
    /// in this boot and not removed). The host-local question a tool on that host can ask,
    /// unlike `holders(of:)`, which is the whole network's view.
    public func isConfigured(_ vip: IPAddress, on host: Host) -> Bool {
        guard let v = index[vip] else { return false }
        return vips[v].holders.contains { $0.host == host.id && $0.incarnation == host.incarnation }
    }

    /// What a host's ARP cache says about a VIP (nil: no entry or none known), and whether the
    /// entry is REACHABLE (fresh) rather than STALE, DELAY or PROBE.
    public func cachedHolder(of vip: IPAddress, on host: Host) -> (holder: Host, fresh: Bool)? {
        guard let v = index[vip], let e = entry(NeighbourOwner(host: host.id.raw, vip: v)),
              e.state.isValid, let h = e.holder else { return nil }
        return (network.host(h), e.state == .reachable)
    }

    /// The state of a host's entry for a VIP (`ip neigh show`), nil without one.
    public func neighbourState(of vip: IPAddress, on host: Host) -> NeighbourState? {
        guard let v = index[vip] else { return nil }
        return entry(NeighbourOwner(host: host.id.raw, vip: v))?.state
    }

    // MARK: - raising and removing

    /// `ip addr add VIP` on `host`, then (with `announce`, as `arping -U` or the tool does) a
    /// gratuitous ARP to its broadcast domain. Refused for a host outside the VIP's site.
    @discardableResult
    public func acquire(_ vip: IPAddress, on host: Host, announce: Bool = true) -> Result<Void, VIPError> {
        guard let v = index[vip] else { return .failure(.unknownVIP(vip)) }
        guard host.site == vips[v].site else {
            return .failure(.otherSite(vip: vip, vipSite: vips[v].site, host: host.name, hostSite: host.site))
        }
        guard host.isUp else { return .success(()) }
        vips[v].holders.removeAll { $0.host == host.id }
        vips[v].holders.append(Holder(host: host.id, incarnation: host.incarnation))
        network.sim.record(host.name, .vipAcquire, "\(vip)\(announce ? "" : " (no gratuitous ARP)")")
        if announce { announceAgain(vip, from: host) }
        return .success(())
    }

    /// A gratuitous ARP for a VIP the host holds (keepalived's later rounds, a repeated arping),
    /// heard `garpDelay` later.
    public func announceAgain(_ vip: IPAddress, from host: Host) {
        guard let v = index[vip] else { return }
        let incarnation = host.incarnation
        network.sim.after(settings.garpDelay) { [unowned(unsafe) self] in
            self.gratuitousARP(v, from: host, incarnation: incarnation)
        }
    }

    /// `ip addr del VIP` on `host`: it stops answering for the VIP and drops packets sent to it.
    public func release(_ vip: IPAddress, on host: Host) {
        guard let v = index[vip], vips[v].holders.contains(where: { $0.host == host.id }) else { return }
        vips[v].holders.removeAll { $0.host == host.id }
        network.sim.record(host.name, .vipRelease, "\(vip)")
    }

    private func gratuitousARP(_ v: Int, from holder: Host, incarnation: UInt32) {
        // Sent by the holder's kernel: lost if the host died in between or dropped the address.
        guard holder.isUp, holder.incarnation == incarnation,
              vips[v].holders.contains(where: { $0.host == holder.id && isLive($0) }) else { return }
        var updated: [String] = [], missed: [String] = []
        for h in network.hosts where h.site == vips[v].site && h.id != holder.id {
            guard h.isUp, network.canReach(holder.id, h.id) else { missed.append(h.name); continue }
            ensureCache(h.id)
            // arp_accept=0: an existing entry is updated (in any state), none is created.
            let o = NeighbourOwner(host: h.id.raw, vip: v)
            guard entry(o) != nil else { continue }
            update(o, to: holder.id, state: .stale, override: true)
            updated.append(h.name)
        }
        let site = vips[v].site
        let gatewayUpdated = gateways[v] != nil
        if gatewayUpdated { update(.gateway(v), to: holder.id, state: .stale, override: true) }
        // SYNs queued on these entries leave now.
        network.neighbourUpdated(vips[v].address) { h in
            h.site == site ? updated.contains(h.name) : gatewayUpdated
        }
        var detail = "\(vips[v].address) is-at \(holder.name)"
        if !updated.isEmpty { detail += "; updated " + updated.joined(separator: ",") }
        if !missed.isEmpty { detail += "; missed " + missed.joined(separator: ",") + " (down or unreachable)" }
        network.sim.record(holder.name, .garp, detail)
    }

    // MARK: - resolution (neigh_event_send)

    /// The host a packet from `host` to `address` reaches: a host's own address, or for a
    /// VIP the host its (or its site gateway's) neighbour entry names. Nil: the packet waits
    /// on an INCOMPLETE entry (nobody answered yet), or the named host no longer has the
    /// address (its kernel drops the packet).
    public func resolve(_ address: IPAddress, from host: Host) -> HostID? {
        guard let v = index[address] else { return network.ownerOfAddress(address) }
        return resolve(vip: v, from: host)
    }

    /// `resolve` of the VIP in slot `v`: a connection to a VIP knows its slot (`neighbourSlot`),
    /// so each of its segments skips hashing the address string.
    ///
    /// Asked for every client segment: hosts are read at +0 (`withHost`; `network.host` retained
    /// and released one per holder tested), and an entry whose state the use does not change
    /// only gets its `used` stamp, written in place.
    func resolve(vip v: Int, from host: Host) -> HostID? {
        if vips[v].holders.contains(where: { $0.host == host.id && liveAtZero($0) }) { return host.id }
        let o = host.site == vips[v].site ? NeighbourOwner(host: host.id.raw, vip: v) : .gateway(v)
        if o.host >= 0 { ensureCache(host.id) }
        let now = network.sim.now
        if let e = entry(o), e.state != .failed, e.state != .stale {
            // INCOMPLETE, REACHABLE, DELAY, PROBE: the slow path below would write the entry
            // back with `used` alone changed, and read it again.
            if o.host < 0 { gateways[o.vip]!.used = now } else { caches.at(o.host, o.vip).pointee!.used = now }
            guard e.state.isValid, let h = e.holder else { return nil }
            // `deliverable(h, v)`, its hosts at +0.
            if network.withHost(h, { $0.isUp }) && !vips[v].holders.contains(where: { $0.host == h && liveAtZero($0) }) {
                return nil
            }
            return h
        }
        var e = entry(o) ?? NeighbourEntry(holder: nil, state: .failed, confirmed: 0, updated: now, used: now)
        e.used = now
        switch e.state {
        case .failed:
            // A new request to the whole domain, sent at once (`immediate_probe`).
            e.state = .incomplete
            e.updated = now
            e.probes = settings.unicastProbes
            setEntry(o, e)
            arm(o, at: now + settings.retransTime)
            probe(o)
        case .stale:
            e.state = .delay
            e.updated = now
            setEntry(o, e)
            arm(o, at: now + settings.delayFirstProbeTime)
        case .incomplete, .reachable, .delay, .probe:
            setEntry(o, e)
        }
        guard let after = entry(o), after.state.isValid, let h = after.holder else { return nil }
        return deliverable(h, v)
    }

    /// `isLive` with the host lent at +0 (for `resolve`).
    @inline(__always)
    private func liveAtZero(_ holder: Holder) -> Bool {
        network.withHost(holder.host) { $0.isUp && $0.incarnation == holder.incarnation }
    }

    /// TCP forward progress on a connection from `host` to the VIP in `slot` (a SYN-ACK, or
    /// data acknowledging ours): `dst_confirm` → `neigh_confirm` stamps the entry.
    func confirm(slot v: Int, from host: Host) {
        guard host.site == vips[v].site, host.id.raw < caches.rows else { return }
        let e = caches.at(host.id.raw, v)
        if e.pointee != nil { e.pointee!.confirmed = network.sim.now }
    }

    /// A cached holder is used as long as the entry is valid; if that host has since
    /// removed the address, it drops what it receives for it.
    private func deliverable(_ h: HostID, _ v: Int) -> HostID? {
        let host = network.host(h)
        if host.isUp && !vips[v].holders.contains(where: { $0.host == h && isLive($0) }) { return nil }
        return h
    }

    // MARK: - the entry's timer (neigh_timer_handler)

    private func arm(_ o: NeighbourOwner, at t: SimTime) {
        guard var e = entry(o) else { return }
        e.timer &+= 1
        let generation = e.timer
        setEntry(o, e)
        network.sim.at(t) { [unowned(unsafe) self] in self.timerFired(o, generation) }
    }

    private func disarm(_ o: NeighbourOwner) {
        guard var e = entry(o) else { return }
        e.timer &+= 1
        setEntry(o, e)
    }

    private func timerFired(_ o: NeighbourOwner, _ generation: Int) {
        guard var e = entry(o), e.timer == generation else { return }
        let now = network.sim.now
        let reach = reachableTime(o)
        var next: SimTime?
        switch e.state {
        case .reachable:
            if now <= e.confirmed + reach {
                next = e.confirmed + reach
            } else if now <= e.used + settings.delayFirstProbeTime {
                e.state = .delay
                e.updated = now
                next = now + settings.delayFirstProbeTime
            } else {
                e.state = .stale
                e.updated = now
            }
        case .delay:
            if now <= e.confirmed + settings.delayFirstProbeTime {
                e.state = .reachable
                e.updated = now
                next = e.confirmed + reach
            } else {
                e.state = .probe
                e.updated = now
                e.probes = 0
                next = now + settings.retransTime
            }
        case .probe, .incomplete:
            next = now + settings.retransTime
        case .stale, .failed:
            return
        }
        let maxProbes = e.state == .probe ? settings.unicastProbes : settings.unicastProbes + settings.multicastProbes
        if (e.state == .probe || e.state == .incomplete) && e.probes >= maxProbes {
            e.state = .failed
            e.updated = now
            setEntry(o, e)
            return
        }
        setEntry(o, e)
        // As the kernel: a timer is never set less than HZ/100 (10 ms) ahead.
        if let next { arm(o, at: max(next, now + Time.ms(10))) }
        if e.state == .probe || e.state == .incomplete { probe(o) }
    }

    /// `neigh_probe`: PROBE asks the cached host alone (unicast); INCOMPLETE asks the whole
    /// domain (broadcast) and the first reply wins (later ones fall within `locktime`). The
    /// reply is applied at once: an ARP round trip in one domain is tens of microseconds.
    private func probe(_ o: NeighbourOwner) {
        guard var e = entry(o) else { return }
        e.probes += 1
        setEntry(o, e)
        let asker: Host? = o.host >= 0 ? network.host(HostID(o.host)) : nil
        if e.state == .probe {
            guard let h = e.holder, answers(h, o.vip, to: asker) else { return }
            update(o, to: h, state: .reachable, override: false)
        } else if let h = firstAnswer(o.vip, from: asker) {
            update(o, to: h, state: .reachable, override: false)
            let site = vips[o.vip].site, owner = o.host
            network.neighbourUpdated(vips[o.vip].address) { host in
                owner >= 0 ? host.id.raw == owner : host.site != site
            }
        }
    }

    /// `neigh_update` for an ARP reply (REACHABLE) or a broadcast / gratuitous one (STALE).
    private func update(_ o: NeighbourOwner, to holder: HostID, state new: NeighbourState, override: Bool) {
        guard var e = entry(o) else { return }
        let now = network.sim.now
        let old = e.state
        var new = new
        if new == .reachable { e.confirmed = now }
        if old.isValid {
            if holder != e.holder && !override && now <= e.updated + settings.locktime { return }
            // Same address, only STALE news: the state stays.
            if holder == e.holder && new == .stale { new = old }
        }
        if new != old || holder != e.holder { e.updated = now }
        if holder != e.holder {
            e.holder = holder
            // A new address is not confirmed (confirmed = now - 2 x base_reachable_time).
            if new != .reachable { e.confirmed = now - 2 * settings.baseReachableTime }
        }
        guard new != old else { setEntry(o, e); return }
        e.state = new
        if new == .probe { e.probes = 0 }
        setEntry(o, e)
        switch new {
        case .reachable: arm(o, at: now + reachableTime(o))
        case .delay, .probe, .incomplete: arm(o, at: now)
        case .stale, .failed: disarm(o)
        }
    }

    /// Whether the host answers a request from `asker` (nil: the gateway): it is up, holds the
    /// address, and the request and the reply both get through.
    private func answers(_ h: HostID, _ v: Int, to asker: Host?) -> Bool {
        guard vips[v].holders.contains(where: { $0.host == h && isLive($0) }) else { return false }
        guard let a = asker else { return true }
        return network.canReach(a.id, h) && network.canReach(h, a.id)
    }

    private func firstAnswer(_ v: Int, from asker: Host?) -> HostID? {
        var best: (HostID, SimTime)?
        for holder in vips[v].holders where answers(holder.host, v, to: asker) {
            let h = network.host(holder.host)
            let rtt = network.link(asker ?? h, h).latency.sample(&rng) * 2
            if best == nil || rtt < best!.1 { best = (h.id, rtt) }
        }
        return best?.0
    }

    private func isLive(_ holder: Holder) -> Bool {
        let h = network.host(holder.host)
        // A VIP added with `ip addr add` does not survive a reboot.
        return h.isUp && h.incarnation == holder.incarnation
    }

    @inline(__always)
    private func entry(_ o: NeighbourOwner) -> NeighbourEntry? {
        if o.host < 0 { return gateways[o.vip] }
        return o.host < caches.rows ? caches[o.host, o.vip] : nil
    }

    private func setEntry(_ o: NeighbourOwner, _ e: NeighbourEntry) {
        if o.host < 0 { gateways[o.vip] = e } else { caches[o.host, o.vip] = e }
    }

    /// Asked per segment to a VIP: the test inlined, the growth (once per host) out of line.
    @inline(__always)
    private func ensureCache(_ id: HostID) {
        if caches.rows <= id.raw { addCache(id) }
    }

    @inline(never)
    private func addCache(_ id: HostID) {
        caches.ensureRows(id.raw + 1)
        while hostReach.count <= id.raw { hostReach.append(ReachableTime()) }
    }

    /// The interface's `reachable_time`, drawn again every 300 s (`neigh_periodic_work`).
    private func reachableTime(_ o: NeighbourOwner) -> SimTime {
        let epoch = network.sim.now / Time.s(300)
        var r = o.host < 0 ? gatewayReach[o.vip] : hostReach[o.host]
        if r.epoch != epoch {
            let base = settings.baseReachableTime
            r = ReachableTime(value: base / 2 + SimTime(rng.next(upperBound: UInt64(max(1, base)))), epoch: epoch)
            if o.host < 0 { gatewayReach[o.vip] = r } else { hostReach[o.host] = r }
        }
        return r.value
    }
}
