import HasimKernel

extension Network {
    // MARK: listening and connecting

    public func listen(_ p: NetProcess, port: Int, _ listener: Listener) {
        p.listeners[port] = listener
    }

    public func stopListening(_ p: NetProcess, port: Int) {
        p.listeners[port] = nil
    }

    /// Opens a connection. Calls back once: connected, refused (after one round
    /// trip, when the host lives but nothing listens), or timed out.
    public func connect(from p: NetProcess, to address: IPAddress, port: Int, timeout: SimTime,
                        delegate: ConnectionDelegate,
                        completion: @escaping (Result<Connection, ConnectError>) -> Void) {
        guard p.isAlive else { return }
        let id = nextPending
        nextPending += 1
        pendingConnects[id] = PendingConnect(process: p, dialled: address, port: port,
                                             delegate: delegate, completion: completion)
        let inc = p.incarnation
        // Callbacks capture their model object `unowned(unsafe)`, not `weak`: a weak reference
        // gives the object a side table for life, after which every retain and release of it takes
        // the runtime's slow path (a tenth of a run). The network, servers, Galera nodes, clients
        // and their threads live until Simulation.close, which drops pending callbacks unrun.
        pendingConnects[id]!.timer = sim.after(timeout) { [unowned(unsafe) self] in
            guard var pc = self.pendingConnects[id], !pc.done else { return }
            pc.done = true
            self.pendingConnects[id] = nil
            if pc.process.incarnation == inc { pc.process.whenRunnable { pc.completion(.failure(.timedOut)) } }
        }
        // No ARP answer: behaves like a dead host (the connect times out).
        retrySYN(id)
        // Unanswered SYNs are retransmitted as Linux does (TCP_TIMEOUT_INIT 1 s, doubling:
        // at 1, 3, 7, 15 ... s), each to wherever the address resolves then: a SYN lost to a
        // partition is sent again once it heals, and one to a VIP follows the ARP cache.
        resendSYN(id, after: Time.s(1))
    }

    private func resendSYN(_ id: Int, after rto: SimTime) {
        sim.after(rto) { [unowned(unsafe) self] in
            guard let pc = self.pendingConnects[id], !pc.done else { return }
            self.retrySYN(id)
            self.resendSYN(id, after: rto * 2)
        }
    }

    /// Sends a pending connect's SYN where its address resolves now.
    private func retrySYN(_ id: Int) {
        guard let pc = pendingConnects[id], !pc.done, pc.process.isAlive,
              let t = resolve(pc.dialled, from: pc.process.host) else { return }
        pendingConnects[id]!.sentTo = t
        send(.syn(pending: id), from: pc.process.host, to: hosts[t.raw], connection: nil, side: .client)
    }

    /// The ARP layer learned where `address` is, for the hosts `affected` selects: a SYN
    /// waiting for that resolution (Linux queues it on the INCOMPLETE neighbour) goes now.
    func neighbourUpdated(_ address: IPAddress, on affected: (Host) -> Bool) {
        for id in pendingConnects.keys.sorted() {
            guard let pc = pendingConnects[id], pc.dialled == address, affected(pc.process.host) else { continue }
            retrySYN(id)
        }
    }

    /// ICMP echo: true if the host answered within the timeout.
    public func ping(from p: NetProcess, to address: IPAddress, timeout: SimTime,
                     completion: @escaping (Bool) -> Void) {
        let id = nextPending
        nextPending += 1
        pendingPings[id] = (false, completion)
        sim.after(timeout) { [unowned(unsafe) self] in
            guard let pp = self.pendingPings[id], !pp.done else { return }
            self.pendingPings[id] = nil
            pp.completion(false)
        }
        guard let target = resolve(address, from: p.host) else { return }
        send(.ping(pending: id), from: p.host, to: hosts[target.raw], connection: nil, side: .client, reliable: false)
    }

    /// The listening program accepts a connect: SYN-ACK (and its greeting) go back.
    func answerSYN(_ id: Int, proc: NetProcess, listener: Listener, from: Host, to: Host) {
        guard let pc = pendingConnects[id], !pc.done, pendingSynAcks[id] == nil, proc.isAlive else { return }
        nextConnectionID += 1
        let c = Connection(id: nextConnectionID, client: pc.process, server: proc, dialled: pc.dialled, port: pc.port)
        opened(c)
        c.neighbourSlot = vips?.slot(of: pc.dialled) ?? -1
        // The client's host: `from` is the director's when the SYN came through one.
        let client = pc.process.host
        if let v = pc.via, let d = pc.director { throughDirector(c, via: hosts[v.raw], d) }
        guard let serverDelegate = listener.accept(c) else {
            send(.refuse(pending: id), from: to, to: client, connection: nil, side: .server)
            return
        }
        c.setDelegate(serverDelegate, for: .server)
        proc.connections.append(c)
        pendingConnects[id]!.delegate = pc.delegate
        pendingSynAcks[id] = c
        // On the connection's server-to-client path, so a FIN or RST sent right after
        // the accept (a proxy with no server to use) cannot overtake it.
        send(.synAck(pending: id), from: to, to: client, connection: c, side: .server)
    }
}
