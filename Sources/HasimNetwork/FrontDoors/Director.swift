import HasimKernel

/// What a director does with one packet of a connection it scheduled.
public enum DirectorVerdict: Sendable {
    case forward
    /// Silently dropped (IPVS with `expire_nodest_conn` 0 when the real server was deleted):
    /// the sender's TCP retransmits into the same hole until its own timeouts.
    case drop
    /// Answered with RST (no entry any more: the director's stack resets it).
    case reset
}

/// A layer-4 director (Linux IPVS, a cloud load balancer): it owns no TCP endpoint. A SYN for
/// its service reaches its host, its scheduler names a real server, and the SYN goes on there;
/// the connection is the client's and the real server's, and every later segment from the
/// client passes the director's host (its NIC, its per-packet cost) to the same real server.
/// Replies pass it too when `forwardsReplies` (NAT: the real server's gateway is the
/// director) and go straight to the client otherwise (direct server return).
public protocol PacketDirector: AnyObject {
    /// The real server's host for a new connection from `client` (nil: none available).
    func schedule(port: Int, from client: Host) -> Host?
    var forwardsReplies: Bool { get }
    /// Header bytes added per packet on the director-to-server hop (IP-in-IP: 20).
    var tunnelBytes: Int64 { get }
    /// Asked for every segment the director forwards (its connection table's entry).
    func verdict(_ c: Connection) -> DirectorVerdict
    /// The first FIN or RST of a connection went through (for least-connection counts).
    func connectionEnded(_ c: Connection)
    /// A segment of a connection another director scheduled reaches this one (the VIP moved
    /// to its host): true when its table holds a copy of the entry (IPVS connection sync,
    /// `ipvsadm --start-daemon master|backup`), so it forwards from now on; false: no entry.
    func adopt(_ c: Connection) -> Bool
}

extension Network {
    /// A program directs a port of its host's addresses to real servers (`ipvsadm -A`).
    public func direct(_ p: NetProcess, port: Int, _ d: PacketDirector) { p.directors[port] = d }

    func director(on host: Host, port: Int) -> PacketDirector? {
        host.processes.first { $0.isAlive && $0.directors[port] != nil }?.directors[port]
    }

    /// The connection's segments go through the director's host from now on.
    func throughDirector(_ c: Connection, via v: Host, _ d: PacketDirector) {
        c.via = v
        c.director = d
        c.viaReplies = d.forwardsReplies
        c.viaIncarnation = v.incarnation
        c.tunnelBytes = d.tunnelBytes
    }

    /// The real server a connection through a director reached (nil: a direct connection).
    public func realServer(of c: Connection) -> Host? { c.via == nil ? nil : c.server.host }

    /// A client's segment reached director host `v`, which did not schedule the connection.
    /// IPVS finds no entry for a non-SYN segment and does not schedule it (ip_vs_core.c,
    /// `sloppy_tcp` 0): it goes up the director's own stack, which owns the VIP and answers
    /// RST — unless the connection sync daemon gave this director a copy of the entry.
    private func moved(_ c: Connection, to v: Host) -> Host {
        if v.isUp, let d = director(on: v, port: c.port), d.adopt(c) {
            throughDirector(c, via: v, d)
        } else {
            // No entry here: every segment from now on earns the RST (sendVia's `.reset`).
            c.via = v
            c.director = nil
            c.viaIncarnation = v.incarnation
        }
        return v
    }

    /// A segment through the director's host: both hops' latencies and the queues of the
    /// sender's, the director's (in, then out) and the receiver's interfaces.
    func sendVia(_ packet: Packet, from: Host, via v: Host, to: Host, _ c: Connection, _ side: Connection.Side, reliable: Bool) {
        let d = side.rawValue
        c.ends[d].sent &+= 1
        let seq = c.ends[d].sent
        var v = v
        if side == .client, c.neighbourSlot >= 0, let vips {
            // The users dialled a VIP a director pair moves (VRRP): the client's kernel sends to
            // whichever director its neighbour entry names now, not to the one that scheduled
            // the connection. A director connection to a plain address (one director) skips this.
            guard let t = vips.resolve(vip: c.neighbourSlot, from: from) else {
                hold(packet, seq: seq, on: c, from: side, local: false)
                return
            }
            if t != v.id { v = moved(c, to: hosts[t.raw]) }
        }
        guard v.isUp, canReach(from.id, v.id), canReach(v.id, to.id) else {
            hold(packet, seq: seq, on: c, from: side, local: false)
            return
        }
        // A director that rebooted has an empty connection table: its stack resets the segment.
        let verdict = v.incarnation != c.viaIncarnation ? .reset : (c.director?.verdict(c) ?? .reset)
        switch verdict {
        case .forward: break
        case .drop:
            hold(packet, seq: seq, on: c, from: side, local: false)
            return
        case .reset:
            if case .rst = packet { return }
            discard(packet)
            send(.rst, from: v, to: from, connection: c, side: side.other)
            return
        }
        if !c.directorTold {
            switch packet {
            case .fin, .rst:
                c.directorTold = true
                c.director?.connectionEnded(c)
            default: break
            }
        }
        guard let l1 = oneWayDelay(from, v, reliable: reliable), let l2 = oneWayDelay(v, to, reliable: reliable) else {
            if reliable { lossBudgetSpent(c, side) }
            discard(packet)
            return
        }
        let size = wireSize(packet)
        let tunnel = side == .client ? c.tunnelBytes * size.packets : 0
        var t = sim.now
        if from.nic.shaped { t = from.nic.transmit(size.bytes, packets: size.packets, at: t, out: true) }
        t = Time.sum(t, l1)
        if v.nic.shaped {
            // The director's queues full (txqueuelen): dropped at the tail, the sender retransmits.
            guard let inEnd = v.nic.offer(size.bytes, packets: size.packets, at: t, out: false),
                  let end = v.nic.offer(size.bytes + tunnel, packets: size.packets, at: inEnd, out: true) else {
                hold(packet, seq: seq, on: c, from: side, local: false)
                return
            }
            t = end
        }
        t = Time.sum(t, l2)
        if to.nic.shaped { t = to.nic.transmit(size.bytes + tunnel, packets: size.packets, at: t, out: false) }
        enqueue(packet, seq: seq, from: from, to: to, connection: c, side: side, at: t)
    }
}
