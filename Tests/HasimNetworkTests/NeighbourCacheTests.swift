import Testing
import HasimKernel
@testable import HasimNetwork

/// The Linux neighbour cache on client hosts (net/core/neighbour.c): what a client whose VIP
/// moved does, packet by packet. Measured on this machine (validation/results/vip-no-garp.json):
/// without a gratuitous ARP the client's entry went REACHABLE → DELAY → PROBE before a new
/// broadcast found the new holder, 34–42 s after the old holder died.
@Suite struct NeighbourCacheTests {
    /// Sends a packet to the VIP from `host` every 100 ms until `end` (as a client retrying does),
    /// and returns when each change of the host's entry (state or holder) was seen.
    static func watch(_ w: VIPWorld, from host: Host, until end: SimTime) -> [(SimTime, String)] {
        var seen: [(SimTime, String)] = []
        while w.sim.now < end {
            let to = w.vips.resolve(w.vip, from: host)
            let state = w.vips.neighbourState(of: w.vip, on: host)?.rawValue ?? "none"
            let label = state + (to.map { " " + w.net.host($0).name } ?? "")
            if seen.last?.1 != label { seen.append((w.sim.now, label)) }
            w.run(Time.ms(100))
        }
        return seen
    }

    /// db1 holds the VIP; `app` has a connection to it on which db1 answers every 100 ms (TCP
    /// forward progress) until db1's host dies at 10 s; db2 raises the VIP at 11 s. With
    /// `withoutTCP`, `other` also sends a packet every 100 ms, with no connection to confirm its entry.
    static func moveAfterTraffic(seed: UInt64, garp: Bool, withoutTCP: Bool = false, crashAt: SimTime = Time.s(10)) -> (w: VIPWorld, app: [(SimTime, String)], idle: [(SimTime, String)]) {
        let w = VIPWorld(seed: seed)
        w.vips.acquire(w.vip, on: w.db1)
        let (c, _) = w.connect(from: w.app)
        let conn = c!
        if withoutTCP { _ = w.vips.resolve(w.vip, from: w.other) }
        func answer() {
            guard w.net.send(Text(text: "ok"), on: conn, from: .server) else { return }
            w.sim.after(Time.ms(100)) { answer() }
        }
        answer()
        w.sim.at(crashAt) { w.net.crashHost(w.db1) }
        w.sim.at(crashAt + Time.s(1)) { w.vips.acquire(w.vip, on: w.db2, announce: garp) }
        // Both clients send a packet every 100 ms.
        var idleSeen: [(SimTime, String)] = []
        var appSeen: [(SimTime, String)] = []
        while w.sim.now < crashAt + Time.s(80) {
            for (h, log) in [(w.app, 0), (w.other, 1)] where log == 0 || withoutTCP {
                let to = w.vips.resolve(w.vip, from: h)
                let label = (w.vips.neighbourState(of: w.vip, on: h)?.rawValue ?? "none") + (to.map { " " + w.net.host($0).name } ?? "")
                if log == 0 { if appSeen.last?.1 != label { appSeen.append((w.sim.now, label)) } }
                else if idleSeen.last?.1 != label { idleSeen.append((w.sim.now, label)) }
            }
            w.run(Time.ms(100))
        }
        return (w, appSeen, idleSeen)
    }

    static func reachedDB2(_ seen: [(SimTime, String)]) -> SimTime? { seen.first { $0.1.hasSuffix("db2") }?.0 }

    @Test func withoutAGARPTheClientStaysOnTheDeadHostUntilItsEntryFails() throws {
        for seed: UInt64 in 1...5 {
            let (_, seen, _) = Self.moveAfterTraffic(seed: seed, garp: false)
            // REACHABLE (confirmed by TCP until 10 s), DELAY 5 s, PROBE 3 unicast probes, then a
            // broadcast that db2 answers: the path the real client's `ip neigh` showed.
            #expect(seen.prefix(4).map(\.1) == ["REACHABLE db1", "DELAY db1", "PROBE db1", "REACHABLE db2"], "seed \(seed): \(seen)")
            let delay = try #require(seen.first { $0.1 == "DELAY db1" }).0
            let probe = try #require(seen.first { $0.1 == "PROBE db1" }).0
            let moved = try #require(Self.reachedDB2(seen))
            #expect(probe - delay == Time.s(5))
            #expect(moved - probe >= Time.s(3) && moved - probe <= Time.s(3) + Time.ms(100))
            // The last confirmation came just before 10 s: reachable_time (15-45 s) runs from there.
            #expect(delay >= Time.s(10) + Time.s(15) - Time.ms(200) && delay <= Time.s(10) + Time.s(45) + Time.ms(100))
        }
    }

    @Test func withAGARPTheClientMovesTenMillisecondsAfterTheVIP() throws {
        // The flip of the test above: the same world with `arping -U`.
        let (_, seen, _) = Self.moveAfterTraffic(seed: 1, garp: true)
        let moved = try #require(Self.reachedDB2(seen))
        #expect(moved == Time.s(11) + Time.ms(100), "the first packet after the GARP (at 11.010 s) goes to db2: \(seen)")
        #expect(seen.contains { $0.1 == "STALE db2" || $0.1 == "DELAY db2" }, "a GARP leaves the entry STALE, not REACHABLE: \(seen)")
    }

    @Test func tcpConfirmationsMakeAClientWaitLongerThanOneWithoutTCP() throws {
        // `other` sends packets too but has no TCP connection to confirm its entry: only its own
        // probes (answered by db1 while it lived) did, so it meets the dead host part-way
        // through its reachable time; the TCP client starts its full reachable time at the fault.
        // db1 dies at 60 s, well into `other`'s cycle of expiry, DELAY and answered probes.
        var tcp: [SimTime] = [], noTCP: [SimTime] = []
        for seed: UInt64 in 1...12 {
            let r = Self.moveAfterTraffic(seed: seed, garp: false, withoutTCP: true, crashAt: Time.s(60))
            tcp.append(try #require(Self.reachedDB2(r.app)) - Time.s(60))
            noTCP.append(try #require(Self.reachedDB2(r.idle)) - Time.s(60))
        }
        #expect(tcp.allSatisfy { $0 >= Time.s(15 + 8) - Time.ms(200) }, "\(tcp)")
        #expect(noTCP.contains { $0 < Time.s(15 + 8) - Time.ms(200) }, "\(noTCP)")
        #expect(tcp.reduce(0, +) > noTCP.reduce(0, +))
    }

    @Test func aProbeGoesToTheCachedHostSoNoClientWandersToAnotherHolder() throws {
        // db2 raises the VIP as well (split brain) without a GARP: app's probes go to db1's MAC,
        // db1 still answers, and app never reaches db2.
        let w = VIPWorld()
        w.vips.acquire(w.vip, on: w.db1)
        _ = w.vips.resolve(w.vip, from: w.app)
        w.vips.acquire(w.vip, on: w.db2, announce: false)
        let seen = Self.watch(w, from: w.app, until: Time.s(120))
        #expect(!seen.contains { $0.1.hasSuffix("db2") }, "\(seen)")
        // Not confirmed by TCP: DELAY, then db1 answers the first unicast probe (REACHABLE again).
        #expect(seen.map(\.1).prefix(3) == ["REACHABLE db1", "DELAY db1", "REACHABLE db1"], "\(seen)")
        // Flip: db1 drops the address (`ip addr del`); its probes then go unanswered.
        w.vips.release(w.vip, on: w.db1)
        let after = Self.watch(w, from: w.app, until: Time.s(240))
        #expect(after.contains { $0.1 == "REACHABLE db2" }, "\(after)")
    }

    @Test func ofTwoAnswersToABroadcastTheFirstWins() throws {
        // arp.c: replies within locktime (1 s) do not override the first.
        let w = VIPWorld()
        w.net.sameSite = LinkSpec(latency: .constant(Time.ms(1)))
        w.vips.acquire(w.vip, on: w.db1)
        w.vips.acquire(w.vip, on: w.db2)
        #expect(w.vips.resolve(w.vip, from: w.app) == w.db1.id, "equal latency: the first holder in order")
    }
}
