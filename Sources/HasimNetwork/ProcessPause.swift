import HasimKernel

// SIGSTOP / SIGCONT of a program (a long GC-like stall, a VM freeze seen from inside, a
// debugger attached): the program runs no code, but its host's kernel is alive. It ACKs and
// queues every segment, so peers see open connections that answer nothing: no RST, no FIN,
// nothing lost. A new connect gets no greeting (the model's connection includes the server's
// first words), so it waits in the backlog and the client's connect timeout ends it. Peers learn
// only through their own timeouts. At SIGCONT the program does, in order, everything that
// became due meanwhile: it accepts, reads the queued requests and serves them, and its own
// timers fire.

extension TraceKind {
    /// SIGSTOP or SIGCONT of a program.
    public static let processPause = TraceKind("process_pause")
}

extension NetProcess {
    /// Runs `body` now, or at SIGCONT if the program is stopped. Every callback into a
    /// program (a message, a close, a connect's result, a timer of its own) goes through here.
    public func whenRunnable(_ body: @escaping () -> Void) {
        if isPaused { frozen.append(body) } else { body() }
    }

    /// The program died (or its host did): what it had queued dies with it.
    func forgetFrozen() {
        isPaused = false
        frozen.removeAll()
    }
}

extension Network {
    /// kill -STOP: the program stops running; its sockets stay open. `name` labels the trace.
    public func pauseProcess(_ p: NetProcess, as name: String) {
        guard p.isAlive, !p.isPaused else { return }
        sim.record(name, .processPause, "SIGSTOP")
        p.isPaused = true
        p.unaccepted.removeAll()
    }

    /// kill -CONT: the program runs again and catches up with what became due while stopped.
    public func resumeProcess(_ p: NetProcess, as name: String) {
        guard p.isPaused else { return }
        sim.record(name, .processPause, "SIGCONT")
        p.isPaused = false
        p.unaccepted.removeAll()
        let work = p.frozen
        p.frozen.removeAll()
        let inc = p.incarnation, hostInc = p.host.incarnation
        for w in work {
            guard p.isAlive, p.incarnation == inc, p.host.incarnation == hostInc else { return }
            w()
        }
    }

    /// A timer of program `p`: it fires when due, or at SIGCONT if the program is stopped.
    public func timer(of p: NetProcess, after delay: SimTime, _ body: @escaping () -> Void) {
        sim.after(delay) { p.whenRunnable(body) }
    }

    public func timer(of p: NetProcess, at time: SimTime, _ body: @escaping () -> Void) {
        sim.at(time) { p.whenRunnable(body) }
    }

    /// FIN or RST reached this end (told to the program when it runs).
    func peerClosed(_ c: Connection, _ rx: Connection.Side, _ reason: CloseReason) {
        guard !c.ends[rx.rawValue].knownClosed else { return }
        // Closed ends let go of their delegate at once (no cycle outlives the run).
        let delegate = c.markClosed(rx)
        c.process(rx).connections.removeAll { $0 === c }
        guard c.endAlive(rx) else { return }
        delegate?.closed(c, reason: reason)
    }
}
