import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimWorkload
import HasimStrategies

extension TraceKind {
    public static let tomcatStart = TraceKind("tomcat_start")
    public static let sessionReplicaLost = TraceKind("cluster_member_dropped")
}

/// Tomcat: a JVM on a host with an HTTP connector (8080) and an AJP connector (8009),
/// `maxThreads` request threads and `acceptCount` requests waiting beyond them, sessions
/// in its memory, and a JDBC pool: the application client (HasimWorkload) that every
/// dynamic page's statement goes through, with the driver's timeouts and retries.
public final class Tomcat: Daemon, Listener, ConnectionDelegate, PoolRequester {
    public static let httpPort = 8080
    public static let ajpPort = 8009
    /// Tribes' replication receiver (NioReceiver port 4000).
    public static let clusterPort = 4000

    /// The jvmRoute: this Tomcat's index among the scenario's Tomcats.
    public let route: Int32
    public let pool: ApplicationClient
    let spec: TomcatSpec
    let users: UsersSpec
    /// The session cluster (nil: StandardManager, sessions in this JVM only).
    var cluster: SessionCluster?

    /// Sessions this JVM holds as primary (DeltaManager: every member's), by id: last access.
    var sessions: [Int64: SimTime] = [:]
    /// BackupManager: sessions this member backs up for another.
    var backups: [Int64: SimTime] = [:]
    private var nextSession: Int64 = 0

    private struct Work {
        var request: HTTPRequest
        var connection: Connection
        var cookie: SessionCookie
        var sessionChanged: Bool
    }
    /// Requests on a thread, by slot (the JDBC pool's token).
    private var serving: [Work?] = []
    private var freeSlots: [Int] = []
    private var busy = 0
    /// Requests waiting for a thread (acceptCount), FIFO.
    private var queue: [Work] = []
    private var queueHead = 0

    public init(route: Int, host: Host, network: Network, spec: TomcatSpec, users: UsersSpec, pool: ApplicationClient) {
        self.route = Int32(route)
        self.spec = spec
        self.users = users
        self.pool = pool
        super.init(name: "tomcat", host: host, network: network)
        pool.requester = self
        adopt(pool.process)
        listenAll()
    }

    private func listenAll() {
        network.listen(process, port: Self.httpPort, self)
        network.listen(process, port: Self.ajpPort, self)
        cluster?.started()
    }

    public override func crashed() {
        // The JVM's heap is gone: sessions, queued requests, the pool's connections.
        sessions.removeAll()
        backups.removeAll()
        serving.removeAll()
        freeSlots.removeAll()
        busy = 0
        queue.removeAll()
        queueHead = 0
        pool.processDied()
        cluster?.crashed()
    }

    public override func booted() {
        sim.record(host.name, .tomcatStart, "Tomcat started (jvmRoute \(route))")
        listenAll()
    }

    /// kill -STOP of the JVM (a hung Tomcat: a long GC, a frozen VM): its threads, its JDBC
    /// pool and its cluster heartbeats stop; the kernel still accepts connections (neither
    /// AJP nor HTTP has the server speak first) and queues what arrives.
    public func pause() {
        network.pauseProcess(process, as: host.name)
        network.pauseProcess(pool.process, as: host.name)
    }

    /// kill -CONT: everything queued is served in order.
    public func resume() {
        network.resumeProcess(process, as: host.name)
        network.resumeProcess(pool.process, as: host.name)
    }

    // MARK: connector

    /// AJP and HTTP: the client speaks first, so a stopped JVM's kernel completes connects.
    public var speaksFirst: Bool { false }
    /// Tomcat passes acceptCount (100) to bind() as the listen backlog.
    public var acceptBacklog: Int { spec.acceptCount }

    public func accept(_ connection: Connection) -> ConnectionDelegate? {
        connection.port == Self.clusterPort ? cluster : self
    }

    public func received(_ message: WireMessage, on connection: Connection) {
        guard isAlive else { return }
        if message is BackendPing {
            // CPing (AJP13 type 10) answered with CPong by the connector, or the 100 Continue
            // of a request that expects it.
            network.send(BackendPong(), on: connection, from: .server)
            return
        }
        guard let r = message as? HTTPRequest else { return }
        let work = Work(request: r, connection: connection, cookie: r.cookie, sessionChanged: false)
        if busy < spec.maxThreads {
            start(work)
        } else if queue.count - queueHead < spec.acceptCount {
            queue.append(work)
        } else {
            // Neither a thread nor room in the accept queue: refused at once.
            reply(work, status: 503, txid: 0)
        }
    }

    public func closed(_ connection: Connection, reason: CloseReason) {}

    private func start(_ w: Work) {
        var work = w
        busy += 1
        let slot: Int
        if let f = freeSlots.popLast() { slot = f } else { serving.append(nil); slot = serving.count - 1 }
        openSession(&work)
        serving[slot] = work
        let life = self.life
        // The servlet's own CPU time, then its statement through the JDBC pool.
        after(spec.servletTime) { [weak self] in
            guard let self, self.life == life, let w = self.serving[slot] else { return }
            switch w.request.kind {
            case .staticFile: self.finish(slot, status: 200, txid: 0)
            case .read: self.pool.submit(.selectLatest(table: .orders), isProbe: false, token: Int64(slot))
            case .write:
                self.serving[slot]!.sessionChanged = true
                self.pool.submit(.insert(table: .orders, txid: 0), isProbe: false, token: Int64(slot))
            }
        }
    }

    public func statementFinished(token: Int64, ok: Bool, txid: Int64, code: Int) {
        finish(Int(token), status: ok ? 200 : 500, txid: txid)
    }

    private func finish(_ slot: Int, status: Int16, txid: Int64) {
        guard slot < serving.count, let w = serving[slot] else { return }
        let done = { [weak self] in
            guard let self else { return }
            self.serving[slot] = nil
            self.freeSlots.append(slot)
            self.busy -= 1
            self.reply(w, status: status, txid: txid)
            self.nextFromQueue()
        }
        // A changed session is replicated at the end of the request (ReplicationValve).
        if w.sessionChanged, let cluster {
            cluster.replicate(w.cookie.id, then: done)
        } else {
            done()
        }
    }

    private func nextFromQueue() {
        guard busy < spec.maxThreads, queueHead < queue.count else { return }
        let w = queue[queueHead]
        queueHead += 1
        if queueHead > 256 && queueHead * 2 > queue.count { queue.removeFirst(queueHead); queueHead = 0 }
        start(w)
    }

    private func reply(_ w: Work, status: Int16, txid: Int64) {
        let bytes = w.request.kind == .staticFile ? users.staticBytes : users.pageBytes
        let r = HTTPResponse(id: w.request.id, status: status, cookie: w.cookie, bytes: Int32(status == 200 ? bytes : 300),
                             txid: txid)
        network.send(r, on: w.connection, from: .server)
    }

    // MARK: sessions

    /// Finds the request's session, or creates one (a new JSESSIONID.jvmRoute): a cookie
    /// this JVM does not know (its Tomcat died, the session expired) logs the user out.
    private func openSession(_ w: inout Work) {
        let id = w.cookie.id
        if id != 0 {
            if let last = sessions[id], sim.now - last <= spec.sessionTimeout {
                sessions[id] = sim.now
                if w.cookie.route != route {
                    // A replica of another member's session (DeltaManager): the cluster
                    // how-to's JvmRouteBinderValve rewrites the cookie's jvmRoute, so mod_jk
                    // sticks the user to this member from now on.
                    w.cookie.route = route
                    w.sessionChanged = true
                }
                return
            }
            if let last = backups.removeValue(forKey: id), sim.now - last <= spec.sessionTimeout {
                // BackupManager: this member held the backup; it becomes the primary.
                sessions[id] = sim.now
                w.cookie.route = route
                w.sessionChanged = true
                return
            }
        }
        nextSession += 1
        let newID = Int64(route + 1) << 40 | nextSession
        sessions[newID] = sim.now
        w.cookie = SessionCookie(id: newID, route: route)
        w.sessionChanged = true
    }
}
