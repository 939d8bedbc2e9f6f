import HasimKernel

extension TraceKind {
    /// The proxy marked a server DOWN (node = the proxy's host; detail names the server).
    public static let proxyServerDown = TraceKind("proxy_server_down")
    /// The proxy marked a server UP again.
    public static let proxyServerUp = TraceKind("proxy_server_up")
    /// `on-marked-down shutdown-sessions`: the sessions of a server that went DOWN were cut.
    public static let proxySessionsShutdown = TraceKind("proxy_sessions_shutdown")
}

/// An HAProxy-like TCP proxy's settings, with HAProxy's defaults (ha-tools-defaults.md §9:
/// haproxy/haproxy include/haproxy/defaults.h @ 060a761, doc/configuration.txt @ 50872daa6).
public struct ProxySettings: Sendable, Equatable {
    public enum Balance: String, Sendable, CaseIterable {
        /// The first server (in declaration order) that is UP takes every new connection.
        case first
        /// New connections go to the UP servers in turn.
        case roundrobin
    }
    public var port = 3306
    /// `balance`: roundrobin when not set (configuration.txt, "balance").
    public var balance: Balance = .roundrobin
    /// `inter` 2000 ms (DEF_CHKINTR): the time between the end of one check and the start of
    /// the next (`fastinter`/`downinter` default to it).
    public var inter: SimTime = Time.ms(2000)
    /// `rise` 2 (DEF_RISETIME): consecutive good checks to mark a DOWN server UP.
    public var rise = 2
    /// `fall` 3 (DEF_FALLTIME): consecutive failed checks to mark an UP server DOWN.
    public var fall = 3
    /// `timeout check`: unset by default, and then `inter` bounds the whole check; when set,
    /// the check's connect is bounded by min(`timeout connect`, `inter`).
    public var timeoutCheck: SimTime?
    /// `timeout connect`: HAProxy has none (it warns at start-up); 5 s is what the shipped
    /// examples and most MySQL guides set.
    public var timeoutConnect: SimTime = Time.s(5)
    /// `retries` 3 (CONN_RETRIES): connection attempts after the first to the chosen server,
    /// each after a turn-around of min(`timeout connect`, 1 s); no redispatch (off by default).
    public var retries = 3
    /// `on-marked-down shutdown-sessions`: "Actions are disabled by default"; established
    /// sessions stay on a server marked DOWN until they fail by themselves.
    public var shutdownSessions = false
    /// How a server is checked. `mysqlCheck` (`option mysql-check`): the connection and the
    /// greeting only ("does not check database presence nor database consistency"), so a Galera
    /// node that refuses queries (non-Primary, Donor) stays UP. `httpChk(port:)` (`option httpchk`
    /// with `port`): an HTTP request to a service on the server's host that answers 200 only when
    /// the server is usable (clustercheck on 9200).
    public enum Check: Sendable, Equatable { case mysqlCheck, httpChk(port: Int) }
    public var check: Check = .mysqlCheck
    /// `fastinter`: the interval while a server is changing state (some checks failed or passed
    /// but not `fall`/`rise` of them); `downinter`: while it is fully DOWN. Both default to `inter`.
    public var fastinter: SimTime?
    public var downinter: SimTime?
    /// `option redispatch`: the last retry of a connection goes to another server that is UP
    /// (off by default: every retry goes to the same server).
    public var redispatch = false
    /// `on-marked-up shutdown-backup-sessions`: when a non-backup server comes UP, the sessions
    /// on backup servers are cut so the clients come back to it (disabled by default).
    public var shutdownBackupSessions = false
    /// Global `spread-checks` (percent, 0-50; 0 = off, the default): each interval between two
    /// checks is drawn from inter ± that percentage (check.c process_chk), so the checks of
    /// several proxies drift apart instead of hitting the servers at the same moment.
    public var spreadChecks = 0
    /// Where the check cycle stands when the run starts. false: HAProxy starts with the run
    /// (its first checks at inter × position / count). true: it has been running for a while,
    /// so the phase is a draw per seed (uniform over `inter`) and a fault lands anywhere in
    /// the cycle, as in real incidents.
    public var randomCheckPhase = false
    public init() {}
}

/// One `server` line of the backend.
public struct ProxyServer: Sendable, Equatable {
    public var name: String
    public var address: IPAddress
    public var port: Int
    /// `backup`: used only when no non-backup server is UP (only the first UP backup, without
    /// `option allbackups`).
    public var backup: Bool
    public init(name: String, address: IPAddress, port: Int = 3306, backup: Bool = false) {
        self.name = name
        self.address = address
        self.port = port
        self.backup = backup
    }
}

/// An L4 proxy process (HAProxy in `mode tcp` with `option mysql-check`): it checks every
/// server by connecting to mysqld (a refused or timed-out connect is a failed check), marks
/// servers DOWN and UP with HAProxy's health counter, and relays each client connection to
/// the server the balance algorithm picks, over a connection of its own.
public final class L4Proxy: Listener, HostLifecycleObserver {
    public let process: NetProcess
    public let servers: [ProxyServer]
    public let settings: ProxySettings
    private let network: Network
    private var sim: Simulation { network.sim }

    /// HAProxy's `check.health`: 0 ..< rise is DOWN, rise ... rise+fall-1 is UP.
    private var health: [Int]
    private var nextRoundRobin = 0
    private var sessions: [Session] = []
    /// Bumped when the proxy's host crashes, so checks of an earlier life stop.
    private var generation = 0
    private var spreadRandom: SimRandom

    public init(name: String = "haproxy", host: Host, network: Network, servers: [ProxyServer], settings: ProxySettings) {
        precondition(!servers.isEmpty, "a proxy needs servers")
        self.network = network
        self.servers = servers
        self.settings = settings
        process = network.spawn(name, on: host)
        spreadRandom = network.sim.random("haproxy/\(host.name)/spread-checks")
        // "up, but will fall down at first failure" (HAProxy src/server.c, new servers).
        health = [Int](repeating: settings.rise, count: servers.count)
        process.observer = self
    }

    public var host: Host { process.host }
    public var address: IPAddress { process.host.address }

    /// Starts listening and checking. The first checks are spread over one interval, as
    /// HAProxy's `start_checks` spreads servers (inter × position / count, from the moment the
    /// process started). With `randomCheckPhase` HAProxy has been up for a while when the run
    /// starts, so where its check cycle stands is a draw per seed (uniform over `inter`). After a
    /// restart of its host the cycle starts with the process.
    public func start() {
        startChecks(uptimePhase: settings.randomCheckPhase)
    }

    private func startChecks(uptimePhase: Bool) {
        network.listen(process, port: settings.port, self)
        let gen = generation
        var phase: SimTime = 0
        if uptimePhase {
            var rng = sim.random("haproxy/\(host.name)/uptime")
            phase = SimTime(rng.unit() * Double(settings.inter))
        }
        for i in servers.indices {
            let offset = (phase + Time.fraction(settings.inter, SimTime(i), of: SimTime(servers.count))) % settings.inter
            sim.after(offset) { [weak self] in self?.check(i, generation: gen) }
        }
    }

    public func isUp(_ server: String) -> Bool {
        guard let i = servers.firstIndex(where: { $0.name == server }) else { return false }
        return health[i] >= settings.rise
    }

    /// The server a new connection would go to now (nil: none is UP).
    public var currentTarget: ProxyServer? { pick(advance: false).map { servers[$0] } }

    public var sessionCount: Int { sessions.count }

    // MARK: - health checks

    private var checkTimeout: SimTime {
        guard settings.timeoutCheck != nil else { return settings.inter }
        return min(settings.timeoutConnect, settings.inter)
    }

    private func check(_ i: Int, generation gen: Int) {
        guard gen == generation, process.isAlive else { return }
        let s = servers[i]
        var done = false
        let finish = { [weak self] (ok: Bool) in
            guard let self, gen == self.generation, !done else { return }
            done = true
            if ok { self.passed(i) } else { self.failed(i) }
            // The next check starts one interval after this one ended (HAProxy check.c).
            self.sim.after(self.interval(i) + self.spread(self.interval(i))) { [weak self] in self?.check(i, generation: gen) }
        }
        switch settings.check {
        case .mysqlCheck:
            network.connect(from: process, to: s.address, port: s.port, timeout: checkTimeout, delegate: CheckEnd()) { [weak self] r in
                guard let self else { return }
                // mysql-check: the greeting came; QUIT and close.
                if case .success(let c) = r { self.network.close(c, from: .client) }
                if case .success = r { finish(true) } else { finish(false) }
            }
        case .httpChk(let port):
            // The whole check (connect, request, response) is bounded by the check timeout.
            let started = sim.now
            let end = CheckEnd()
            end.onResponse = { [weak self] status, c in
                self?.network.close(c, from: .client)
                finish(status == 200)
            }
            end.onClose = { finish(false) }
            network.connect(from: process, to: s.address, port: port, timeout: checkTimeout, delegate: end) { [weak self] r in
                guard let self else { return }
                guard case .success(let c) = r else { finish(false); return }
                self.network.send(HTTPCheckRequest(), on: c, from: .client)
                // With `timeout check` set it bounds the response on its own (HAProxy's
                // configuration.txt: "an additional read timeout"); without it `inter` bounds it all.
                let read = self.settings.timeoutCheck ?? max(0, self.checkTimeout - (self.sim.now - started))
                self.sim.after(read) { [weak self] in
                    guard !done else { return }
                    self?.network.close(c, from: .client)
                    finish(false)
                }
            }
        }
    }

    /// `spread-checks`: rv = inter × pct / 100, and the interval moves by rv − 2·rv·random.
    private func spread(_ inter: SimTime) -> SimTime {
        guard settings.spreadChecks > 0 else { return 0 }
        let rv = Time.fraction(inter, SimTime(settings.spreadChecks), of: 100)
        return rv - SimTime(2 * Double(rv) * spreadRandom.unit())
    }

    /// HAProxy's srv_getinter: `downinter` while fully DOWN, `fastinter` while changing state,
    /// `inter` when steadily UP.
    private func interval(_ i: Int) -> SimTime {
        let top = settings.rise + settings.fall - 1
        if health[i] == 0 { return settings.downinter ?? settings.inter }
        if health[i] < top { return settings.fastinter ?? settings.inter }
        return settings.inter
    }

    private func passed(_ i: Int) {
        let rise = settings.rise, top = settings.rise + settings.fall - 1
        let wasUp = health[i] >= rise
        if health[i] < top {
            health[i] += 1
            if health[i] >= rise { health[i] = top }
        }
        if !wasUp && health[i] >= rise {
            sim.record(host.name, .proxyServerUp, "Server backend/\(servers[i].name) is UP")
            if settings.shutdownBackupSessions && !servers[i].backup {
                let victims = sessions.filter { $0.server.map { servers[$0].backup } ?? false }
                if !victims.isEmpty {
                    sim.record(host.name, .proxySessionsShutdown, "\(victims.count) backup session(s) killed: \(servers[i].name) is UP")
                    for v in victims { v.terminate() }
                }
            }
        }
    }

    private func failed(_ i: Int) {
        let rise = settings.rise
        let wasUp = health[i] >= rise
        if health[i] > 0 {
            health[i] -= 1
            if health[i] < rise { health[i] = 0 }
        }
        if wasUp && health[i] < rise {
            sim.record(host.name, .proxyServerDown, "Server backend/\(servers[i].name) is DOWN")
            if settings.shutdownSessions { shutDownSessions(of: i) }
        }
    }

    private func shutDownSessions(of i: Int) {
        let victims = sessions.filter { $0.server == i }
        guard !victims.isEmpty else { return }
        sim.record(host.name, .proxySessionsShutdown, "\(victims.count) session(s) of \(servers[i].name) killed")
        for s in victims { s.terminate() }
    }

    /// The balance algorithm: a non-backup server that is UP, else the first backup that is UP.
    private func pick(advance: Bool, avoiding: Int? = nil) -> Int? {
        let up = servers.indices.filter { !servers[$0].backup && health[$0] >= settings.rise && $0 != avoiding }
        if !up.isEmpty {
            switch settings.balance {
            case .first:
                return up[0]
            case .roundrobin:
                let k = nextRoundRobin % up.count
                if advance { nextRoundRobin = k + 1 }
                return up[k]
            }
        }
        return servers.indices.first { servers[$0].backup && health[$0] >= settings.rise && $0 != avoiding }
    }

    // MARK: - proxying

    public func accept(_ connection: Connection) -> ConnectionDelegate? {
        let session = Session(proxy: self, client: connection, server: pick(advance: true))
        sessions.append(session)
        session.begin()
        return session
    }

    fileprivate func ended(_ s: Session) { sessions.removeAll { $0 === s } }

    public func hostDidCrash() {
        generation += 1
        sessions.removeAll()
    }

    public func hostDidRestart() {
        // haproxy is enabled at boot: it starts again with every server "up, will fall at first failure".
        network.processStarted(process)
        health = [Int](repeating: settings.rise, count: servers.count)
        startChecks(uptimePhase: false)
    }

    /// One client connection and its connection to a server, relayed both ways.
    final class Session: ConnectionDelegate {
        // unowned(unsafe): read for every relayed message; a checked `unowned` costs a strong
        // retain and release per read (swift_unownedRetainStrong), on the slow path since the
        // proxy's check callbacks hold it weakly. The proxy outlives its sessions: both live
        // until Simulation.close, after which no message is delivered.
        unowned(unsafe) let proxy: L4Proxy
        let client: Connection
        private(set) var server: Int?
        private var backend: Connection?
        private var pending: [WireMessage] = []
        private var attemptsLeft: Int
        private var over = false

        init(proxy: L4Proxy, client: Connection, server: Int?) {
            self.proxy = proxy
            self.client = client
            self.server = server
            attemptsLeft = proxy.settings.retries
        }

        private var network: Network { proxy.network }

        func begin() {
            // No server UP: the connection is accepted, then closed at once. Deferred so
            // the client's handshake completes first.
            guard server != nil else {
                network.sim.after(0) { [weak self] in self?.terminate() }
                return
            }
            connect()
        }

        private func connect() {
            guard !over, let i = server else { return }
            let s = proxy.servers[i]
            network.connect(from: proxy.process, to: s.address, port: s.port, timeout: proxy.settings.timeoutConnect,
                            delegate: self) { [weak self] r in
                guard let self else { return }
                switch r {
                case .success(let c):
                    guard !self.over else { self.network.close(c, from: .client); return }
                    self.backend = c
                    for m in self.pending { self.network.send(m, on: c, from: .client) }
                    self.pending.removeAll()
                case .failure:
                    guard !self.over else { return }
                    guard self.attemptsLeft > 0 else { self.terminate(); return }
                    self.attemptsLeft -= 1
                    // option redispatch: the last retry goes to another server that is UP.
                    if self.attemptsLeft == 0, self.proxy.settings.redispatch,
                       let other = self.proxy.pick(advance: true, avoiding: i) {
                        self.server = other
                    }
                    let turnAround = min(self.proxy.settings.timeoutConnect, Time.s(1))
                    self.network.sim.after(turnAround) { [weak self] in self?.connect() }
                }
            }
        }

        /// Closes both sides.
        func terminate() {
            guard !over else { return }
            over = true
            network.close(client, from: .server)
            if let b = backend { network.close(b, from: .client) }
            proxy.ended(self)
        }

        func received(_ message: WireMessage, on connection: Connection) {
            guard !over else { return }
            if connection === client {
                if let b = backend { network.send(message, on: b, from: .client) } else { pending.append(message) }
            } else {
                network.send(message, on: client, from: .server)
            }
        }

        func closed(_ connection: Connection, reason: CloseReason) {
            terminate()
        }
    }

    /// The client end of a health check: mysql-check only connects; httpchk reads the status.
    final class CheckEnd: ConnectionDelegate {
        var onResponse: ((Int, Connection) -> Void)?
        var onClose: (() -> Void)?
        func received(_ message: WireMessage, on connection: Connection) {
            if let r = message as? HTTPCheckResponse { onResponse?(r.status, connection) }
        }
        func closed(_ connection: Connection, reason: CloseReason) { onClose?() }
    }
}
