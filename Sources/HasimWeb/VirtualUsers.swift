import HasimKernel
import HasimNetwork

/// Closed-loop virtual users on a load generator's host, as nGrinder or JMeter run them:
/// each thinks (lognormal), sends one request on its keep-alive connection, waits for the
/// response or its timeout, records what it saw, and thinks again. A user logs in (gets a
/// session cookie) with its first page and logs out after `session_pages` pages.
public final class VirtualUsers: EventHandler, HostLifecycleObserver {
    public let process: NetProcess
    let spec: UsersSpec
    private let network: Network
    private let sim: Simulation
    private var handler: HandlerID!
    private var rng: SimRandom
    /// Where each user sends its requests (user i to targets[i mod n]) and the port.
    private let targets: [IPAddress]
    private let port: Int
    private var stopAt: SimTime = 0
    /// Whether the load generator runs, from its own lifecycle (not the simulator's truth).
    private var running = true

    private final class User: ConnectionDelegate {
        unowned let owner: VirtualUsers
        let index: Int
        var connection: Connection?
        var cookie = SessionCookie.none
        var pagesLeft = 0
        /// The request in flight (0: none), its kind and when it was issued.
        var inflight: Int64 = 0
        var kind = RequestKind.staticFile
        var issuedAt: SimTime = 0
        init(owner: VirtualUsers, index: Int) { self.owner = owner; self.index = index }
        func received(_ message: WireMessage, on connection: Connection) {
            if let r = message as? HTTPResponse { owner.answered(self, r) }
        }
        func closed(_ connection: Connection, reason: CloseReason) { owner.connectionClosed(self, connection) }
    }
    private var users: [User] = []
    private var nextRequest: Int64 = 0
    public private(set) var records: [HTTPRecord] = []
    public private(set) var sessionsStarted = 0
    public private(set) var bytesIn: Int64 = 0
    public private(set) var bytesOut: Int64 = 0

    private enum Tag: UInt32 { case think = 1, timeout }

    public init(host: Host, network: Network, spec: UsersSpec, targets: [IPAddress], port: Int) {
        self.network = network
        self.sim = network.sim
        self.spec = spec
        self.targets = targets
        self.port = port
        process = network.spawn("users", on: host)
        rng = network.sim.random("web.users")
        handler = sim.register(self)
        process.observer = self
        users = (0..<spec.count).map { User(owner: self, index: $0) }
    }

    /// Every user's first request comes at a seeded instant within one think time of
    /// `start` (the load tool's ramp), then each loops until `stop`.
    public func start(at start: SimTime, stop: SimTime) {
        stopAt = stop
        for u in users {
            let phase = SimTime(rng.next(upperBound: UInt64(max(1, spec.thinkTime))))
            sim.schedule(at: start + phase, handler, tag: Tag.think.rawValue, arg: Int64(u.index))
        }
    }

    public func handle(_ event: Event, in sim: Simulation) {
        let u = users[Int(event.arg & 0xFFFF_FFFF)]
        switch Tag(rawValue: event.tag) {
        case .think: request(u)
        case .timeout:
            // The timer names the request it guards (upper bits); a later one is not its business.
            guard u.inflight == event.arg >> 32, u.inflight != 0 else { return }
            if let c = u.connection { network.close(c, from: .client) }
            u.connection = nil
            finish(u, status: 0, txid: 0, cookie: nil)
        case nil: break
        }
    }

    private func thinkTime() -> SimTime {
        max(1, Time.fromSeconds(rng.logNormal(median: Time.seconds(spec.thinkTime), sigma: spec.thinkSigma)))
    }

    private func request(_ u: User) {
        guard sim.now < stopAt, running else { return }
        if u.pagesLeft <= 0 {
            // Log in again: a new visit starts without a cookie.
            u.cookie = .none
            u.pagesLeft = spec.sessionPages
            sessionsStarted += 1
        }
        let x = rng.unit()
        u.kind = x < spec.mix.staticFile ? .staticFile : x < spec.mix.staticFile + spec.mix.read ? .read : .write
        nextRequest += 1
        u.inflight = nextRequest
        u.issuedAt = sim.now
        sim.schedule(after: spec.timeout, handler, tag: Tag.timeout.rawValue, arg: nextRequest << 32 | Int64(u.index))
        if let c = u.connection, c.isOpen(for: .client) {
            send(u, on: c)
            return
        }
        let id = u.inflight
        network.connect(from: process, to: targets[u.index % targets.count], port: port, timeout: spec.timeout,
                        delegate: u) { [weak self, unowned u] result in
            guard let self, u.inflight == id else {
                if case .success(let c) = result { self?.network.close(c, from: .client) }
                return
            }
            switch result {
            case .success(let c):
                u.connection = c
                self.send(u, on: c)
            case .failure:
                self.finish(u, status: 0, txid: 0, cookie: nil)
            }
        }
    }

    private func send(_ u: User, on c: Connection) {
        let r = HTTPRequest(id: u.inflight, kind: u.kind, cookie: u.cookie, bytes: Int32(spec.requestBytes))
        bytesOut += Int64(spec.requestBytes)
        if !network.send(r, on: c, from: .client) {
            u.connection = nil
            finish(u, status: 0, txid: 0, cookie: nil)
        }
    }

    private func answered(_ u: User, _ r: HTTPResponse) {
        guard r.id == u.inflight else { return }
        bytesIn += Int64(r.bytes)
        finish(u, status: r.status, txid: r.txid, cookie: r.cookie)
    }

    private func connectionClosed(_ u: User, _ c: Connection) {
        guard u.connection === c else { return }
        u.connection = nil
        // Reset or closed under a request in flight: a non-HTTP failure.
        if u.inflight != 0 { finish(u, status: 0, txid: 0, cookie: nil) }
    }

    private func finish(_ u: User, status: Int16, txid: Int64, cookie: SessionCookie?) {
        var lost = false
        if let cookie {
            // A new session although the user sent one: the page is the login page.
            lost = !u.cookie.isNone && cookie.id != u.cookie.id
            if lost { u.pagesLeft = spec.sessionPages; sessionsStarted += 1 }
            u.cookie = cookie
        }
        records.append(HTTPRecord(issuedAt: u.issuedAt, finishedAt: sim.now, txid: u.kind == .write ? txid : 0,
                                  status: status, kind: u.kind, sessionLost: lost))
        u.inflight = 0
        u.pagesLeft -= 1
        sim.schedule(after: thinkTime(), handler, tag: Tag.think.rawValue, arg: Int64(u.index))
    }

    public func hostDidCrash() { running = false }
    public func hostDidRestart() { running = true; network.processStarted(process) }
    public func networkDidClose() { users.removeAll() }
}
