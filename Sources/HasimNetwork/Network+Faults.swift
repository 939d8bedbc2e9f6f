import HasimKernel

extension Network {
    // MARK: faults on hosts and processes

    /// The host loses power: every process dies without a word, packets in flight
    /// to or from it are lost, peers learn only through their own timeouts.
    public func crashHost(_ host: Host) {
        guard host.isUp else { return }
        host.isUp = false
        host.incarnation &+= 1
        sim.record(host.name, .hostCrash)
        for p in host.processes {
            p.listeners.removeAll()
            p.directors.removeAll()
            p.datagramSockets.removeAll()
            // No FIN, no RST: the peers keep believing in these connections.
            p.connections.removeAll()
            p.forgetFrozen()
            if p.isRunning {
                p.isRunning = false
                p.incarnation &+= 1
            }
            p.observer?.hostDidCrash()
        }
    }

    /// The host boots again; its processes start only if their owners start them.
    public func restartHost(_ host: Host) {
        guard !host.isUp else { return }
        host.isUp = true
        sim.record(host.name, .hostRestart)
        for p in host.processes { p.observer?.hostDidRestart() }
    }

    /// The program dies but its host lives: the kernel resets every connection
    /// (peers hear RST after one trip) and refuses new connects at once.
    public func processDied(_ p: NetProcess) {
        guard p.isRunning else { return }
        p.isRunning = false
        p.incarnation &+= 1
        p.listeners.removeAll()
        p.directors.removeAll()
        p.datagramSockets.removeAll()
        // SIGKILL ends a stopped process too; what it had queued dies with it.
        p.forgetFrozen()
        let conns = p.connections
        p.connections.removeAll()
        for c in conns {
            let side: Connection.Side = c.client === p ? .client : .server
            guard !c.ends[side.rawValue].knownClosed else { continue }
            c.markClosed(side)
            // The kernel aborts the socket: unsent and unacknowledged data are discarded.
            dropHeld(c, side.rawValue)
            if p.host.isUp { sendPacket(.rst, on: c, from: side) }
        }
    }

    /// The program starts (again); it must listen anew.
    public func processStarted(_ p: NetProcess) {
        guard p.host.isUp, !p.isRunning else { return }
        p.isRunning = true
    }
}
