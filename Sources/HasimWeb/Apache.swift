import HasimKernel
import HasimNetwork
import HasimStrategies

extension TraceKind {
    public static let jkWorkerError = TraceKind("jk_worker_error")
    public static let jkWorkerRecover = TraceKind("jk_worker_recover")
    public static let jkWorkerOK = TraceKind("jk_worker_ok")
    public static let apacheStart = TraceKind("apache_start")
    public static let jkActivation = TraceKind("jk_activation")
}

/// Apache httpd (event MPM) on a host: `MaxRequestWorkers` requests at once, up to
/// `ListenBacklog` more waiting; static files served from its own disk, every other
/// request forwarded to a Tomcat by its balancer: mod_jk's `lb` worker over AJP13, or
/// mod_proxy_balancer over HTTP.
public final class Apache: Daemon, Listener, ConnectionDelegate {
    public static let port = 80

    let spec: ApacheSpec
    let users: UsersSpec
    /// The Tomcats' addresses, by route (worker order in worker.lb.balance_workers).
    let tomcats: [IPAddress]
    let tomcatNames: [String]
    var balancer: any RequestBalancer
    /// A fresh balancer: its state is in Apache's shared memory and dies with it.
    private let makeBalancer: () -> any RequestBalancer

    private struct Forward {
        var connection: Connection
        var request: HTTPRequest
        var tries = BalanceAttempt()
        var member = -1
        var ajpID: Int64 = 0
        /// Attempts already made on `member` by its AJP worker.
        var memberTry = 0
        /// The child process serving the user's connection: its pool (`idle`) is used.
        var child = 0
    }
    private var forwards: [Forward?] = []
    private var freeSlots: [Int] = []
    private var busy = 0
    private var backlog: [(Connection, HTTPRequest)] = []
    private var backlogHead = 0
    /// KeepAliveTimeout and MaxKeepAliveRequests (nil: connections live as long as the users').
    private var keepAlive: KeepAlivePolicy?
    /// Idle AJP connections per (child process, member): mod_jk's endpoint cache is a child's
    /// own (connection_pool_size = ThreadsPerChild), so each child holds its connections to
    /// every Tomcat; index child * members + member.
    private var idle: [[AJPLink]]
    private var nextAJP: Int64 = 0

    /// `proxy`: mod_proxy_balancer instead of mod_jk.
    public init(host: Host, network: Network, spec: ApacheSpec, jk: ModJKSpec, proxy: ModProxySpec? = nil, users: UsersSpec,
                tomcats: [(name: String, address: IPAddress)]) {
        self.spec = spec
        self.users = users
        self.tomcats = tomcats.map(\.address)
        let names = tomcats.map(\.name)
        tomcatNames = names
        makeBalancer = { () -> any RequestBalancer in
            if let proxy { return ProxyBalancer(names: names, spec: proxy) }
            return JKBalancer(names: names, spec: jk)
        }
        balancer = makeBalancer()
        idle = Array(repeating: [], count: tomcats.count * max(1, spec.processes))
        super.init(name: "httpd", host: host, network: network)
        if spec.keepAliveTimeout > 0 || spec.maxKeepAliveRequests > 0 { keepAlive = KeepAlivePolicy(apache: self) }
        boot()
    }

    private func boot() {
        network.listen(process, port: Self.port, self)
        // JkWatchdogInterval / worker.maintain: the pass that lets mod_jk's members in ERROR recover.
        if let period = balancer.maintenanceInterval { every(period) { [weak self] in self?.maintain() } }
    }

    public override func crashed() {
        forwards.removeAll()
        freeSlots.removeAll()
        busy = 0
        backlog.removeAll()
        backlogHead = 0
        idle = Array(repeating: [], count: idle.count)
        keepAlive?.connections.removeAll()
        // The balancer's shared memory is gone with the host: every member starts OK again.
        balancer = makeBalancer()
    }

    public override func booted() {
        sim.record(host.name, .apacheStart, "httpd started")
        boot()
    }

    /// An administrator sets a member's activation through this Apache's jkstatus worker
    /// (balancer-manager for mod_proxy: Drain mode for Disabled, Stopped for Stopped).
    public func setActivation(_ tomcat: String, _ a: JKBalancer.Activation) {
        guard isAlive, let i = tomcatNames.firstIndex(of: tomcat) else { return }
        balancer.setActivation(i, a)
        sim.record(host.name, .jkActivation, "\(balancer.moduleName): worker \(tomcat) activation \(a.rawValue)")
    }

    private func maintain() {
        maintainConnections()
        for i in balancer.maintain(at: sim.now) {
            sim.record(host.name, .jkWorkerRecover, "\(balancer.moduleName): worker \(tomcatNames[i]) \(balancer.recoveryWord)")
        }
    }

    // MARK: the users' side

    public func accept(_ connection: Connection) -> ConnectionDelegate? { self }

    public func received(_ message: WireMessage, on connection: Connection) {
        guard isAlive else { return }
        if message is HTTPCheckRequest {
            // A balancer's health check (GET of a static URL): answered by Apache itself.
            network.send(HTTPCheckResponse(status: 200), on: connection, from: .server)
            return
        }
        guard let r = message as? HTTPRequest else { return }
        if keepAlive != nil { keepAlive!.requestArrived(connection) }
        if busy < spec.maxRequestWorkers {
            serve(connection, r)
        } else if backlog.count - backlogHead < spec.listenBacklog {
            backlog.append((connection, r))
        } else {
            answer(connection, HTTPResponse(id: r.id, status: 503, cookie: r.cookie, bytes: 300, txid: 0))
        }
    }

    public func closed(_ connection: Connection, reason: CloseReason) { keepAlive?.forget(connection) }

    private func serve(_ c: Connection, _ r: HTTPRequest) {
        busy += 1
        if r.kind == .staticFile {
            let life = self.life
            after(spec.staticTime) { [weak self] in
                guard let self, self.life == life else { return }
                self.done(c, HTTPResponse(id: r.id, status: 200, cookie: r.cookie, bytes: Int32(self.users.staticBytes), txid: 0))
            }
            return
        }
        let slot: Int
        if let f = freeSlots.popLast() { slot = f } else { forwards.append(nil); slot = forwards.count - 1 }
        // Which child accepted the user's connection: the kernel hands connections to the
        // children in no order that matters; the connection's number spreads them evenly.
        forwards[slot] = Forward(connection: c, request: r, child: c.id % max(1, spec.processes))
        tryMember(slot)
    }

    private func done(_ c: Connection, _ response: HTTPResponse) {
        busy -= 1
        answer(c, response)
        if backlogHead < backlog.count {
            let (nc, nr) = backlog[backlogHead]
            backlogHead += 1
            if backlogHead > 256 && backlogHead * 2 > backlog.count { backlog.removeFirst(backlogHead); backlogHead = 0 }
            serve(nc, nr)
        }
    }

    private func answer(_ c: Connection, _ r: HTTPResponse) {
        network.send(r, on: c, from: .server)
        if keepAlive != nil, keepAlive!.answered(c) { network.close(c, from: .server) }
    }

    // MARK: the balancer

    /// Asks the balancer for the request's next member, then forwards it (over a pooled
    /// connection when one is idle), sleeps, or answers the user.
    private func tryMember(_ slot: Int) {
        guard var f = forwards[slot] else { return }
        let i: Int
        switch balancer.next(&f.tries, route: f.request.cookie.route, now: sim.now) {
        case .member(let m):
            i = m
        case .fail(let status):
            forwards[slot] = nil
            freeSlots.append(slot)
            done(f.connection, HTTPResponse(id: f.request.id, status: status, cookie: f.request.cookie, bytes: 300, txid: 0))
            return
        case .wait(let pause):
            forwards[slot] = f
            let life = self.life
            after(pause) { [weak self] in
                guard let self, self.life == life, self.forwards[slot] != nil else { return }
                self.tryMember(slot)
            }
            return
        }
        f.member = i
        f.memberTry = 0
        nextAJP += 1
        f.ajpID = nextAJP
        forwards[slot] = f
        usePooled(slot)
    }

    /// ajp_send_request (jk_ajp_common.c:1674-1800): a pooled connection first, checked with a
    /// CPing when the balancer checks before a request; one that fails it is closed and the
    /// next is tried; none left, a new connection.
    private func usePooled(_ slot: Int) {
        guard let f = forwards[slot] else { return }
        let i = f.member, pool = f.child * tomcats.count + i
        guard let link = idle[pool].popLast() else { connectNew(slot); return }
        let t = checkBefore(f.request)
        guard t > 0 else { send(slot, on: link); return }
        let ajpID = f.ajpID
        ping(link, timeout: t) { [weak self] ok in
            guard let self else { return }
            guard self.forwards[slot]?.ajpID == ajpID else { if ok { self.idle[pool].append(link) }; return }
            if ok { self.send(slot, on: link) } else { self.usePooled(slot) }
        }
    }

    /// The check before this request (0: none): mod_jk's prepost CPing for every request,
    /// mod_proxy_http's 100-continue for a request with a body.
    private func checkBefore(_ r: HTTPRequest) -> SimTime {
        let p = balancer.probes
        return p.bodyOnly && r.kind != .write ? 0 : p.beforeRequest
    }

    /// A new connection to the request's member, checked with a CPing after the connect
    /// (ping_mode C), or before the request (P) when C is not set; a failed check is a failure
    /// of the member before the request went out.
    private func connectNew(_ slot: Int) {
        guard let f = forwards[slot] else { return }
        let i = f.member
        let link = AJPLink(apache: self, member: i, pool: f.child * tomcats.count + i)
        let ajpID = f.ajpID
        network.connect(from: process, to: tomcats[i], port: balancer.port, timeout: balancer.connectTimeout, delegate: link,
                        completion: inThisLife { [weak self] (result: Result<Connection, ConnectError>) in
            guard let self else { return }
            switch result {
            case .success(let c):
                link.connection = c
                link.lastUsed = self.sim.now
                guard self.forwards[slot]?.ajpID == ajpID else { self.idle[link.pool].append(link); return }
                let p = self.balancer.probes
                let t = p.afterConnect > 0 ? p.afterConnect : self.checkBefore(f.request)
                guard t > 0 else { self.send(slot, on: link); return }
                self.ping(link, timeout: t) { [weak self] ok in
                    guard let self else { return }
                    guard self.forwards[slot]?.ajpID == ajpID else { if ok { self.idle[link.pool].append(link) }; return }
                    if ok { self.send(slot, on: link) } else { self.memberFailed(slot, .ping) }
                }
            case .failure:
                if self.forwards[slot]?.ajpID == ajpID { self.memberFailed(slot, .connect) }
            }
        })
    }

    /// ajp_handle_cping_cpong: a CPing (or a 100-continue) on the connection; `done(true)` when
    /// the answer comes within `timeout`, else the connection is closed and `done(false)`.
    private func ping(_ link: AJPLink, timeout: SimTime, _ done: @escaping (Bool) -> Void) {
        let done = inThisLife(done)
        guard let c = link.connection, network.send(BackendPing(), on: c, from: .client) else {
            link.connection = nil
            done(false)
            return
        }
        link.pingSeq &+= 1
        let seq = link.pingSeq
        link.pinging = done
        after(timeout) { [weak self, weak link] in
            guard let self, let link, link.pingSeq == seq, let pending = link.pinging else { return }
            link.pinging = nil
            if let c = link.connection { self.network.close(c, from: .client) }
            link.connection = nil
            pending(false)
        }
    }

    /// ajp_maintain at the maintenance pass: idle connections older than
    /// connection_pool_timeout are closed; those idle longer than connection_ping_interval
    /// are CPing'd, and closed if no CPong comes within ping_timeout.
    private func maintainConnections() {
        let p = balancer.probes
        guard p.poolTimeout > 0 || p.idleInterval > 0 else { return }
        let now = sim.now
        for i in idle.indices {
            var keep: [AJPLink] = []
            for link in idle[i] {
                let idleFor = now - link.lastUsed
                if p.poolTimeout > 0 && idleFor > p.poolTimeout {
                    if let c = link.connection { network.close(c, from: .client) }
                    link.connection = nil
                } else if p.idleInterval > 0 && idleFor > p.idleInterval {
                    ping(link, timeout: p.idleTimeout) { [weak self] ok in
                        guard let self, ok else { return }
                        link.lastUsed = self.sim.now
                        self.idle[i].append(link)
                    }
                } else {
                    keep.append(link)
                }
            }
            idle[i] = keep
        }
    }

    private func send(_ slot: Int, on link: AJPLink) {
        guard let f = forwards[slot], let c = link.connection else { return }
        link.busy = f.ajpID
        link.slot = slot
        var r = f.request
        r.id = f.ajpID
        guard network.send(r, on: c, from: .client) else {
            link.connection = nil
            link.busy = 0
            memberFailed(slot, .connect)
            return
        }
        if balancer.replyTimeout > 0 {
            let ajpID = f.ajpID
            after(balancer.replyTimeout) { [weak self, weak link] in
                guard let self, let link, link.busy == ajpID else { return }
                if let c = link.connection { self.network.close(c, from: .client) }
                link.connection = nil
                link.busy = 0
                self.memberFailed(slot, .replyTimeout)
            }
        }
    }

    fileprivate func linkAnswered(_ link: AJPLink, _ response: HTTPResponse) {
        guard response.id == link.busy, let f = forwards[link.slot], f.ajpID == response.id else { return }
        let slot = link.slot
        link.busy = 0
        link.lastUsed = sim.now
        idle[link.pool].append(link)
        switch balancer.answered(f.member, status: response.status, now: sim.now) {
        case .backToOK?: sim.record(host.name, .jkWorkerOK, "\(balancer.moduleName): worker \(tomcatNames[f.member]) OK again")
        case .inError?:
            sim.record(host.name, .jkWorkerError,
                       "\(balancer.moduleName): worker \(tomcatNames[f.member]) \(balancer.errorWord) (status \(response.status))")
        case nil: break
        }
        forwards[slot] = nil
        freeSlots.append(slot)
        var r = response
        r.id = f.request.id
        done(f.connection, r)
    }

    fileprivate func linkClosed(_ link: AJPLink) {
        link.connection = nil
        idle[link.pool].removeAll { $0 === link }
        if let pending = link.pinging {
            link.pinging = nil
            pending(false)
            return
        }
        guard link.busy != 0, let f = forwards[link.slot], f.ajpID == link.busy else { return }
        link.busy = 0
        memberFailed(link.slot, .afterSend)
    }

    /// The exchange with a member failed: the balancer says whether the member is in error
    /// now and whether the request goes to another member or ends with a status.
    private func memberFailed(_ slot: Int, _ how: MemberFailure) {
        guard var f = forwards[slot] else { return }
        let i = f.member
        let recoverable = balancer.recoverable(how, f.request.kind)
        if recoverable && f.memberTry + 1 < balancer.memberAttempts {
            // jk_ajp_common.c ajp_service: the AJP worker tries its own Tomcat `retries` times,
            // retry_interval apart, on another pooled connection or a new one, before its lb
            // worker sees the failure. A silent host costs reply_timeout and then a connect
            // timeout (13.2 s in the real run, validation/results/web-tomcat-death.json), a
            // stopped JVM two reply timeouts (20.3 s, web-tomcat-pause.json).
            f.memberTry += 1
            nextAJP += 1
            f.ajpID = nextAJP
            forwards[slot] = f
            let life = self.life, id = f.ajpID
            after(balancer.memberRetryInterval) { [weak self] in
                guard let self, self.life == life, self.forwards[slot]?.ajpID == id else { return }
                self.usePooled(slot)
            }
            return
        }
        var (newlyInError, answer) = balancer.failed(i, how, &f.tries, now: sim.now)
        if !recoverable && answer == nil {
            // recovery_options: Tomcat had the request, so it is not sent again: 504 after a
            // reply timeout (JK_HTTP_GATEWAY_TIME_OUT), 502 when the connection broke.
            answer = how == .replyTimeout ? 504 : 502
        }
        if newlyInError {
            sim.record(host.name, .jkWorkerError, "\(balancer.moduleName): worker \(tomcatNames[i]) \(balancer.errorWord)")
        }
        if answer == nil {
            // Pooled connections to a member in error are dropped with it.
            // (This child's: another child's sockets stay until it meets them.)
            let pool = f.child * tomcats.count + i
            for l in idle[pool] { if let c = l.connection { network.close(c, from: .client) } }
            idle[pool].removeAll()
        }
        if let status = answer {
            forwards[slot] = nil
            freeSlots.append(slot)
            done(f.connection, HTTPResponse(id: f.request.id, status: status, cookie: f.request.cookie, bytes: 300, txid: 0))
            return
        }
        forwards[slot] = f
        tryMember(slot)
    }
}

/// One connection of the balancer to a Tomcat (AJP13 for mod_jk, HTTP for mod_proxy): one
/// request at a time.
final class AJPLink: ConnectionDelegate {
    unowned let apache: Apache
    let member: Int
    /// Its child's pool for `member` (Apache.idle's index).
    let pool: Int
    var connection: Connection?
    /// The AJP request in flight (0: idle) and its forward slot.
    var busy: Int64 = 0
    var slot = 0
    init(apache: Apache, member: Int, pool: Int) { self.apache = apache; self.member = member; self.pool = pool }
    /// A CPing waiting for its CPong (nil: none) and its number.
    var pinging: ((Bool) -> Void)?
    var pingSeq = 0
    /// last_access: when the connection last went back to the pool.
    var lastUsed: SimTime = 0
    func received(_ message: WireMessage, on connection: Connection) {
        if let r = message as? HTTPResponse { apache.linkAnswered(self, r) }
        if message is BackendPong, let pending = pinging {
            pinging = nil
            pending(true)
        }
    }
    func closed(_ connection: Connection, reason: CloseReason) { apache.linkClosed(self) }
}
