import Testing
import HasimKernel
@testable import HasimNetwork

/// Linux TCP across a dead path: held, retransmitted at 0.2, 0.6, 1.4, 3.0 ... s after the
/// loss, delivered after a heal within the budget, reset after `tcp_retries2` back-offs.
@Suite struct TCPRetransmissionTests {
    /// Sends "x" at t0 into a partition healed `healAfter` later; returns when it arrived.
    private func arrival(healAfter: SimTime, firewall: Bool = false, writeAfterHeal: Bool = false,
                         retries2: Int = 15) throws -> (arrived: SimTime?, world: World, t0: SimTime) {
        let w = World()
        w.net.tcpRetries2 = retries2
        let c = try #require(w.connect())
        let t0 = w.sim.now
        w.net.partition([w.a.id], [w.b.id], atHosts: firewall)
        w.net.send(Text(text: "x"), on: c, from: .client)
        w.sim.run(until: t0 + healAfter)
        w.net.heal([w.a.id], [w.b.id])
        if writeAfterHeal {
            w.sim.run(until: t0 + healAfter + Time.ms(10))
            w.net.send(Text(text: "y"), on: c, from: .client)
        }
        w.sim.run(until: t0 + healAfter + Time.s(200))
        return (w.serverEnd.received.first { $0.1 == "x" }?.0, w, t0)
    }

    @Test func aHealWithinTheBudgetDeliversAtTheNextRetransmission() throws {
        // Lost at t0; retransmissions at +0.2, +0.6, +1.4, +3.0, +6.2, +12.6, +25.4 s (RTO doubling).
        let r = try arrival(healAfter: Time.s(20))
        #expect(r.arrived == r.t0 + Time.ms(25_400) + Time.ms(1))
        #expect(r.world.clientEnd.closedAt == nil, "the connection survives the partition")
        let early = try arrival(healAfter: Time.ms(500))
        #expect(early.arrived == early.t0 + Time.ms(600) + Time.ms(1))
    }

    @Test func theBudgetIsLinuxsTcpRetries2ModelTimeout() {
        let w = World()
        #expect(w.net.retransmitBudget == Time.ms(924_600))  // tcp_retries2 = 15
        w.net.tcpRetries2 = 5
        #expect(w.net.retransmitBudget == Time.ms(12_600))    // ((2 << 5) - 1) x 200 ms
    }

    @Test func pastTheBudgetTheSendersSocketFailsAndThePeersLaterSegmentEarnsRST() throws {
        // tcp_retries2 = 5: 12.6 s of retransmissions; a partition of 20 s outlives it.
        let r = try arrival(healAfter: Time.s(20), retries2: 5)
        #expect(r.arrived == nil)
        #expect(r.world.clientEnd.closeReason == .timedOut)
        #expect(r.world.clientEnd.closedAt == r.t0 + Time.ms(12_600))
        #expect(r.world.serverEnd.closedAt == nil, "no RST goes out when the kernel gives up")
        // The server end writes after the heal: the client's kernel no longer knows the connection.
        let c = try #require(r.world.serverEnd.accepted.first)
        r.world.net.send(Text(text: "late"), on: c, from: .server)
        r.world.sim.run(until: r.world.sim.now + Time.ms(5))
        #expect(r.world.serverEnd.closeReason == .reset)
        // Flip: with the default budget the same partition loses nothing.
        let kept = try arrival(healAfter: Time.s(20))
        #expect(kept.arrived != nil)
        #expect(kept.world.clientEnd.closedAt == nil)
    }

    @Test func aHostFirewallDropIsRetriedAtTheNextWriteNotTheTimer() throws {
        // nft OUTPUT drop: send() fails with EPERM; the first write after the heal goes out, F-RTO
        // leaves loss recovery and the hole is retransmitted one RTO (200 ms) later.
        let fw = try arrival(healAfter: Time.s(20), firewall: true, writeAfterHeal: true)
        #expect(fw.arrived == fw.t0 + Time.s(20) + Time.ms(10) + Time.ms(200) + Time.ms(1))
        #expect(fw.world.serverEnd.received.map(\.1) == ["x", "y"], "in order")
        // Flip: a drop in the network waits for the back-off timer (25.4 s after the loss).
        let net = try arrival(healAfter: Time.s(20), firewall: false, writeAfterHeal: true)
        #expect(net.arrived == net.t0 + Time.ms(25_400) + Time.ms(1))
        #expect(net.world.serverEnd.received.map(\.1) == ["x", "y"])
    }

    @Test func segmentsLostInFlightKeepTheirOrder() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.send(Text(text: "1"), on: c, from: .client)  // in flight for 1 ms
        w.net.partition([w.a.id], [w.b.id])
        w.net.send(Text(text: "2"), on: c, from: .client)  // lost at send time, before "1" is lost
        w.sim.run(until: w.sim.now + Time.ms(100))
        w.net.heal([w.a.id], [w.b.id])
        w.sim.run(until: w.sim.now + Time.s(2))
        #expect(w.serverEnd.received.map(\.1) == ["1", "2"])
    }

    @Test func aSegmentToARebootedHostEarnsRST() throws {
        let w = World()
        let c = try #require(w.connect())
        w.net.crashHost(w.b)
        w.net.restartHost(w.b)
        w.net.processStarted(w.server)
        let t0 = w.sim.now
        w.net.send(Text(text: "hello?"), on: c, from: .client)
        w.sim.run(until: t0 + Time.ms(5))
        #expect(w.clientEnd.closeReason == .reset)
        #expect(w.clientEnd.closedAt == t0 + Time.ms(2))
        #expect(w.serverEnd.received.isEmpty)
    }
}
