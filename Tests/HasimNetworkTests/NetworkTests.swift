import Testing
import HasimKernel
@_spi(Oracle) @testable import HasimNetwork

/// Records what reaches one end of a connection.
final class Recorder: ConnectionDelegate, Listener {
    var received: [(SimTime, String)] = []
    var closedAt: SimTime?
    var closeReason: CloseReason?
    var accepted: [Connection] = []
    let sim: Simulation
    init(sim: Simulation) { self.sim = sim }
    func received(_ message: WireMessage, on connection: Connection) {
        received.append((sim.now, (message as? Text)?.text ?? "?"))
    }
    func closed(_ connection: Connection, reason: CloseReason) {
        closedAt = sim.now
        closeReason = reason
    }
    func accept(_ connection: Connection) -> ConnectionDelegate? {
        accepted.append(connection)
        return self
    }
}

struct Text: WireMessage { let text: String }

struct World {
    let sim = Simulation(seed: 1)
    let net: Network
    let a: Host, b: Host, c: Host
    let client: NetProcess, server: NetProcess
    let serverEnd: Recorder, clientEnd: Recorder

    init() {
        net = Network(sim: sim)
        net.sameSite = LinkSpec(latency: .constant(Time.ms(1)))
        a = net.addHost("a", site: "s1")
        b = net.addHost("b", site: "s1")
        c = net.addHost("c", site: "s1")
        client = net.spawn("client", on: a)
        server = net.spawn("server", on: b)
        serverEnd = Recorder(sim: sim)
        clientEnd = Recorder(sim: sim)
        net.listen(server, port: 1, serverEnd)
    }

    /// Connects the client to the server and returns the connection.
    func connect() -> Connection? {
        var conn: Connection?
        net.connect(from: client, to: "b", port: 1, timeout: Time.s(5), delegate: clientEnd) { r in
            if case .success(let c) = r { conn = c }
        }
        sim.run(until: sim.now + Time.ms(10))
        return conn
    }
}

@Suite struct NetworkTests {
    @Test func connectTakesOneRoundTripAndMessagesArriveInOrderWithLatency() throws {
        let w = World()
        let c = try #require(w.connect())
        #expect(w.serverEnd.accepted.count == 1)
        let t0 = w.sim.now
        w.net.send(Text(text: "one"), on: c, from: .client)
        w.net.send(Text(text: "two"), on: c, from: .client)
        w.sim.run(until: t0 + Time.ms(5))
        #expect(w.serverEnd.received.map(\.1) == ["one", "two"])
        #expect(w.serverEnd.received[0].0 == t0 + Time.ms(1))
    }

    @Test func partitionHoldsMessagesOnEstablishedConnectionsAndTimesOutNewConnects() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.partition([w.a.id], [w.b.id])
        #expect(w.net.send(Text(text: "held"), on: c, from: .client), "the sender is not told")
        w.sim.run(until: w.sim.now + Time.s(1))
        #expect(w.serverEnd.received.isEmpty)
        // Healing within the retransmission budget: the held segment goes at the next retransmission.
        w.net.heal([w.a.id], [w.b.id])
        w.net.send(Text(text: "after heal"), on: c, from: .client)
        w.sim.run(until: w.sim.now + Time.s(2))
        #expect(w.serverEnd.received.map(\.1) == ["held", "after heal"])
        #expect(c.isOpen)
        // A fresh connect works after the heal and times out during a partition.
        #expect(w.connect() != nil)
        w.net.partition([w.a.id], [w.b.id])
        var result: Result<Connection, ConnectError>?
        let start = w.sim.now
        w.net.connect(from: w.client, to: "b", port: 1, timeout: Time.s(3), delegate: w.clientEnd) { result = $0 }
        w.sim.run(until: start + Time.s(10))
        #expect(result.map { if case .failure(.timedOut) = $0 { return true } else { return false } } == true)
    }

    @Test func oneWayPartitionBlocksOnlyOneDirection() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.partition([w.b.id], [w.a.id], oneWay: true)  // b cannot send to a
        #expect(w.net.canReach(w.a.id, w.b.id))
        #expect(!w.net.canReach(w.b.id, w.a.id))
        w.net.send(Text(text: "a->b"), on: c, from: .client)
        w.sim.run(until: w.sim.now + Time.ms(5))
        #expect(w.serverEnd.received.map(\.1) == ["a->b"])
    }

    @Test func processCrashIsNoticedAtOnceButHostCrashOnlyByTimeout() throws {
        // mysqld dies, its host lives: the kernel resets the connection (one trip) and refuses connects.
        let w = World()
        _ = try #require(w.connect())
        let t0 = w.sim.now
        w.net.processDied(w.server)
        w.sim.run(until: t0 + Time.ms(5))
        #expect(w.clientEnd.closedAt == t0 + Time.ms(1))
        #expect(w.clientEnd.closeReason == .reset)
        var refused: Result<Connection, ConnectError>?
        w.net.connect(from: w.client, to: "b", port: 1, timeout: Time.s(5), delegate: w.clientEnd) { refused = $0 }
        w.sim.run(until: w.sim.now + Time.ms(10))
        #expect(refused.map { if case .failure(.refused) = $0 { return true } else { return false } } == true)

        // The host dies: nobody is told; a connect costs the whole timeout.
        let h = World()
        let c = try #require(h.connect())
        h.net.crashHost(h.b)
        #expect(h.net.send(Text(text: "into the void"), on: c, from: .client))
        h.sim.run(until: h.sim.now + Time.s(1))
        #expect(h.clientEnd.closedAt == nil)
        var timedOut: (Result<Connection, ConnectError>, SimTime)?
        let start = h.sim.now
        h.net.connect(from: h.client, to: "b", port: 1, timeout: Time.s(5), delegate: h.clientEnd) { timedOut = ($0, h.sim.now) }
        h.sim.run(until: start + Time.s(10))
        let (r, at) = try #require(timedOut)
        #expect(at == start + Time.s(5))
        #expect({ if case .failure(.timedOut) = r { return true } else { return false } }())
    }

    @Test func bytesInFlightFromADeadProcessAreDeliveredButNotFromADeadHost() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.send(Text(text: "last words"), on: c, from: .server)
        w.net.processDied(w.server)
        w.sim.run(until: w.sim.now + Time.ms(5))
        #expect(w.clientEnd.received.map(\.1) == ["last words"])

        let h = World()
        let c2 = try #require(h.connect())
        h.net.send(Text(text: "lost with the host"), on: c2, from: .server)
        h.net.crashHost(h.b)
        h.sim.run(until: h.sim.now + Time.ms(5))
        #expect(h.clientEnd.received.isEmpty)
    }

    @Test func latencySpikeAddsDelayAndEnds() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.addLatency([w.a.id], [w.b.id], Time.ms(50))
        let t0 = w.sim.now
        w.net.send(Text(text: "slow"), on: c, from: .client)
        w.sim.run(until: t0 + Time.ms(100))
        #expect(w.serverEnd.received.first?.0 == t0 + Time.ms(51))
        w.net.addLatency([w.a.id], [w.b.id], -Time.ms(50))
        let t1 = w.sim.now
        w.net.send(Text(text: "fast"), on: c, from: .client)
        w.sim.run(until: t1 + Time.ms(100))
        #expect(w.serverEnd.received.last?.0 == t1 + Time.ms(1))
    }

    @Test func packetLossDelaysSegmentsByRetransmissionsAndEnds() throws {
        let w = World()
        /// How many of `n` segments, sent 10 s apart on `c`, arrive in the link's 1 ms.
        func onTime(_ n: Int, _ c: Connection) -> Int {
            var count = 0
            for _ in 0..<n {
                let t0 = w.sim.now
                w.net.send(Text(text: "x"), on: c, from: .client)
                w.sim.run(until: t0 + Time.s(10))
                if w.serverEnd.received.contains(where: { $0.0 == t0 + Time.ms(1) }) { count += 1 }
            }
            return count
        }
        let c = try #require(w.connect())
        #expect(onTime(10, c) == 10)
        // Two faults on the link compound: a segment gets through with 0.5 x 0.5; the others wait
        // for TCP's retransmissions (and the segments behind them, in order).
        w.net.addLoss([w.a.id], [w.b.id], 0.5)
        w.net.addLoss([w.b.id], [w.a.id], 0.5)
        let lossy = onTime(40, c)
        #expect(lossy < 10, "a lost segment holds the ones behind it (in order): \(lossy) of 40 on time")
        // Ending one leaves the other; ending both restores the link, even from a rate of 1.
        w.net.removeLoss([w.a.id], [w.b.id], 0.5)
        w.net.addLoss([w.a.id], [w.b.id], 1)
        w.net.removeLoss([w.a.id], [w.b.id], 1)
        w.net.removeLoss([w.a.id], [w.b.id], 0.5)
        w.sim.run(until: w.sim.now + Time.s(600))  // what was held goes out
        #expect(onTime(10, try #require(w.connect())) == 10)
    }

    @Test func pingAnswersOnlyWhenHostIsUpAndReachable() {
        let w = World()
        var answers: [Bool] = []
        w.net.ping(from: w.client, to: "b", timeout: Time.ms(500)) { answers.append($0) }
        w.sim.run(until: w.sim.now + Time.s(1))
        w.net.processDied(w.server)  // the kernel still answers ICMP
        w.net.ping(from: w.client, to: "b", timeout: Time.ms(500)) { answers.append($0) }
        w.sim.run(until: w.sim.now + Time.s(1))
        w.net.crashHost(w.b)
        w.net.ping(from: w.client, to: "b", timeout: Time.ms(500)) { answers.append($0) }
        w.sim.run(until: w.sim.now + Time.s(1))
        #expect(answers == [true, true, false])
    }

    @Test func latencyModelsStayInTheirRanges() {
        var rng = SimRandom(seed: 9)
        let u = LatencyModel.uniform(min: Time.ms(1), max: Time.ms(3))
        let samples = (0..<2000).map { _ in u.sample(&rng) }
        #expect(samples.allSatisfy { $0 >= Time.ms(1) && $0 <= Time.ms(3) })
        #expect(samples.min()! < Time.ms(1) + Time.us(100) && samples.max()! > Time.ms(3) - Time.us(100))
        let ln = LatencyModel.logNormal(median: Time.ms(2), sigma: 0.5)
        let sorted = (0..<4001).map { _ in ln.sample(&rng) }.sorted()
        let median = sorted[2000]
        #expect(median > Time.us(1800) && median < Time.us(2200))
    }
}
