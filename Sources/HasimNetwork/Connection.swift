import HasimKernel

/// A message carried by the network. Models define their own message types.
public protocol WireMessage {}

public enum CloseReason: Sendable, Equatable {
    /// The peer process died; its host's kernel answered with RST.
    case reset
    /// The peer closed the connection cleanly (FIN).
    case closedByPeer
}

/// What a connection end does with what arrives.
public protocol ConnectionDelegate: AnyObject {
    func received(_ message: WireMessage, on connection: Connection)
    func closed(_ connection: Connection, reason: CloseReason)
}

/// Accepts incoming connections on a port; returns the delegate of the new end,
/// or nil to refuse it.
public protocol Listener: AnyObject {
    func accept(_ connection: Connection) -> ConnectionDelegate?
}

public enum ConnectError: Error, Sendable, Equatable {
    /// The host answered with RST: nothing listens there (MySQL client error 2003, errno 111).
    case refused
    /// No answer before the timeout: the host is down or unreachable (2003, errno 110).
    case timedOut
    /// The address does not lead to any host.
    case noRoute
}

/// One TCP-like connection. Delivery is in order per direction. A packet that
/// meets a partition breaks the connection silently: neither end is told, each
/// learns only through its own timeouts, as with a real dead path.
public final class Connection {
    public enum Side: Int, Sendable { case client = 0, server = 1
        var other: Side { self == .client ? .server : .client }
    }

    public let id: Int
    public let client: NetProcess
    public let server: NetProcess
    /// The address the client dialled (a VIP, a host address).
    public let dialled: IPAddress
    public let port: Int
    let incarnations: (client: UInt32, server: UInt32)
    let hostIncarnations: (client: UInt32, server: UInt32)
    var delegates: [ConnectionDelegate?] = [nil, nil]
    /// Per end: that end knows the connection is over (it closed it, its process
    /// died, or FIN/RST reached it). An end is never told of a silent death.
    var knownClosed: [Bool] = [false, false]
    /// A packet was lost to a partition: nothing more is delivered either way,
    /// though neither end knows it.
    public internal(set) var isBroken = false

    /// Whether the given end believes the connection is usable.
    public func isOpen(for side: Side) -> Bool { !knownClosed[side.rawValue] }

    /// Usable as far as the simulator knows: no end closed it and the path holds.
    public var isOpen: Bool { !isBroken && !knownClosed[0] && !knownClosed[1] }
    var lastDelivery: [SimTime] = [0, 0]
    /// The dialled VIP's slot in the VIP table (-1: not a VIP), so that replies confirm the
    /// client's neighbour entry without a lookup per packet.
    var neighbourSlot = -1

    init(id: Int, client: NetProcess, server: NetProcess, dialled: IPAddress, port: Int) {
        self.id = id
        self.client = client
        self.server = server
        self.dialled = dialled
        self.port = port
        incarnations = (client.incarnation, server.incarnation)
        hostIncarnations = (client.host.incarnation, server.host.incarnation)
    }

    public func process(_ side: Side) -> NetProcess { side == .client ? client : server }

    public func setDelegate(_ d: ConnectionDelegate?, for side: Side) { delegates[side.rawValue] = d }

    /// Whether the given end is still the same life of the same process.
    func endAlive(_ side: Side) -> Bool {
        let p = process(side)
        let inc = side == .client ? incarnations.client : incarnations.server
        let hinc = side == .client ? hostIncarnations.client : hostIncarnations.server
        return p.isAlive && p.incarnation == inc && p.host.incarnation == hinc
    }
}
