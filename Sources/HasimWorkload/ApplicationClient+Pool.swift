import HasimKernel
import HasimNetwork
import HasimDatabase

extension ApplicationClient {
    final class Pooled: ConnectionDelegate {
        // Unretained: read for every message; a checked `unowned` costs a strong retain and
        // release per read (swift_unownedRetainStrong), and an `unowned(unsafe)` one was still
        // retained and released around each call; lent at +0 (`_withUnsafeGuaranteedRef`) it is
        // neither. The client outlives its pooled connections: both live until
        // Simulation.close, after which no message is delivered.
        let client: Unmanaged<ApplicationClient>
        var connection: Connection?
        var busyOp: Int?
        var connecting = true
        /// socketTimeout of the query in flight on this connection: when it expires.
        var deadline: SimTime = 0
        /// This connection's socketTimeout timer is pending (at or before `deadline`).
        var timerArmed = false
        /// Names the connection in its timer event.
        let serial: Int
        init(client: ApplicationClient, serial: Int) { self.client = .passUnretained(client); self.serial = serial }
        func received(_ message: WireMessage, on connection: Connection) {
            client._withUnsafeGuaranteedRef { $0.received(message, on: self) }
        }
        func closed(_ connection: Connection, reason: CloseReason) {
            client._withUnsafeGuaranteedRef { $0.connectionLost(self) }
        }
    }

    /// Takes the oldest op still waiting for a connection.
    private func popWaiting() -> Int? {
        while waitingHead < waiting.count {
            let slot = waiting[waitingHead]
            waitingHead += 1
            if waitingHead > 1024 && waitingHead * 2 > waiting.count {
                waiting.removeFirst(waitingHead)
                waitingHead = 0
            }
            if ops[slot]?.isWaiting == true {
                ops[slot]!.isWaiting = false
                waitingCount -= 1
                return slot
            }
        }
        return nil
    }

    func growPoolIfNeeded() {
        guard waitingCount > connectingCount, pool.count < config.poolSize else { return }
        nextPooledSerial += 1
        let p = Pooled(client: self, serial: nextPooledSerial)
        pool.append(p)
        connectingCount += 1
        let dialled = address
        guard let names = nameResolution else { dial(dialled, as: dialled, for: p); return }
        names.resolve(dialled) { [unowned(unsafe) self, weak p] ip in
            guard let p else { return }
            self.dial(ip, as: dialled, for: p)
        }
    }

    /// Opens one pooled connection to `ip` (what `dialled` resolved to).
    private func dial(_ ip: IPAddress, as dialled: IPAddress, for p: Pooled) {
        network.connect(from: process, to: ip, port: config.port, timeout: config.connectTimeout,
                        delegate: p) { [unowned(unsafe) self, p] result in
            guard self.pool.contains(where: { $0 === p }) else {
                // The pool was rebuilt (redeploy) while this connect was under way.
                if case .success(let c) = result { self.network.close(c, from: .client) }
                return
            }
            p.connecting = false
            self.connectingCount -= 1
            switch result {
            case .success(let c):
                p.connection = c
                self.serveWaiting(p)
            case .failure(let e):
                self.pool.removeAll { $0 === p }
                // The request that asked for this connection gets the driver's error.
                if let slot = self.popWaiting() {
                    let code = MySQLError.cannotConnect(dialled.value, timedOut: e != .refused).code
                    self.failed(slot, code: code)
                }
                self.growPoolIfNeeded()
            }
        }
    }

    func serveWaiting(_ p: Pooled) {
        guard p.busyOp == nil, p.connection != nil else { return }
        if let slot = popWaiting() { send(slot, on: p) }
    }

    func send(_ slot: Int, on p: Pooled) {
        guard ops[slot] != nil, let c = p.connection else { return }
        nextQueryID += 1
        let queryID = nextQueryID
        ops[slot]!.queryID = queryID  // in place: no copy of the op out and back
        ops[slot]!.awaiting = true
        p.busyOp = slot
        if !network.send(QueryMessage(id: queryID, query: query(of: slot)), on: c, from: .client) {
            // The driver already knows the socket is dead: "server has gone away".
            ops[slot]!.awaiting = false
            discard(p)
            failed(slot, code: MySQLError.goneAway.code)
            return
        }
        // socketTimeout: one timer per connection rather than one per query. Almost every
        // query is answered within milliseconds, so a timer per query (10 s) fired as a
        // no-op for 15-20 % of all events. The connection's timer, when it fires, times
        // out the query still in flight if its own deadline has come, and otherwise moves
        // to that deadline: each query still times out at exactly send + queryTimeout.
        p.deadline = sim.now + config.queryTimeout
        if !p.timerArmed { armSocketTimer(p) }
    }

    private func armSocketTimer(_ p: Pooled) {
        p.timerArmed = true
        timedConnections[p.serial] = p
        sim.schedule(at: p.deadline, handler, tag: Tag.queryTimeout.rawValue, arg: Int64(p.serial))
    }

    func socketTimerFired(_ serial: Int) {
        guard let p = timedConnections.removeValue(forKey: serial) else { return }
        p.timerArmed = false
        // Idle, discarded or closed since: nothing to time out (the next query re-arms).
        guard let slot = p.busyOp, let op = ops[slot], op.awaiting else { return }
        if sim.now >= p.deadline {
            queryTimedOut(slot)
        } else {
            armSocketTimer(p)
        }
    }

    private func queryTimedOut(_ slot: Int) {
        guard ops[slot]?.awaiting == true else { return }
        ops[slot]!.awaiting = false
        // socketTimeout: the driver closes the socket and reports a communications failure.
        if let p = pool.first(where: { $0.busyOp == slot }) { discard(p) }
        failed(slot, code: MySQLError.lostConnection.code)
    }

    private func connectionLost(_ p: Pooled) {
        let busy = p.busyOp
        pool.removeAll { $0 === p }
        p.connection = nil
        if let slot = busy, ops[slot] != nil {
            ops[slot]!.awaiting = false
            failed(slot, code: MySQLError.lostConnection.code)
        }
    }

    private func discard(_ p: Pooled) {
        pool.removeAll { $0 === p }
        if let c = p.connection { network.close(c, from: .client) }
        p.connection = nil
        p.busyOp = nil
    }

    func poolWaitExpired(_ slot: Int) {
        guard let op = ops[slot], op.isWaiting, sim.now - op.waitingSince >= config.poolWaitTimeout else { return }
        ops[slot]!.isWaiting = false
        waitingCount -= 1
        failed(slot, code: 2003)
    }
}
