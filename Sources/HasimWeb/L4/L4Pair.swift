import HasimKernel
import HasimNetwork
import HasimStrategies

extension TraceKind {
    /// A director's keepalived changed VRRP state (MASTER, BACKUP, the VIP set).
    public static let l4VRRP = TraceKind("l4_vrrp")
}

/// An active/standby pair of L4 directors (keepalived's usual LVS design): both hosts run IPVS
/// with the same virtual server and checkers (L4Balancer), and keepalived's VRRP (VRRPInstance)
/// keeps the VIP the users dial on one of them. Users reach whichever director their neighbour
/// cache names, so a MASTER's death moves them only when the BACKUP's master-down interval has
/// passed and its gratuitous ARPs arrive. A connection stays bound to the director that
/// scheduled it, but its client's segments go where the neighbour entry names the VIP now:
/// without `sync_daemon` the other director has no entry and its stack answers RST (after a
/// failover, and again when a preferred director preempts the VIP back); with it, the other
/// director holds a synchronised copy and forwards (HasimNetwork Director.swift).
public final class L4Pair {
    public let balancers: [L4Balancer]
    let keepaliveds: [DirectorKeepalived]

    public init(hosts: [Host], network: Network, spec: L4Spec, apaches: [Host]) {
        balancers = hosts.map { L4Balancer(host: $0, network: network, spec: spec, apaches: apaches) }
        let vip = IPAddress(spec.vip)
        let vips = network.vips ?? VIPTable(network: network)
        vips.addVIP(vip, site: hosts[0].site)
        var nodes: [DirectorKeepalived] = []
        for (i, h) in hosts.enumerated() {
            let settings = VRRPInstance.Settings(priority: spec.vrrp.priorities[i], advertInt: spec.vrrp.advertInt,
                                                 preempt: spec.vrrp.preempt, garpMasterDelay: Time.s(5))
            let n = DirectorKeepalived(host: h, network: network, settings: settings, vip: vip)
            n.vrrp.traceKinds = .init(master: .l4VRRP, step: .l4VRRP, failed: .l4VRRP)
            nodes.append(n)
        }
        for n in nodes {
            n.vrrp.peers = nodes.filter { $0 !== n }.map { VRRPInstance.Peer(address: $0.host.address, name: $0.host.name) }
        }
        // The preferred director holds the VIP from the start (keepalived came up there first).
        vips.acquire(vip, on: hosts[0])
        for (i, n) in nodes.enumerated() { n.vrrp.start(initial: i == 0 ? .master : .backup) }
        keepaliveds = nodes
    }

    /// What the two directors' NICs carried together; the busiest second of either.
    public var load: L4Load {
        var l = balancers[0].load
        for b in balancers.dropFirst() {
            let o = b.load
            l.bytesIn += o.bytesIn
            l.bytesOut += o.bytesOut
            l.peakUtilisation = max(l.peakUtilisation, o.peakUtilisation)
            l.maxQueueDelay = max(l.maxQueueDelay, o.maxQueueDelay)
            l.drops += o.drops
            l.droppedPackets += o.droppedPackets
        }
        return l
    }
}

/// keepalived's VRRP on a director host: its memory dies with the host; init starts it again
/// as BACKUP at boot, and with preempt the preferred director takes the VIP back.
final class DirectorKeepalived: Daemon {
    private(set) var vrrp: VRRPInstance!
    init(host: Host, network: Network, settings: VRRPInstance.Settings, vip: IPAddress) {
        super.init(name: "keepalived", host: host, network: network)
        vrrp = VRRPInstance(name: host.name, daemon: self, settings: settings, vip: vip)
    }
    override func crashed() { vrrp.crashed() }
    override func booted() { vrrp.start(initial: .backup) }
}
