import HasimKernel

/// Linux TCP on an established connection whose path went dead: the kernel keeps what it
/// sent and retransmits on a timer that starts at the RTO (200 ms on a LAN) and doubles,
/// capped at TCP_RTO_MAX (120 s); `tcp_retries2` back-offs (15: about 924.6 s) later it gives
/// up and the socket fails with ETIMEDOUT. Within the budget a heal loses nothing: the next
/// retransmission delivers what was held, in order. This runs only after a loss, so the
/// per-packet path stays a test of an empty array.
extension Network {
    /// TCP_RTO_MAX (net/tcp.h).
    static let maxRetransmitTimeout = Time.s(120)

    /// How long unacknowledged data is retransmitted before the connection is reset:
    /// `tcp_model_timeout` in net/ipv4/tcp_timer.c (RTO_MIN doubling until RTO_MAX, then linear).
    public var retransmitBudget: SimTime {
        var thresh = 0
        while retransmitTimeout << (thresh + 1) <= Self.maxRetransmitTimeout { thresh += 1 }
        if tcpRetries2 <= thresh { return ((2 << tcpRetries2) - 1) * retransmitTimeout }
        return ((2 << thresh) - 1) * retransmitTimeout + SimTime(tcpRetries2 - thresh) * Self.maxRetransmitTimeout
    }

    /// Keeps a lost segment for retransmission, in sequence order; starts the timer.
    func hold(_ packet: Packet, seq: UInt64, on c: Connection, from side: Connection.Side, local: Bool) {
        guard packet.isRetransmitted else { discard(packet); return }  // RST and stray segments are never resent
        let d = side.rawValue
        if c.ends[d].held.isEmpty {
            if c.ends[d].resending {
                // The retransmission itself was dropped (a tail drop): the same loss, backed off.
                c.ends[d].rto = min(c.ends[d].rto * 2, Self.maxRetransmitTimeout)
            } else {
                c.ends[d].lossStarted = sim.now
                c.ends[d].rto = retransmitTimeout
            }
            c.ends[d].localDrop = local
        }
        // Segments lost in flight arrive out of order with those held at send time.
        var i = c.ends[d].held.count
        while i > 0, c.ends[d].held[i - 1].seq > seq { i -= 1 }
        c.ends[d].held.insert((seq, packet), at: i)
        if !c.ends[d].retransmitArmed { armRetransmit(c, side) }
    }

    private func armRetransmit(_ c: Connection, _ side: Connection.Side) {
        let d = side.rawValue
        c.ends[d].retransmitArmed = true
        let epoch = c.ends[d].retransmitEpoch
        sim.after(c.ends[d].rto) { [weak self, weak c] in
            guard let self, let c, c.ends[d].retransmitEpoch == epoch else { return }
            c.ends[d].retransmitArmed = false
            guard !c.ends[d].held.isEmpty else { return }
            if self.retransmitHeld(c, side) { return }
            if self.sim.now - c.ends[d].lossStarted >= self.retransmitBudget {
                self.giveUp(c, side)
                return
            }
            c.ends[d].rto = min(c.ends[d].rto * 2, Self.maxRetransmitTimeout)
            self.armRetransmit(c, side)
        }
    }

    /// Sends what is held if the path leads somewhere now; true if it went.
    @discardableResult
    func retransmitHeld(_ c: Connection, _ side: Connection.Side) -> Bool {
        let d = side.rawValue
        guard senderKernelAlive(c, side) else {
            dropHeld(c, d)  // the sender's kernel died with its host: so did its queue
            return true
        }
        guard pathOpen(c, side) else { return false }
        let queue = c.ends[d].held
        c.ends[d].held.removeAll()
        c.ends[d].localDrop = false
        c.ends[d].retransmitEpoch &+= 1
        c.ends[d].retransmitArmed = false
        c.ends[d].resending = true
        for (_, p) in queue { sendPacket(p, on: c, from: side) }
        c.ends[d].resending = false
        if !c.ends[d].held.isEmpty && sim.now - c.ends[d].lossStarted >= retransmitBudget { lossBudgetSpent(c, side) }
        return true
    }

    /// A write while the firewall dropped this direction. Each failed send (EPERM) leaves
    /// nothing in flight, so the kernel sends the new data at once; once the drop is gone
    /// that never-retransmitted segment is SACKed, F-RTO (RFC 5682, tcp_frto = 2) takes the
    /// timeout for spurious and leaves loss recovery, and the hole goes out when the re-armed
    /// RTO (back at its 200 ms floor) fires. The receiver delivers in order, so everything
    /// held arrives then.
    func writeAfterLocalDrop(_ c: Connection, _ side: Connection.Side) {
        let d = side.rawValue
        guard senderKernelAlive(c, side), pathOpen(c, side) else { return }
        c.ends[d].localDrop = false
        c.ends[d].retransmitEpoch &+= 1
        c.ends[d].rto = retransmitTimeout
        c.ends[d].lossStarted = sim.now
        armRetransmit(c, side)
    }

    private func senderKernelAlive(_ c: Connection, _ side: Connection.Side) -> Bool {
        let fromHost = c.process(side).host
        let hostInc = side == .client ? c.hostIncarnations.client : c.hostIncarnations.server
        return fromHost.isUp && fromHost.incarnation == hostInc
    }

    /// Whether a segment sent now would reach a live host (a client's segment goes where
    /// its neighbour cache says the dialled address is).
    private func pathOpen(_ c: Connection, _ side: Connection.Side) -> Bool {
        let fromHost = c.process(side).host
        var target = c.process(side.other).host.id
        if side == .client, hasResolver, !c.routed, !c.dialledServerHost {
            guard let t = resolve(c.dialled, from: fromHost) else { return false }
            target = t
        }
        // A host that is down answers nothing: the segment would be lost again.
        return canReach(fromHost.id, target) && hosts[target.raw].isUp
    }

    /// A lossy link lost one segment tcp_retries2 times in a row: the same ETIMEDOUT, told
    /// after the send that found it, not inside it (the sender may be iterating its own state).
    func lossBudgetSpent(_ c: Connection, _ side: Connection.Side) {
        sim.after(0) { [weak self, weak c] in
            guard let self, let c else { return }
            self.giveUp(c, side)
        }
    }

    /// The budget is spent: the socket fails with ETIMEDOUT (tcp_write_err). No RST is sent;
    /// the peer learns only from its own timeouts, or from the RST its next segment earns.
    private func giveUp(_ c: Connection, _ side: Connection.Side) {
        let d = side.rawValue
        dropHeld(c, d)
        c.ends[d].abandoned = true
        guard !c.ends[d].knownClosed else { return }
        let delegate = c.markClosed(side)
        c.process(side).connections.removeAll { $0 === c }
        if c.endAlive(side) { delegate?.closed(c, reason: .timedOut) }
    }

    /// A segment reached a host whose kernel does not know the connection's end (its host
    /// rebooted, its process died, or the socket timed out): the kernel answers RST.
    @inline(__always)
    func resetIfUnknown(_ c: Connection, _ rx: Connection.Side, at to: Host, from: Host) -> Bool {
        if knowsEnd(c, rx, at: to) { return false }
        answerUnknown(c, rx, at: to, from: from)
        return true
    }

    /// Whether the receiving host's kernel still knows the connection's end: the common case,
    /// asked per segment delivered, inlined (as a call it was 38 instructions a segment in the
    /// Galera cut, 10.9 M).
    @inline(__always)
    func knowsEnd(_ c: Connection, _ rx: Connection.Side, at to: Host) -> Bool {
        let hostInc = rx == .client ? c.hostIncarnations.client : c.hostIncarnations.server
        return !c.ends[rx.rawValue].abandoned && to.incarnation == hostInc && c.endAlive(rx)
    }

    /// The kernel's RST to a segment of a connection end it does not know (rare: out of line).
    @inline(never)
    func answerUnknown(_ c: Connection, _ rx: Connection.Side, at to: Host, from: Host) {
        send(.rst, from: to, to: from, connection: c, side: rx)
    }
}

extension Network.Packet {
    /// Whether TCP retransmits it when lost (data, FIN and SYN-ACK do; RST and a segment to a
    /// host that never had the connection do not).
    var isRetransmitted: Bool {
        switch self {
        case .data, .fin, .synAck: return true
        default: return false
        }
    }
}
