import HasimKernel
import HasimNetwork

/// An HA daemon (heartbeat, corosync/pacemaker, a manager, a monitor) as a process on
/// a host. Its memory dies with the host: `crashed()` is where a subclass forgets what
/// it only knew in RAM, and `booted()` where init starts it again from its
/// configuration (and from what the real tool writes to disk, nothing else). Timers
/// armed through `after` belong to one life and are dropped when the daemon dies.
///
/// Public for the web tier (HasimWeb: Apache, Tomcat), whose programs are processes alike.
/// Galera's bootstrap operator can adopt it the same way: subclass, keep in-RAM state
/// in properties reset by `crashed()`, arm every timer with `after`.
open class Daemon: HostLifecycleObserver {
    public let process: NetProcess
    public let network: Network
    public var sim: Simulation { network.sim }
    public var host: Host { process.host }
    /// Bumped when the daemon dies: replies and timers of an earlier life are ignored.
    public private(set) var life: UInt32 = 0
    private var phaseRNG: SimRandom
    /// The daemon's client sockets (its mysql and ssh clients): they die with the host
    /// and come back with the daemon.
    private var helpers: [NetProcess] = []

    public init(name: String, host: Host, network: Network) {
        self.network = network
        process = network.spawn(name, on: host)
        phaseRNG = network.sim.random("phase.\(name)@\(host.name)")
        process.observer = self
    }

    /// Whether this daemon runs, as it knows it itself: its host's power is the simulator's
    /// truth (the Oracle SPI), so the daemon follows its own lifecycle instead. Meant for a
    /// daemon's own handlers (a reply or datagram arriving after it died is ignored); reading
    /// another daemon's is the god's-eye read docs/processes.md forbids.
    public private(set) var isAlive = true

    public func hostDidCrash() {
        isAlive = false
        life &+= 1
        crashed()
    }

    public func hostDidRestart() {
        isAlive = true
        network.processStarted(process)
        for p in helpers { network.processStarted(p) }
        booted()
    }

    /// A client the daemon uses (AdminClient, AgentClient) lives and restarts with it.
    public func adopt(_ p: NetProcess) { helpers.append(p) }

    /// The host lost power: forget everything held in memory.
    open func crashed() {}
    /// The host booted and init started the daemon again.
    open func booted() {}

    /// Runs `action` after `delay` in this life of the daemon only.
    public func after(_ delay: SimTime, _ action: @escaping () -> Void) {
        let l = life
        sim.after(delay) { [weak self] in
            guard let self, self.life == l, self.isAlive else { return }
            action()
        }
    }

    /// Wraps a completion so that it is dropped if the daemon died since it asked.
    public func inThisLife<T>(_ body: @escaping (T) -> Void) -> (T) -> Void {
        let l = life
        return { [weak self] v in
            guard let self, self.life == l, self.isAlive else { return }
            body(v)
        }
    }

    /// A periodic loop whose first tick comes at a seeded random phase in (0, interval]:
    /// a real daemon starts whenever its host booted, so a fault lands anywhere in its
    /// check cycle, and seeds explore that phase. The loop ends with the daemon's life or
    /// once `keepGoing` says so.
    public func every(_ interval: SimTime, while keepGoing: @escaping () -> Bool = { true }, _ tick: @escaping () -> Void) {
        after(randomPhase(in: interval)) { [weak self] in self?.loop(interval, keepGoing, tick) }
    }

    /// A seeded delay in (0, interval] before a loop's first tick: where in its cycle the
    /// daemon happens to be when something fails.
    public func randomPhase(in interval: SimTime) -> SimTime {
        min(1 + SimTime(phaseRNG.next(upperBound: UInt64(max(1, interval)))), interval)
    }

    private func loop(_ interval: SimTime, _ keepGoing: @escaping () -> Bool, _ tick: @escaping () -> Void) {
        guard keepGoing() else { return }
        after(interval) { [weak self] in self?.loop(interval, keepGoing, tick) }
        tick()
    }
}
