import HasimKernel
import HasimNetwork

/// A UDP client on a host (validation/experiments/vip_udp.py): one datagram to `address`:`port`
/// every `interval`, from `start` to `stop`, and a log of the replies. Each `sendto` resolves
/// the address through the host's neighbour cache as Linux does, with none of TCP's
/// confirmations: UDP never confirms an entry, so a VIP's entry goes STALE after
/// `reachable_time` whatever the traffic, and its next use starts DELAY → PROBE → FAILED.
/// A datagram to a dead or former holder is lost without a word; the client only sees
/// replies stop.
public final class DatagramClient: EventHandler, DatagramReceiver, HostLifecycleObserver {
    public let process: NetProcess
    public let address: IPAddress
    public let port: Int
    public let interval: SimTime
    public private(set) var log: DatagramLog
    private let network: Network
    private var handler: HandlerID!
    private var rng: SimRandom
    private var stopAt: SimTime = .max
    /// The client socket's (ephemeral) port.
    private let sourcePort: Int
    /// Whether this program runs, as it knows it from its own lifecycle (a program cannot
    /// ask the simulator whether its host is up).
    private var running = true

    public init(name: String, host: Host, network: Network, address: IPAddress, port: Int, interval: SimTime,
                sourcePort: Int = 40_000) {
        self.network = network
        self.address = address
        self.port = port
        self.interval = interval
        self.sourcePort = sourcePort
        process = network.spawn(name, on: host)
        rng = network.sim.random("udp/\(name)")
        log = DatagramLog(client: host.name, address: address.value, port: port, interval: interval)
        process.observer = self
        handler = network.sim.register(self)
        network.bind(process, port: sourcePort, self)
    }

    /// Sends from a seeded phase in [start, start + interval) until `stop`: the fault lands
    /// anywhere between two datagrams.
    public func start(at start: SimTime, stop: SimTime) {
        stopAt = stop
        network.sim.schedule(at: start + SimTime(rng.next(upperBound: UInt64(max(1, interval)))), handler, tag: 0)
    }

    public func handle(_ event: Event, in sim: Simulation) {
        guard sim.now < stopAt else { return }
        if running {
            log.sent.append(sim.now)
            network.sendDatagram(from: process, sourcePort: sourcePort, to: address, port: port,
                                 sequence: Int64(log.sent.count))
        }
        sim.schedule(after: interval, handler, tag: 0)
    }

    public func received(_ d: Datagram) {
        guard d.sequence >= 1, d.sequence <= Int64(log.sent.count) else { return }
        let name = d.name.map { network.host($0).name } ?? "?"
        var k = log.responders.firstIndex(of: name)
        if k == nil { log.responders.append(name); k = log.responders.count - 1 }
        log.replies.append(DatagramReply(sequence: Int32(truncatingIfNeeded: d.sequence), responder: Int16(k!),
                                         at: network.sim.now))
    }

    public func hostDidCrash() { running = false }

    /// The program is started again with its host; it binds a new socket.
    public func hostDidRestart() {
        running = true
        network.processStarted(process)
        network.bind(process, port: sourcePort, self)
    }
}

/// A UDP echo server on a host (vip_udp.py's: bound to 0.0.0.0:port, it answers each datagram
/// with its host's name). A process: it dies with its host and init starts it again at boot.
public final class UDPEcho: DatagramReceiver, HostLifecycleObserver {
    public let process: NetProcess
    public let port: Int
    private let network: Network

    public init(host: Host, network: Network, port: Int) {
        self.network = network
        self.port = port
        process = network.spawn("udp-echo", on: host)
        process.observer = self
        network.bind(process, port: port, self)
    }

    public func received(_ d: Datagram) {
        network.reply(to: d, from: process, sequence: d.sequence, name: process.host.id)
    }

    public func hostDidCrash() {}

    public func hostDidRestart() {
        network.processStarted(process)
        network.bind(process, port: port, self)
    }
}
