import Testing
import HasimKernel
@testable import HasimNetwork

/// Two sites: db1, db2, app, other in s1 (one broadcast domain); far in s2.
struct VIPWorld {
    let sim: Simulation
    let net: Network
    let vips: VIPTable
    let db1: Host, db2: Host, app: Host, other: Host, far: Host
    let vip: IPAddress = "10.0.0.100"
    let server1: Recorder, server2: Recorder

    init(seed: UInt64 = 3) {
        sim = Simulation(seed: seed)
        net = Network(sim: sim)
        net.sameSite = LinkSpec(latency: .constant(Time.ms(1)))
        net.crossSite = LinkSpec(latency: .constant(Time.ms(5)))
        db1 = net.addHost("db1", site: "s1")
        db2 = net.addHost("db2", site: "s1")
        app = net.addHost("app", site: "s1")
        other = net.addHost("other", site: "s1")
        far = net.addHost("far", site: "s2")
        vips = VIPTable(network: net)
        vips.addVIP(vip, site: "s1")
        server1 = Recorder(sim: sim)
        server2 = Recorder(sim: sim)
        net.listen(net.spawn("mysqld", on: db1), port: 3306, server1)
        net.listen(net.spawn("mysqld", on: db2), port: 3306, server2)
    }

    /// Connects from `host` to the VIP; returns the connection (nil: failed) and when it completed.
    func connect(from host: Host, timeout: SimTime = Time.s(5), within: SimTime = Time.s(6)) -> (Connection?, SimTime?) {
        var result: (Connection?, SimTime?) = (nil, nil)
        let p = net.spawn("client", on: host)
        net.connect(from: p, to: vip, port: 3306, timeout: timeout, delegate: Recorder(sim: sim)) { r in
            if case .success(let c) = r { result = (c, self.sim.now) } else { result = (nil, self.sim.now) }
        }
        sim.run(until: sim.now + within)
        return result
    }

    func run(_ d: SimTime) { sim.run(until: sim.now + d) }
}

@Suite struct FrontDoorVIPTests {
    @Test func theHolderAnswersAndAConnectionReachesIt() throws {
        let w = VIPWorld()
        w.vips.acquire(w.vip, on: w.db1)
        let (c, _) = w.connect(from: w.app)
        #expect(try #require(c).server.host === w.db1)
        #expect(w.vips.cachedHolder(of: w.vip, on: w.app)?.holder === w.db1)
        // From another site, through the gateway of s1: the host's own cache stays empty.
        let (cf, _) = w.connect(from: w.far)
        #expect(try #require(cf).server.host === w.db1)
        #expect(w.vips.cachedHolder(of: w.vip, on: w.far) == nil)
    }

    @Test func aHostOutsideTheVIPsSiteIsRefused() {
        let w = VIPWorld()
        let r = w.vips.acquire(w.vip, on: w.far)
        guard case .failure(let e) = r else { Issue.record("acquired across sites"); return }
        #expect(e == .otherSite(vip: w.vip, vipSite: "s1", host: "far", hostSite: "s2"))
        #expect(e.description == "cannot add VIP 10.0.0.100 on far: far is in site s2, the VIP lives in the broadcast domain (L2) of site s1; "
                + "ARP does not cross sites, so a VIP cannot fail over between IDCs: use DNS")
        #expect(w.vips.holders(of: w.vip).isEmpty)
        #expect(w.sim.trace.records(of: .vipAcquire).isEmpty)
    }

    @Test func gratuitousARPUpdatesTheSitesExistingEntriesAfterTenMilliseconds() throws {
        let w = VIPWorld()
        w.vips.acquire(w.vip, on: w.db1)
        _ = w.connect(from: w.app)
        w.run(Time.s(1))
        let t0 = w.sim.now
        w.vips.release(w.vip, on: w.db1)
        w.vips.acquire(w.vip, on: w.db2)
        w.sim.run(until: t0 + Time.ms(9))
        #expect(w.vips.cachedHolder(of: w.vip, on: w.app)?.holder === w.db1, "not yet: the GARP takes 10 ms")
        w.sim.run(until: t0 + Time.ms(10))
        #expect(w.vips.cachedHolder(of: w.vip, on: w.app)?.holder === w.db2)
        // arp_accept=0: a host that never talked to the VIP gets no entry; other sites hear nothing.
        #expect(w.vips.cachedHolder(of: w.vip, on: w.other) == nil)
        #expect(w.vips.cachedHolder(of: w.vip, on: w.far) == nil)
        let garp = try #require(w.sim.trace.records(of: .garp).last)
        #expect(garp.time == t0 + Time.ms(10) && garp.node == "db2")
        #expect(garp.detail.contains("updated app"))
        #expect(w.sim.trace.records(of: .vipRelease).map(\.node) == ["db1"])
    }

    @Test func aPartitionedHostMissesTheGARPAndKeepsItsStaleEntryUntilItAgesOut() throws {
        let w = VIPWorld()
        w.vips.acquire(w.vip, on: w.db1)
        _ = w.connect(from: w.app)
        w.net.partition([w.db2.id], [w.app.id])
        w.vips.release(w.vip, on: w.db1)
        w.vips.acquire(w.vip, on: w.db2)
        w.run(Time.ms(20))
        w.net.heal([w.db2.id], [w.app.id])
        #expect(w.vips.cachedHolder(of: w.vip, on: w.app)?.holder === w.db1)
        #expect(w.sim.trace.records(of: .garp).last?.detail.contains("missed app") == true)
        // db1 no longer has the address: it drops the SYN and the connect times out.
        let (stale, _) = w.connect(from: w.app, timeout: Time.s(2), within: Time.s(3))
        #expect(stale == nil)
        // The entry lives 15-45 s, then STALE; the next packet (the SYN at 46 s) puts it in DELAY
        // for 5 s, then 3 unicast probes to db1 go unanswered (51-54 s): FAILED. The SYN
        // retransmitted at 53 s still went to db1; the one at 61 s asks the domain and db2 answers.
        w.sim.run(until: Time.s(46))
        let (fresh, at) = w.connect(from: w.app, timeout: Time.s(30), within: Time.s(20))
        #expect(try #require(fresh).server.host === w.db2)
        #expect(at == Time.s(46) + Time.s(15) + Time.ms(2))
    }

    @Test func entriesAgeOutBetweenFifteenAndFortyFiveSeconds() throws {
        var lifetimes: [SimTime] = []
        for seed: UInt64 in 1...40 {
            let sim = Simulation(seed: seed)
            let net = Network(sim: sim)
            let h = net.addHost("h", site: "s1"), client = net.addHost("c", site: "s1")
            let vips = VIPTable(network: net)
            vips.addVIP("10.0.0.1", site: "s1")
            vips.acquire("10.0.0.1", on: h)
            _ = vips.resolve("10.0.0.1", from: client)
            var t: SimTime = 0
            while vips.cachedHolder(of: "10.0.0.1", on: client)?.fresh == true {
                t += Time.ms(100)
                sim.run(until: t)
            }
            lifetimes.append(t)
        }
        #expect(lifetimes.allSatisfy { $0 > Time.s(15) - Time.ms(100) && $0 <= Time.s(45) + Time.ms(100) })
        #expect(Set(lifetimes).count > 10, "randomised per entry")
    }

    @Test func twoHoldersAtOnceEachClientReachesTheHostItsCacheNames() throws {
        let w = VIPWorld()
        w.vips.acquire(w.vip, on: w.db1)
        _ = w.connect(from: w.app)
        _ = w.connect(from: w.other)
        // db2 raises the VIP while db1 still has it (nobody ran `ip addr del`); `other` misses the GARP.
        w.net.partition([w.db2.id], [w.other.id])
        w.vips.acquire(w.vip, on: w.db2)
        w.run(Time.ms(20))
        w.net.heal([w.db2.id], [w.other.id])
        #expect(w.vips.holders(of: w.vip).map(\.name) == ["db1", "db2"])
        let (toNew, _) = w.connect(from: w.app)
        let (toOld, _) = w.connect(from: w.other)
        #expect(try #require(toNew).server.host === w.db2)
        #expect(try #require(toOld).server.host === w.db1)
        // A fresh question to the domain: both answer, the first answer wins (locktime; equal latency: the earlier holder).
        #expect(w.vips.resolve(w.vip, from: w.far) == w.db1.id)
    }

    @Test func anEstablishedConnectionIsResetOnceTheVIPMoves() throws {
        let w = VIPWorld()
        w.vips.acquire(w.vip, on: w.db1)
        let clientEnd = Recorder(sim: w.sim)
        let p = w.net.spawn("client", on: w.app)
        var conn: Connection?
        w.net.connect(from: p, to: w.vip, port: 3306, timeout: Time.s(5), delegate: clientEnd) { if case .success(let c) = $0 { conn = c } }
        w.run(Time.ms(10))
        let c = try #require(conn)
        w.vips.release(w.vip, on: w.db1)
        w.vips.acquire(w.vip, on: w.db2)
        w.run(Time.ms(20))
        let t = w.sim.now
        w.net.send(Text(text: "after the move"), on: c, from: .client)
        w.run(Time.ms(10))
        // The segment reached db2, whose kernel knows no such connection: RST after one round trip.
        #expect(clientEnd.closeReason == .reset)
        #expect(clientEnd.closedAt == t + Time.ms(2))
        #expect(w.server1.received.isEmpty && w.server2.received.isEmpty)
    }

    @Test func aSYNWaitingForAnAnswerLeavesWithTheGARP() throws {
        let w = VIPWorld()
        // Nobody holds the VIP: the SYN waits on an INCOMPLETE entry (the connect would time out after 5 s).
        let p = w.net.spawn("client", on: w.app)
        var at: SimTime?
        var server: Host?
        let t0 = w.sim.now
        w.net.connect(from: p, to: w.vip, port: 3306, timeout: Time.s(5), delegate: Recorder(sim: w.sim)) {
            if case .success(let c) = $0 { at = w.sim.now; server = c.server.host }
        }
        w.run(Time.ms(300))
        #expect(at == nil)
        w.vips.acquire(w.vip, on: w.db2)
        w.run(Time.s(1))
        #expect(server === w.db2)
        // GARP 10 ms after the acquire, then one round trip.
        #expect(at == t0 + Time.ms(300) + Time.ms(10) + Time.ms(2))
    }

    @Test func aRebootedHolderNoLongerHasTheVIP() {
        let w = VIPWorld()
        w.vips.acquire(w.vip, on: w.db1)
        w.net.crashHost(w.db1)
        w.net.restartHost(w.db1)
        #expect(w.vips.holders(of: w.vip).isEmpty, "`ip addr add` is not in the boot configuration")
    }
}
