import HasimKernel

public struct HostID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let raw: Int
    public init(_ raw: Int) { self.raw = raw }
    public static func < (a: HostID, b: HostID) -> Bool { a.raw < b.raw }
    public var description: String { "host#\(raw)" }
}

/// An IP address as the scenario names it (a host's own address, a VIP, ...).
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let value: String
    public init(_ value: String) { self.value = value }
    public init(stringLiteral value: String) { self.value = value }
    public static func < (a: IPAddress, b: IPAddress) -> Bool { a.value < b.value }
    public var description: String { value }
}

/// A machine in a site (one L2 broadcast domain). Its processes live and die with it.
public final class Host {
    public let id: HostID
    public let name: String
    public let site: String
    public let address: IPAddress
    /// The index of its site in the network's link table (`Network.siteIndex`), set once by
    /// `addHost`: every packet's path is looked up by it.
    var siteIndex = 0
    /// Power state: the world's truth, not something a program on another host can read.
    /// Only the fault injector, the measurements and a host's own processes (the database
    /// layer's mysqld) import it (`@_spi(Oracle) import HasimNetwork`); the HA tools do not,
    /// so a tool that wants to know whether a host is up must ask over the network.
    @_spi(Oracle) public internal(set) var isUp = true
    /// Bumped on every crash, so that events meant for an earlier life are dropped.
    public internal(set) var incarnation: UInt32 = 0
    var processes: [NetProcess] = []
    /// The CPUs its processes run on: its own, uncontended, unless the scenario puts it on a
    /// shared machine (Network.place).
    public internal(set) var machine: Machine
    /// Its network interface: unlimited and unmeasured unless the scenario sets it (NIC.swift).
    public internal(set) var nic = NIC()

    init(id: HostID, name: String, site: String, address: IPAddress, machine: Machine) {
        self.id = id
        self.name = name
        self.site = site
        self.address = address
        self.machine = machine
    }
}

/// What a process does when its host goes down or comes back.
public protocol HostLifecycleObserver: AnyObject {
    func hostDidCrash()
    func hostDidRestart()
    /// The run is over (Simulation.close reached the network): let go of the other model
    /// objects this process holds (its peers, its sessions), so a finished world is freed.
    func networkDidClose()
}

extension HostLifecycleObserver {
    public func networkDidClose() {}
}

/// Stands between a process and an observer that is retained and released on hot paths (a
/// mysqld: several times per commit). `NetProcess.observer` is weak, and a weak reference gives
/// its object a side table for life, after which every retain and release of that object takes
/// the runtime's slow path (a tenth of an MHA incident's time). The relay takes the weak
/// reference instead. Its owner keeps it (`let`), so it lives exactly as long as the observer:
/// when the observer is freed, so is the relay, and the process's reference reads nil as before.
public final class LifecycleRelay: HostLifecycleObserver {
    // unowned(unsafe): the owner holds the relay, so the owner is alive whenever the relay is.
    private unowned(unsafe) let target: HostLifecycleObserver
    public init(_ target: HostLifecycleObserver) { self.target = target }
    public func hostDidCrash() { target.hostDidCrash() }
    public func hostDidRestart() { target.hostDidRestart() }
    public func networkDidClose() { target.networkDidClose() }
}

/// A program on a host (mysqld, an agent, an application). The network uses it to
/// know which listeners and connection ends die when the program dies.
public final class NetProcess {
    public let name: String
    /// The network keeps every host for the whole run; unowned(unsafe) spares the
    /// reference count checks of `unowned` on every packet's liveness test.
    public unowned(unsafe) let host: Host
    /// Whether the program runs. Like `Host.isUp` this is the simulator's truth, not
    /// something another program can know: it sits behind `@_spi(Oracle)`, and a daemon
    /// knows only its own life (Daemon tracks it through its lifecycle callbacks).
    @_spi(Oracle) public internal(set) var isRunning = true
    public internal(set) var incarnation: UInt32 = 0
    public weak var observer: HostLifecycleObserver?
    var listeners: [Int: Listener] = [:]
    /// Bound UDP sockets by port (Datagram.swift).
    var datagramSockets: [Int: DatagramReceiver] = [:]
    var connections: [Connection] = []
    /// Services this program directs to real servers by port (an IPVS director, Director.swift).
    var directors: [Int: PacketDirector] = [:]
    /// SIGSTOP: the program runs none of its code, while its host's kernel still completes
    /// handshakes and ACKs and queues what arrives (no RST, nothing lost). See ProcessPause.swift.
    public internal(set) var isPaused = false
    /// What the program would have done while stopped, in the order it became due.
    var frozen: [() -> Void] = []
    /// Connections to each port the kernel queued for this program while it is stopped
    /// (its accept queue; the program would accept them when it runs again).
    var unaccepted: [Int: Int] = [:]

    init(name: String, host: Host) {
        self.name = name
        self.host = host
    }

    public var label: String { "\(name)@\(host.name)" }

    /// Alive as far as the network is concerned: the program runs on a live host.
    @_spi(Oracle) public var isAlive: Bool { isRunning && host.isUp }
}
