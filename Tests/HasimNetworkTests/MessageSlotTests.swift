import Testing
import HasimKernel
@_spi(Oracle) @testable import HasimNetwork

/// A data segment's message lives in the network's slot table from the send until the segment
/// is delivered or dropped (issue 15: packets copy without reference counting). Every way a
/// segment ends must free its slot, or a run's table grows with each lost segment.
@Suite struct MessageSlotTests {
    @Test func deliveredMessagesFreeTheirSlots() throws {
        let w = World()
        let c = try #require(w.connect())
        for i in 0..<5 { w.net.send(Text(text: "m\(i)"), on: c, from: .client) }
        #expect(w.net.liveMessages == 5, "in flight")
        w.sim.run(until: w.sim.now + Time.ms(5))
        #expect(w.serverEnd.received.count == 5)
        #expect(w.net.liveMessages == 0)
        // Slots are reused: five more messages take no new slot.
        let slots = w.net.messages.count
        for i in 0..<5 { w.net.send(Text(text: "n\(i)"), on: c, from: .server) }
        w.sim.run(until: w.sim.now + Time.ms(5))
        #expect(w.clientEnd.received.count == 5)
        #expect(w.net.messages.count == slots)
        #expect(w.net.liveMessages == 0)
    }

    @Test func heldSegmentsKeepTheirMessageUntilTheBudgetIsSpent() throws {
        let w = World()
        w.net.tcpRetries2 = 5  // 12.6 s of retransmissions
        let c = try #require(w.connect())
        w.net.partition([w.a.id], [w.b.id])
        w.net.send(Text(text: "held"), on: c, from: .client)
        w.sim.run(until: w.sim.now + Time.s(5))
        #expect(w.net.liveMessages == 1, "held for retransmission: still needed")
        w.sim.run(until: w.sim.now + Time.s(20))
        #expect(w.clientEnd.closeReason == .timedOut)
        #expect(w.net.liveMessages == 0, "the kernel gave up: the segment is gone")
    }

    @Test func segmentsOfACrashedSenderOrToADeadReceiverAreDropped() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.send(Text(text: "lost"), on: c, from: .client)
        w.net.crashHost(w.a)  // in flight from a host that died: gone
        w.sim.run(until: w.sim.now + Time.ms(5))
        #expect(w.serverEnd.received.isEmpty)
        #expect(w.net.liveMessages == 0)

        let v = World()
        let d = try #require(v.connect())
        v.net.crashHost(v.b)
        v.net.send(Text(text: "to the dead"), on: d, from: .client)
        v.sim.run(until: v.sim.now + Time.s(2))
        #expect(v.net.liveMessages == 1, "TCP holds it for retransmission while the peer is down")
        v.net.processDied(v.client)
        v.sim.run(until: v.sim.now + Time.s(2))
        #expect(v.net.liveMessages == 0, "the sender's process died: its socket's queue with it")
    }

    /// The in-flight record holds its connection by a hand-made reference (the record is trivial,
    /// session 14): a segment still in flight when the run closes must let go of it, or every
    /// connection with a segment in flight at the end of a run would outlive the run.
    @Test func aSegmentInFlightAtCloseReleasesItsConnection() throws {
        weak var inFlight: Connection?
        weak var delivered: Connection?
        do {
            let w = World()
            let c = try #require(w.connect())
            inFlight = c
            w.net.send(Text(text: "still travelling"), on: c, from: .client)
            w.sim.close()
        }
        // A Bool, not the object: a leaked connection's description would read its freed ends.
        let inFlightFreed = inFlight == nil
        #expect(inFlightFreed, "a connection whose segment was in flight at close is still alive")
        do {
            let w = World()
            let c = try #require(w.connect())
            delivered = c
            w.net.send(Text(text: "arrives"), on: c, from: .client)
            w.sim.run(until: w.sim.now + Time.ms(5))
            #expect(w.serverEnd.received.map(\.1) == ["arrives"])
            w.sim.close()
        }
        let deliveredFreed = delivered == nil
        #expect(deliveredFreed, "a connection whose segment was delivered is still alive")
    }

    /// A client far away (5 ms each way) and one near (1 ms) of a server that accepts everything
    /// and keeps nothing: the connections are held only by the network (and the test).
    final class Lifetimes {
        final class Sink: ConnectionDelegate, Listener {
            func received(_ message: WireMessage, on connection: Connection) {}
            func closed(_ connection: Connection, reason: CloseReason) {}
            func accept(_ connection: Connection) -> ConnectionDelegate? { self }
        }
        let sim = Simulation(seed: 1)
        let net: Network
        let far: Host, server: Host
        let sink = Sink()
        let farProcess: NetProcess, nearProcess: NetProcess

        init() {
            net = Network(sim: sim)
            net.sameSite = LinkSpec(latency: .constant(Time.ms(1)))
            net.crossSite = LinkSpec(latency: .constant(Time.ms(5)))
            let near = net.addHost("a", site: "s1")
            server = net.addHost("b", site: "s1")
            far = net.addHost("d", site: "s2")
            net.listen(net.spawn("server", on: server), port: 1, sink)
            farProcess = net.spawn("far", on: far)
            nearProcess = net.spawn("near", on: near)
        }

        /// Opens `n` connections from the near client: their SYNs reach the server in 1 ms, and
        /// every 64th opened connection or so compacts the network's list.
        func connectNear(_ n: Int) {
            for _ in 0..<n { net.connect(from: nearProcess, to: "b", port: 1, timeout: Time.s(5), delegate: sink) { _ in } }
        }

        /// A connection from the far client, open.
        func connectFar() -> Connection? {
            var conn: Connection?
            net.connect(from: farProcess, to: "b", port: 1, timeout: Time.s(5), delegate: sink) { conn = try? $0.get() }
            run(Time.ms(20))
            return conn
        }

        func run(_ span: SimTime) { sim.run(until: sim.now + span) }
    }

    /// An in-flight record names its connection unretained: the network keeps a connection
    /// (`connectionsOpened`, then `landing`) while any segment of it travels, even once both ends closed it and
    /// nothing else holds it, and lets it go when the last one is handled (when the record's
    /// own reference used to: its retransmission timer holds it weakly, so its life shows).
    @Test func aClosedConnectionLivesWhileItsSegmentsTravel() throws {
        let w = Lifetimes()
        weak var travelling: Connection?
        do {
            let c = try #require(w.connectFar())
            travelling = c
            // Five milliseconds each way: a data segment and both FINs in flight, both ends closed.
            w.net.send(Text(text: "last words"), on: c, from: .client)
            w.net.close(c, from: .client)
            w.net.close(c, from: .server)
            #expect(c.isReleased && c.segmentsInFlight == 3)
        }
        w.connectNear(70)  // the list is compacted while the segments travel
        w.run(Time.ms(2))
        let keptWhileTravelling = travelling != nil
        #expect(keptWhileTravelling, "freed while its segments were in flight")
        w.run(Time.ms(10))
        #expect(w.net.liveMessages == 0)
        let freedAfter = travelling == nil
        #expect(freedAfter, "kept after its last segment was handled")
        w.sim.close()
    }

    /// A connection that left the list (released, nothing in flight) and sends again (its
    /// kernel's RST, a retransmission) is kept (`landing`) while that segment travels, and let
    /// go when it is handled.
    @Test func aConnectionThatSendsAfterLeavingTheListIsKeptAgain() throws {
        let w = Lifetimes()
        weak var resent: Connection?
        do {
            let c = try #require(w.connectFar())
            w.net.close(c, from: .client)
            w.net.close(c, from: .server)
            w.run(Time.ms(10))
            w.connectNear(70)  // compacts: the idle, released connection leaves the list
            w.run(Time.ms(2))
            #expect(!c.tracked)
            w.net.send(.rst, from: w.far, to: w.server, connection: c, side: .client)
            #expect(!c.tracked && c.landing && c.segmentsInFlight == 1)
            resent = c
        }
        let keptForItsSegment = resent != nil
        #expect(keptForItsSegment, "freed with its RST in flight")
        w.run(Time.ms(10))
        let freedAfter = resent == nil
        #expect(freedAfter, "kept after its RST was handled")
        w.sim.close()
    }

    /// Free slots are reused last freed first, and growth keeps every value and free slot.
    @Test func slotTableReusesFreedSlotsAndGrows() {
        var t = SlotTable<Int>()
        for v in 0..<40 { #expect(t.store(v * 10) == v) }
        #expect(t.take(5) == 50)
        #expect(t.take(7) == 70)
        #expect(t.take(7) == nil, "a slot is taken once")
        #expect(t.liveCount == 38)
        #expect(t.store(1) == 7)
        #expect(t.store(2) == 5)
        #expect(t.store(3) == 40, "no free slot left: a new one")
        #expect(t.liveCount == 41)
        #expect(t[5] == 2 && t[7] == 1 && t[39] == 390)
        for s in 0..<41 { _ = t.take(s) }
        #expect(t.liveCount == 0)
        var reused: [Int] = []
        for v in 0..<3 { reused.append(t.store(v)) }
        #expect(reused == [40, 39, 38])
        var seen = 0
        t.removeAll { _ in seen += 1 }
        #expect(seen == 3 && t.liveCount == 0 && t.count == 0)
    }
}
