import HasimKernel

extension Network {
    // MARK: sending

    /// Sends a message on a connection. Returns false if this end already knows
    /// the connection is gone (the caller gets error 2013/2006 at once).
    ///
    /// `@inline(__always)` keeps the optimizer's existential specializer off this function (it
    /// skips always-inline callees): because one caller in this module passes a concrete type,
    /// it made the public entry a thunk that copied the message out of its existential (a
    /// retain of each of its references), boxed it again (a heap allocation for a large message)
    /// and destroyed the original, per message sent. Callers in other modules still call it.
    @inline(__always) @discardableResult
    public func send(_ message: consuming WireMessage, on c: Connection, from side: Connection.Side) -> Bool {
        // Into its slot until the segment is delivered or dropped (`Packet.data`), first: moved
        // straight from the argument (stored after the test, it was moved three times through
        // the existential's outlined copy; `SlotTable.store` says why once). Not `__owned`: the
        // same convention, but the body then copied the message into its slot (a retain of each
        // of its references) and destroyed the argument. Taken back if the end knows the
        // connection is gone; the free slots are as they were.
        let slot = messages.store(message)
        guard !c.ends[side.rawValue].knownClosed, c.endAlive(side) else { _ = messages.take(slot); return false }
        sendPacket(.data(slot), on: c, from: side)
        return true
    }

    /// Closes cleanly: the peer hears FIN after one trip.
    public func close(_ c: Connection, from side: Connection.Side) {
        guard !c.ends[side.rawValue].knownClosed else { return }
        c.markClosed(side)
        c.process(side).connections.removeAll { $0 === c }
        if c.endAlive(side) { sendPacket(.fin, on: c, from: side) }
    }

    func sendPacket(_ packet: Packet, on c: Connection, from side: Connection.Side) {
        let d = side.rawValue
        if !c.ends[d].held.isEmpty {
            // Behind segments waiting for retransmission: TCP's send queue keeps the order.
            c.ends[d].sent &+= 1
            c.ends[d].held.append((c.ends[d].sent, packet))
            if c.ends[d].localDrop { writeAfterLocalDrop(c, side) }  // EPERM: every write tries again
            return
        }
        // Both hosts at +0 (`withHost`): read through the processes' unowned(unsafe) `host`,
        // each was retained for the call and released after it.
        withHost(c.hostID(side)) { fromHost in
            withHost(c.hostID(side.other)) { toHost in
                sendPacket(packet, on: c, from: side, fromHost, toHost)
            }
        }
    }

    private func sendPacket(_ packet: Packet, on c: Connection, from side: Connection.Side, _ fromHost: Host, _ toHost: Host) {
        let d = side.rawValue
        // `toHost` is the server's host here, so `dialledServerHost` says whether the client
        // dialled its address; the conditions only read state, so their order is free.
        if side == .client, !c.dialledServerHost, !c.routed, hasResolver {
            // The client's kernel sends to whichever host its ARP cache says holds the
            // dialled address (a VIP) now, not to the host that accepted the connection.
            // A connection to a VIP knows the VIP's slot: no address lookup per segment.
            let found = c.neighbourSlot >= 0 ? vipsRef?._withUnsafeGuaranteedRef { $0.resolve(vip: c.neighbourSlot, from: fromHost) } : resolve(c.dialled, from: fromHost)
            guard let target = found else {
                // No one answers for the address: the segment waits for the retransmission timer.
                c.ends[d].sent &+= 1
                hold(packet, seq: c.ends[d].sent, on: c, from: side, local: false)
                return
            }
            if target != toHost.id {
                // Another host holds the VIP now: its kernel knows no such connection.
                discard(packet)
                send(.stray, from: fromHost, to: hosts[target.raw], connection: c, side: side)
                return
            }
        }
        send(packet, from: fromHost, to: toHost, connection: c, side: side)
    }

    func send(_ packet: Packet, from: Host, to: Host, connection: Connection?, side: Connection.Side,
                      reliable: Bool = true) {
        guard from.isUp else { discard(packet); return }
        if let c = connection, c.routed, let v = c.via, side == .client || c.viaReplies, from !== v, to !== v {
            sendVia(packet, from: from, via: v, to: to, c, side, reliable: reliable)
            return
        }
        var seq: UInt64 = 0
        if let c = connection { c.ends[side.rawValue].sent &+= 1; seq = c.ends[side.rawValue].sent }
        if !canReach(from.id, to.id) {
            // Lost on the dead path: TCP keeps it and retransmits (an RST or a stray segment is
            // never retransmitted).
            if let c = connection {
                hold(packet, seq: seq, on: c, from: side, local: isFirewalled(from.id, to.id))
            } else {
                discard(packet)
            }
            return
        }
        guard let delay = oneWayDelay(from, to, reliable: reliable) else {
            // TCP gave up retransmitting: the connection is broken, as on a dead path.
            if reliable, let c = connection { lossBudgetSpent(c, side) }
            discard(packet)
            return
        }
        let at: SimTime
        if from.nic.shaped || to.nic.shaped {
            guard let t = shapedArrival(packet, from: from, to: to, latency: delay) else {
                // Dropped at the tail of a full transmit queue: TCP retransmits it after its RTO.
                if let c = connection { hold(packet, seq: seq, on: c, from: side, local: false) } else { discard(packet) }
                return
            }
            at = t
        } else {
            at = Time.sum(sim.now, delay)
        }
        enqueue(packet, seq: seq, from: from, to: to, connection: connection, side: side, at: at)
    }

    /// Schedules a packet's delivery at `at` (in order with what its connection sent before).
    func enqueue(_ packet: Packet, seq: UInt64, from: Host, to: Host, connection: Connection?, side: Connection.Side, at arrival: SimTime) {
        var at = arrival
        if let c = connection {
            let d = side.rawValue
            at = max(at, c.ends[d].lastDelivery)
            c.ends[d].lastDelivery = at
            // Keeps it alive (in `connectionsOpened` or `landing`) until the segment is handled.
            c.segmentsInFlight &+= 1
            if !c.tracked && !c.landing { track(c) }
        }
        let slot = inFlight.store(InFlight(seq: seq, from: from.id, to: to.id, fromIncarnation: from.incarnation,
                                           connection: connection.map { Unmanaged.passUnretained($0) },
                                           side: side, packet: packet))
        sim.schedule(at: at, handler, tag: 0, arg: Int64(slot))
    }

    public func handle(_ event: Event, in sim: Simulation) {
        let slot = Int(event.arg)
        // Moved out of its slot, not copied: no retain and release of its connection and message.
        guard let item = inFlight.take(slot) else { return }
        withHost(item.from) { from in
            withHost(item.to) { to in
                deliver(item, from: from, to: to)
            }
        }
        // Counted until now, the connection stayed alive through the delivery.
        guard let ref = item.connection else { return }
        let left = ref._withUnsafeGuaranteedRef { c -> Bool in
            c.segmentsInFlight &-= 1
            return c.segmentsInFlight == 0 && c.landing
        }
        if left { landed(ref.takeUnretainedValue()) }
    }

    /// The connection stays unretained here (`item.connection`, kept alive by the network while
    /// the segment is counted in flight): bound as an optional `Connection`, it was retained
    /// and released again around each segment's delivery.
    private func deliver(_ item: InFlight, from: Host, to: Host) {
        // Lost if the sender's host died meanwhile (what was in flight is gone),
        // the receiver is down, or a partition started while it travelled.
        guard from.incarnation == item.fromIncarnation else { discard(item.packet); return }
        // Asked once (it was asked again below): only reads, and nothing between changes them.
        let lost = !to.isUp || !canReach(from.id, to.id)
        if let ref = item.connection, item.packet.isRetransmitted,
           lost || ref._withUnsafeGuaranteedRef({ !$0.ends[item.side.rawValue].held.isEmpty }) {
            // Lost to a partition that started while it travelled or to a host that is down, or
            // behind a lost segment (the receiver delivers in order): back to the sender's
            // retransmission queue.
            hold(item.packet, seq: item.seq, on: ref.takeUnretainedValue(), from: item.side, local: false)
            return
        }
        if lost { discard(item.packet); return }
        // A data segment, nearly every delivery, in a small function of its own: in the one
        // `switch` it shared the large frame and spills of the handshake cases, and the closure
        // of a stopped receiver made it retain the connection around every segment.
        if case .data(let slot) = item.packet {
            // Out of its slot: every return below drops it (the segment is gone).
            guard let message = takeMessage(slot) else { return }
            // Bytes already sent by a process that has since died are still delivered by its
            // host's kernel (retransmitted across a partition, see TCPRetransmission).
            guard let ref = item.connection else { return }
            ref._withUnsafeGuaranteedRef { deliverData(message, item.side.other, $0, from: from, to: to) }
            return
        }
        deliverControl(item, item.connection?.takeUnretainedValue(), from: from, to: to)
    }

    /// A data segment reaches a live host on a live path: its message to the receiving end's
    /// delegate. `c` is kept alive by the network for the call (its segment is counted in flight).
    @inline(__always)
    private func deliverData(_ message: any WireMessage, _ rx: Connection.Side, _ c: Connection, from: Host, to: Host) {
        // `knowsEnd` includes `endAlive(rx)`, which the guard below asked again.
        guard knowsEnd(c, rx, at: to) else { answerUnknown(c, rx, at: to, from: from); return }
        guard !c.ends[rx.rawValue].knownClosed else { return }
        // A reply acknowledges what the client sent: TCP confirms the neighbour entry
        // (`tcp_ack` FLAG_FORWARD_PROGRESS → `sk_dst_confirm`).
        if rx == .client && c.neighbourSlot >= 0 {
            vipsRef?._withUnsafeGuaranteedRef { $0.confirm(slot: c.neighbourSlot, from: to) }
        }
        if c.isPaused(rx) { deliverWhenResumed(message, c, rx); return }
        // At +0 (`DelegateBox`): a box the end lets go of during the call is kept until it returns.
        guard let ref = c.ends[rx.rawValue].boxRef else { return }
        c.ends[rx.rawValue].delivering &+= 1
        ref._withUnsafeGuaranteedRef { $0.delegate.received(message, on: c) }
        c.ends[rx.rawValue].delivering &-= 1
        if !c.ends[rx.rawValue].retired.isEmpty { c.dropRetired(rx.rawValue) }
    }

    /// Acknowledged and queued in the stopped program's receive buffer: read at SIGCONT.
    /// Out of line: its closure, capturing the connection, made the hot path retain it.
    @inline(never)
    private func deliverWhenResumed(_ message: any WireMessage, _ c: Connection, _ rx: Connection.Side) {
        c.process(rx).frozen.append {
            guard c.endAlive(rx), !c.ends[rx.rawValue].knownClosed else { return }
            c.ends[rx.rawValue].delegate?.received(message, on: c)
        }
    }

    /// Every segment but data: handshakes, pings, datagrams, strays, FIN and RST.
    private func deliverControl(_ item: InFlight, _ connection: Connection?, from: Host, to: Host) {
        switch item.packet {
        case .syn(let id):
            // A retransmitted SYN that another host already answered is ignored.
            guard let pc = pendingConnects[id], !pc.done, pendingSynAcks[id] == nil else { return }
            if let proc = to.processes.first(where: { $0.isAlive && $0.listeners[pc.port] != nil }),
               let listener = proc.listeners[pc.port] {
                if proc.isPaused {
                    // A stopped program accepts nothing: once its accept queue is full the
                    // kernel drops further SYNs (tcp_conn_request: sk_acceptq_is_full, the
                    // ListenOverflows counter) and the client's connect times out. Real:
                    // a stopped Tomcat (AJP acceptCount 100) made mod_jk's later connects time
                    // out (validation/results/web-tomcat-pause-ping.json).
                    let queued = proc.unaccepted[pc.port, default: 0]
                    guard queued < listener.acceptBacklog else { return }
                    proc.unaccepted[pc.port] = queued + 1
                }
                if proc.isPaused && listener.speaksFirst {
                    // A connection here includes the server's first words (MySQL's greeting, SSH's
                    // banner: those servers speak first). A stopped program sends none: the kernel
                    // keeps the SYN in its backlog and the client waits, within its connect timeout.
                    proc.frozen.append { [unowned(unsafe) self] in self.answerSYN(id, proc: proc, listener: listener, from: from, to: to) }
                    return
                }
                answerSYN(id, proc: proc, listener: listener, from: from, to: to)
            } else if let d = director(on: to, port: pc.port) {
                // An IPVS director: the SYN goes on to the real server its scheduler picks;
                // none available, and the director's own stack answers RST.
                guard let real = d.schedule(port: pc.port, from: pc.process.host) else {
                    send(.refuse(pending: id), from: to, to: pc.process.host, connection: nil, side: .server)
                    return
                }
                pendingConnects[id]!.via = to.id
                pendingConnects[id]!.director = d
                send(.syn(pending: id), from: to, to: real, connection: nil, side: .client)
            } else {
                send(.refuse(pending: id), from: to, to: pc.process.host, connection: nil, side: .server)
            }
        case .synAck(let id):
            let c = pendingSynAcks.removeValue(forKey: id)
            guard var pc = pendingConnects[id], !pc.done, let c else { return }
            pc.done = true
            pendingConnects[id] = nil
            if let t = pc.timer { sim.cancel(t) }
            // Even if the server end closed meanwhile: the client learns it from the FIN/RST that follows.
            guard pc.process.isAlive else { return }
            // The SYN-ACK acknowledges our SYN: forward progress confirms the neighbour entry.
            if c.neighbourSlot >= 0 { vips?.confirm(slot: c.neighbourSlot, from: to) }
            c.setDelegate(pc.delegate, for: .client)
            pc.process.connections.append(c)
            pc.process.whenRunnable { pc.completion(.success(c)) }
        case .refuse(let id):
            guard var pc = pendingConnects[id], !pc.done else { return }
            pc.done = true
            pendingConnects[id] = nil
            if let t = pc.timer { sim.cancel(t) }
            if pc.process.isAlive { pc.process.whenRunnable { pc.completion(.failure(.refused)) } }
        case .ping(let id):
            send(.pong(pending: id), from: to, to: from, connection: nil, side: .server, reliable: false)
        case .pong(let id):
            guard let pp = pendingPings[id], !pp.done else { return }
            pendingPings[id] = nil
            pp.completion(true)
        case .datagram(let slot):
            guard let d = datagrams.take(slot) else { return }
            deliverDatagram(d, to: to)
        case .stray:
            // The kernel answers a segment of an unknown connection with RST.
            if let c = connection { send(.rst, from: to, to: from, connection: c, side: .server) }
        case .data:
            preconditionFailure("data segments go to deliverData")
        case .fin, .rst:
            guard let c = connection else { return }
            let rx = item.side.other
            if case .fin = item.packet, resetIfUnknown(c, rx, at: to, from: from) { return }
            let reason: CloseReason
            if case .rst = item.packet { reason = .reset } else { reason = .closedByPeer }
            // A stopped program learns of the close when it next reads the socket.
            let p = c.process(rx)
            if p.isPaused { p.frozen.append { [unowned(unsafe) self] in self.peerClosed(c, rx, reason) } } else { peerClosed(c, rx, reason) }
        }
    }
}
