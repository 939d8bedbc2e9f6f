import HasimKernel

/// A message carried by the network. Models define their own message types.
public protocol WireMessage {
    /// Payload bytes on the wire, for links with a capacity (NIC.swift); 0: headers only.
    var wireBytes: Int { get }
}

extension WireMessage {
    public var wireBytes: Int { 0 }
}

extension WireMessage {
    /// This message as the struct type `T`, or nil: what `message as? T` answers for a struct,
    /// without the runtime's general cast (`swift_dynamicCast`/`tryCast`: 3 % of an MHA incident's
    /// time and 8 % of a Galera one's, one per message received). Called on an `any WireMessage`,
    /// `Self` is the message's dynamic type, so the check is one comparison of type metadata.
    /// Only for structs (every message type is one): a subclass would not match its class.
    @inlinable @inline(__always)
    public func `as`<T: WireMessage>(_ type: T.Type) -> T? {
        guard Self.self == T.self else { return nil }
        return unsafeBitCast(self, to: T.self)
    }
}

public enum CloseReason: Sendable, Equatable {
    /// The peer process died; its host's kernel answered with RST.
    case reset
    /// The peer closed the connection cleanly (FIN).
    case closedByPeer
    /// This end's kernel gave up retransmitting unacknowledged data (ETIMEDOUT after
    /// `tcp_retries2` back-offs, about 924 s on Linux defaults).
    case timedOut
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
    /// Whether the server sends the first words (MySQL's greeting, SSH's banner): then a
    /// stopped program's connects wait in the backlog. HTTP and AJP servers do not: the
    /// kernel completes the connect and the request waits unread.
    var speaksFirst: Bool { get }
    /// The listen backlog: connections the kernel completes (or, for a server that speaks
    /// first, holds) for a stopped program before it drops further SYNs (listen(2)'s backlog,
    /// capped by net.core.somaxconn 4096).
    var acceptBacklog: Int { get }
}

extension Listener {
    public var speaksFirst: Bool { true }
    public var acceptBacklog: Int { 4096 }
}

public enum ConnectError: Error, Sendable, Equatable {
    /// The host answered with RST: nothing listens there (MySQL client error 2003, errno 111).
    case refused
    /// No answer before the timeout: the host is down or unreachable (2003, errno 110).
    case timedOut
    /// The address does not lead to any host.
    case noRoute
}

/// A connection's state per end (or, for what a sender keeps, per direction: index = the
/// sending side), in memory the connection allocates itself (`Connection.ends`, indexed by
/// `Side.rawValue`). Reached through a pointer, a field costs a load or a store: as stored
/// properties of the class, each packet paid a run-time exclusivity check per access
/// (`swift_beginAccess`) and, for two-field structs indexed by side, a generic `_modify`
/// coroutine that was not inlined (4 calls per segment sent: issue 15, session 15).
/// The simulation is single-threaded and no access outlives its statement, so nothing overlaps.
@usableFromInline
struct ConnectionEnd {
    /// What the end does with what arrives, in its box (`DelegateBox`), and the box unretained,
    /// for the call per segment delivered at +0. Set only by `Connection.replaceDelegate`.
    var box: DelegateBox?
    var boxRef: Unmanaged<DelegateBox>?
    var delegate: ConnectionDelegate? { box?.delegate }
    /// Deliveries through `boxRef` under way (`Network.deliverData`), and the boxes the end let
    /// go of meanwhile: kept until the delivery returns, since the call holds its box unretained.
    var delivering: UInt32 = 0
    var retired: [DelegateBox] = []
    /// That end knows the connection is over (it closed it, its process died, or FIN/RST
    /// reached it). An end is never told of a silent death.
    @usableFromInline var knownClosed = false
    /// Per direction: segments lost to a partition and everything sent after them, waiting
    /// for the retransmission timer (kept in order, as TCP's send queue is). Empty, and so
    /// allocation-free, while the path holds.
    var held: [(seq: UInt64, packet: Network.Packet)] = []
    /// Per direction: sequence numbers of the segments sent, so that a segment lost in flight
    /// takes its place among those held.
    var sent: UInt64 = 0
    /// Per direction: bumped when the held segments go out, so a stale timer does nothing.
    var retransmitEpoch: UInt32 = 0
    /// Per direction: the current retransmission timeout, when the first unacknowledged
    /// segment was lost, and whether the retransmission timer runs.
    var rto: SimTime = 0
    var lossStarted: SimTime = 0
    var retransmitArmed = false
    /// A retransmission is being sent: a segment dropped again now (a full queue) keeps the
    /// loss's start and backs the timer off instead of starting a new loss.
    var resending = false
    /// Per direction: the loss was at the sender's own firewall (send() failed with EPERM),
    /// so the kernel tries again at every write instead of waiting for the timer.
    var localDrop = false
    /// Per end: its kernel dropped the socket (retransmission budget spent); a segment that
    /// reaches it is answered with RST, as for any connection the kernel does not know.
    var abandoned = false
    /// Per direction: when the last segment sent is delivered (delivery is in order).
    var lastDelivery: SimTime = 0
}

/// A connection end's delegate in an immutable field. Through an `Unmanaged` reference to the
/// box (`ConnectionEnd.boxRef`) the delegate is called at +0, as the simulation calls its
/// handlers (`HandlerBox`): read from the end's memory as an optional existential, the
/// delegate was retained and released around every segment delivered (two atomic operations,
/// 3.8 M instructions of 291 M in the 40-second MHA cut, 11 M of 581 M in Galera's). An
/// existential cannot be `Unmanaged` itself. One box per delegate set (a few per connection).
final class DelegateBox {
    let delegate: any ConnectionDelegate
    init(_ delegate: any ConnectionDelegate) { self.delegate = delegate }
}

/// One TCP-like connection. Delivery is in order per direction. A segment that meets a
/// partition is retransmitted as Linux does (RTO from 200 ms, doubling, capped at 120 s):
/// after a heal within the budget what was held is delivered and the connection lives on;
/// neither end is told anything meanwhile, so the applications' own timeouts still fire.
/// Once the budget (`tcp_retries2`) is spent the sending end's kernel resets the connection.
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
    /// Whether the client dialled the server host's own address (a host's address never
    /// changes): then its segments need no neighbour lookup. Compared once here, not as two
    /// strings per client segment.
    let dialledServerHost: Bool
    let hostIncarnations: (client: UInt32, server: UInt32)
    /// Both ends' state (`ConnectionEnd`), [client, server]: allocated in `init`, freed in `deinit`.
    @usableFromInline let ends: UnsafeMutablePointer<ConnectionEnd>

    /// Segments sent per direction (read by tests; the network uses `ends[d].sent`).
    var sent: (client: UInt64, server: UInt64) { (ends[0].sent, ends[1].sent) }

    /// Whether the given end believes the connection is usable.
    /// Inlinable: a Galera node asks it per write-set it sends and delivers (a call each).
    @inlinable public func isOpen(for side: Side) -> Bool { !ends[side.rawValue].knownClosed }

    /// Usable as far as the simulator knows: no end closed it or gave up on it.
    public var isOpen: Bool { !ends[0].knownClosed && !ends[1].knownClosed }
    /// The dialled VIP's slot in the VIP table (-1: not a VIP), so that replies confirm the
    /// client's neighbour entry without a lookup per packet.
    var neighbourSlot = -1
    /// A connection through a director (Director.swift): the host every client-to-server
    /// segment passes (and, when `viaReplies`, every reply too), the director's life there,
    /// and the bytes of its tunnel header per packet on the director-to-server hop.
    unowned(unsafe) var via: Host? { didSet { routed = via != nil } }
    /// Whether `via` is set: every segment asks, and reading `via` itself is a strong load
    /// (a call to swift_retain even when it is nil).
    private(set) var routed = false
    var director: PacketDirector?
    var viaReplies = false
    var viaIncarnation: UInt32 = 0
    var tunnelBytes: Int64 = 0
    /// The director was told the connection ended (its first FIN or RST it forwarded).
    var directorTold = false
    /// Its segments in flight (in-flight records, which name it unretained): while any travels,
    /// the network keeps the connection (`Network.connectionsOpened` or `landing`).
    var segmentsInFlight = 0
    /// Whether `Network.connectionsOpened` holds it now, and whether `Network.landing` does
    /// (out of the list, kept for its segments in flight).
    var tracked = false
    var landing = false

    init(id: Int, client: NetProcess, server: NetProcess, dialled: IPAddress, port: Int) {
        self.id = id
        self.client = client
        self.server = server
        self.dialled = dialled
        self.port = port
        incarnations = (client.incarnation, server.incarnation)
        hostIncarnations = (client.host.incarnation, server.host.incarnation)
        dialledServerHost = dialled == server.host.address
        ends = .allocate(capacity: 2)
        ends.initialize(repeating: ConnectionEnd(), count: 2)
    }

    deinit {
        ends.deinitialize(count: 2)
        ends.deallocate()
    }

    public func process(_ side: Side) -> NetProcess { side == .client ? client : server }

    /// The host of an end, by id: read through the `let` ends, with no retain of the process
    /// (`process(side)` returns it +1: a retain and a release per packet).
    @inline(__always)
    func hostID(_ side: Side) -> HostID { side == .client ? client.host.id : server.host.id }

    /// Whether an end's program is stopped (SIGSTOP), read as `hostID` is.
    @inline(__always)
    func isPaused(_ side: Side) -> Bool { side == .client ? client.isPaused : server.isPaused }

    public func setDelegate(_ d: ConnectionDelegate?, for side: Side) { replaceDelegate(d, side.rawValue) }

    /// Every change of an end's delegate. During a delivery to that end the old box is kept
    /// (`retired`) until the delivery returns, so the call through it stays valid; the delegate
    /// is then released where the retain of the call used to release it.
    private func replaceDelegate(_ d: ConnectionDelegate?, _ i: Int) {
        let old = ends[i].box
        let box = d.map(DelegateBox.init)
        ends[i].box = box
        ends[i].boxRef = box.map { Unmanaged.passUnretained($0) }
        if let old, ends[i].delivering > 0 { ends[i].retired.append(old) }
    }

    /// A delivery to end `i` returned: the boxes it let go of meanwhile go now (if no other
    /// delivery to it is under way).
    @inline(never)
    func dropRetired(_ i: Int) {
        if ends[i].delivering == 0 { ends[i].retired.removeAll() }
    }

    /// This end now knows the connection is over. Nothing is delivered to a closed end, so
    /// the end lets go of its delegate (returned, for a last `closed` call): the delegate
    /// (a session, a pooled connection) usually holds the connection too, and that cycle
    /// would outlive the run.
    @discardableResult
    func markClosed(_ side: Side) -> ConnectionDelegate? {
        let d = side.rawValue
        ends[d].knownClosed = true
        let delegate = ends[d].delegate
        replaceDelegate(nil, d)
        return delegate
    }

    /// The run is over: drops both delegates and anything held for retransmission.
    func release() {
        director = nil
        for d in 0..<2 {
            replaceDelegate(nil, d)
            ends[d].held = []
        }
    }

    /// Neither end can be told anything any more.
    var isReleased: Bool { ends[0].box == nil && ends[1].box == nil }

    /// Whether the given end is still the same life of the same process.
    /// Asked for every packet: each branch reads its own `let` end, which costs no reference
    /// counting (a local copy of the process was a retain and a release per packet).
    @inline(__always)
    func endAlive(_ side: Side) -> Bool {
        switch side {
        case .client:
            return client.isAlive && client.incarnation == incarnations.client && client.host.incarnation == hostIncarnations.client
        case .server:
            return server.isAlive && server.incarnation == incarnations.server && server.host.incarnation == hostIncarnations.server
        }
    }
}
