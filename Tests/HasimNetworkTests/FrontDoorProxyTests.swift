import Testing
import HasimKernel
@_spi(Oracle) @testable import HasimNetwork

/// A backend that answers every message with "<host>:<text>".
final class Echo: Listener, ConnectionDelegate {
    let net: Network
    let name: String
    init(net: Network, name: String) { self.net = net; self.name = name }
    func accept(_ connection: Connection) -> ConnectionDelegate? { self }
    func received(_ message: WireMessage, on connection: Connection) {
        net.send(Text(text: "\(name):\((message as? Text)?.text ?? "?")"), on: connection, from: .server)
    }
    func closed(_ connection: Connection, reason: CloseReason) {}
}

struct ProxyWorld {
    let sim = Simulation(seed: 5)
    let net: Network
    let lb: Host, app: Host
    var dbs: [Host] = []
    var mysqld: [NetProcess] = []
    var echoes: [Echo] = []
    let proxy: L4Proxy

    init(servers: [(String, Bool)] = [("db1", false), ("db2", true)], configure: (inout ProxySettings) -> Void = { _ in }) {
        net = Network(sim: sim)
        net.sameSite = LinkSpec(latency: .constant(Time.ms(1)))
        lb = net.addHost("lb", site: "s1")
        app = net.addHost("app", site: "s1")
        for (name, _) in servers {
            let h = net.addHost(name, site: "s1")
            let p = net.spawn("mysqld", on: h)
            let e = Echo(net: net, name: name)
            net.listen(p, port: 3306, e)
            dbs.append(h)
            mysqld.append(p)
            echoes.append(e)
        }
        var s = ProxySettings()
        s.balance = .first
        configure(&s)
        proxy = L4Proxy(host: lb, network: net, servers: servers.map { ProxyServer(name: $0.0, address: IPAddress($0.0), backup: $0.1) }, settings: s)
        proxy.start()
    }

    func run(until t: SimTime) { sim.run(until: t) }

    /// A client connection through the proxy; `replies` collects what comes back.
    func client() -> (Connection?, Recorder) {
        let end = Recorder(sim: sim)
        var conn: Connection?
        net.connect(from: net.spawn("client", on: app), to: "lb", port: 3306, timeout: Time.s(5), delegate: end) {
            if case .success(let c) = $0 { conn = c }
        }
        sim.run(until: sim.now + Time.ms(10))
        return (conn, end)
    }

    func ask(_ text: String, on c: Connection, _ end: Recorder) -> String? {
        let before = end.received.count
        net.send(Text(text: text), on: c, from: .client)
        sim.run(until: sim.now + Time.ms(20))
        return end.received.count > before ? end.received.last?.1 : nil
    }

    func restartMySQL(_ i: Int) {
        net.processStarted(mysqld[i])
        net.listen(mysqld[i], port: 3306, echoes[i])
    }

    func firstTrace(_ kind: TraceKind, after t: SimTime) -> SimTime? {
        sim.trace.records(of: kind).first { $0.time >= t }?.time
    }
}

@Suite struct FrontDoorProxyTests {
    @Test func aRefusedServerIsMarkedDownAfterFallChecksAndUpAfterRise() throws {
        let w = ProxyWorld()
        w.run(until: Time.s(10))
        #expect(w.proxy.isUp("db1"))
        w.net.processDied(w.mysqld[0])          // mysqld dies: every check is refused at once
        w.run(until: Time.s(30))
        let down = try #require(w.firstTrace(.proxyServerDown, after: Time.s(10))) - Time.s(10)
        // 3 failed checks, `inter` 2 s apart; the first comes 0-2 s after the crash.
        #expect(down >= Time.s(4) && down <= Time.s(6) + Time.ms(10), "DOWN after \(Time.format(down))")
        #expect(!w.proxy.isUp("db1"))
        w.restartMySQL(0)
        w.run(until: Time.s(45))
        let up = try #require(w.firstTrace(.proxyServerUp, after: Time.s(30))) - Time.s(30)
        #expect(up >= Time.s(2) && up <= Time.s(4) + Time.ms(10), "UP after \(Time.format(up))")
    }

    @Test func fallOneMarksDownAtTheFirstFailureAndRiseCountsGoodChecks() throws {
        func downAndUp(fall: Int, rise: Int) throws -> (SimTime, SimTime) {
            let w = ProxyWorld { $0.fall = fall; $0.rise = rise }
            w.run(until: Time.s(10))
            w.net.processDied(w.mysqld[0])
            w.run(until: Time.s(30))
            w.restartMySQL(0)
            w.run(until: Time.s(60))
            return (try #require(w.firstTrace(.proxyServerDown, after: Time.s(10))) - Time.s(10),
                    try #require(w.firstTrace(.proxyServerUp, after: Time.s(30))) - Time.s(30))
        }
        let (down3, up2) = try downAndUp(fall: 3, rise: 2)
        let (down1, up1) = try downAndUp(fall: 1, rise: 1)
        let (_, up5) = try downAndUp(fall: 3, rise: 5)
        #expect(down1 <= Time.s(2) + Time.ms(10))
        #expect(down3 >= down1 + Time.s(4) - Time.ms(10))
        #expect(up1 <= Time.s(2) + Time.ms(10))
        #expect(up2 >= up1 + Time.s(2) - Time.ms(10) && up5 >= up2 + Time.s(6) - Time.ms(10))
    }

    @Test func aDeadHostCostsTheCheckTimeoutOnEveryCheck() throws {
        let w = ProxyWorld()
        w.run(until: Time.s(10))
        w.net.crashHost(w.dbs[0])
        w.run(until: Time.s(30))
        let down = try #require(w.firstTrace(.proxyServerDown, after: Time.s(10))) - Time.s(10)
        // Each failed check waits out `inter` (no `timeout check`), then `inter` to the next.
        #expect(down >= Time.s(10) && down <= Time.s(12) + Time.ms(10), "DOWN after \(Time.format(down))")
    }

    @Test func newConnectionsGoToTheBackupWhenThePrimaryIsDown() throws {
        let w = ProxyWorld()
        w.run(until: Time.s(5))
        let (c1, e1) = w.client()
        #expect(w.ask("hi", on: try #require(c1), e1) == "db1:hi")
        w.net.crashHost(w.dbs[0])
        w.run(until: Time.s(20))
        #expect(!w.proxy.isUp("db1") && w.proxy.isUp("db2"))
        #expect(w.proxy.currentTarget?.name == "db2")
        let (c2, e2) = w.client()
        #expect(w.ask("again", on: try #require(c2), e2) == "db2:again")
    }

    @Test func roundRobinAlternatesOverTheNonBackupServers() throws {
        let w = ProxyWorld(servers: [("db1", false), ("db2", false), ("db3", true)]) { $0.balance = .roundrobin }
        w.run(until: Time.s(5))
        var answers: [String] = []
        for i in 0..<4 {
            let (c, e) = w.client()
            answers.append(w.ask("q\(i)", on: try #require(c), e) ?? "-")
        }
        #expect(answers == ["db1:q0", "db2:q1", "db1:q2", "db2:q3"])
    }

    @Test func shutdownSessionsCutsEstablishedSessionsWhenTheServerGoesDown() throws {
        for shutdown in [false, true] {
            let w = ProxyWorld { $0.shutdownSessions = shutdown }
            w.run(until: Time.s(5))
            let (c, e) = w.client()
            #expect(w.ask("hi", on: try #require(c), e) == "db1:hi")
            w.net.crashHost(w.dbs[0])
            w.run(until: Time.s(30))
            let down = try #require(w.firstTrace(.proxyServerDown, after: Time.s(5)))
            if shutdown {
                #expect(e.closeReason == .closedByPeer)
                #expect(e.closedAt == down + Time.ms(1), "cut when marked DOWN")
                #expect(w.sim.trace.records(of: .proxySessionsShutdown).count == 1)
            } else {
                #expect(e.closedAt == nil, "the session stays on the dead server")
                #expect(w.proxy.sessionCount == 1)
            }
        }
    }

    @Test func withNoServerUpTheConnectionIsAcceptedThenClosed() throws {
        let w = ProxyWorld()
        w.net.processDied(w.mysqld[0])
        w.net.processDied(w.mysqld[1])
        w.run(until: Time.s(5))  // "up, but will fall down at first failure"
        #expect(!w.proxy.isUp("db1") && !w.proxy.isUp("db2"))
        let (c, e) = w.client()
        #expect(c != nil, "the proxy itself accepts")
        #expect(e.closeReason == .closedByPeer)
    }

    @Test func aServerThatStopsAnsweringCostsRetriesBeforeTheClientIsClosed() throws {
        // Checks rarely enough that db1 stays UP: every connection is sent to it.
        let w = ProxyWorld { $0.inter = Time.s(120) }
        w.run(until: Time.s(1))
        w.net.crashHost(w.dbs[0])
        let (c, e) = w.client()
        let t0 = w.sim.now - Time.ms(10)
        #expect(c != nil)
        w.run(until: Time.s(40))
        // 1 + 3 retries of `timeout connect` 5 s, 1 s turn-around between them, then FIN (1 ms).
        let closed = try #require(e.closedAt)
        #expect(closed - t0 >= Time.s(23) && closed - t0 <= Time.s(23) + Time.ms(5), "closed after \(Time.format(closed - t0))")
    }
}
