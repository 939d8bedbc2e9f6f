import Testing
import HasimKernel
@testable import HasimNetwork

@Suite struct FrontDoorDNSTests {
    func world(seed: UInt64 = 1, ttl: SimTime) -> (Simulation, Network, DNSService, Host) {
        let sim = Simulation(seed: seed)
        let net = Network(sim: sim)
        let app = net.addHost("app", site: "s1")
        net.addHost("db1", site: "s1")
        net.addHost("db2", site: "s2")
        let dns = DNSService(network: net)
        dns.addRecord("db.service.local", address: "db1", ttl: ttl)
        return (sim, net, dns, app)
    }

    @Test func theAPIChangesTheRecordAfterFourToSixSecondsDrawnFromItsStream() {
        var delays: [SimTime] = []
        for seed: UInt64 in 1...30 {
            let (sim, _, dns, _) = world(seed: seed, ttl: Time.s(30))
            var appliedAt: SimTime?
            dns.update("db.service.local", to: "db2", by: "dba") { _ in appliedAt = sim.now }
            sim.run(until: Time.s(3))
            #expect(dns.record("db.service.local")?.address == "db1", "unchanged before the API has finished")
            sim.run(until: Time.s(10))
            #expect(dns.record("db.service.local")?.address == "db2")
            delays.append(appliedAt ?? -1)
        }
        #expect(delays.allSatisfy { $0 >= Time.s(4) && $0 <= Time.s(6) })
        #expect(Set(delays).count > 20)
        // Same seed, same delay.
        let (simA, _, a, _) = world(seed: 7, ttl: 0), (simB, _, b, _) = world(seed: 7, ttl: 0)
        var ta: SimTime = 0, tb: SimTime = 0
        a.update("db.service.local", to: "db2", by: "dba") { _ in ta = simA.now }
        b.update("db.service.local", to: "db2", by: "dba") { _ in tb = simB.now }
        simA.run(until: Time.s(10)); simB.run(until: Time.s(10))
        #expect(ta == tb)
    }

    @Test func theHostsResolverKeepsAnAnswerForTheRecordsTTL() {
        let (sim, _, dns, app) = world(ttl: Time.s(60))
        var answers: [(SimTime, IPAddress?)] = []
        func ask() { dns.lookup("db.service.local", from: app) { answers.append((sim.now, $0)) } }
        ask()                                   // t=0: a query, cached until 60.001 s
        sim.run(until: Time.s(1))
        dns.update("db.service.local", to: "db2", by: "dba")
        sim.run(until: Time.s(30))
        ask()                                   // t=30 s: the record changed, the cache did not
        sim.run(until: Time.s(61))
        ask()                                   // t=61 s: expired, a new query
        sim.run(until: Time.s(62))
        #expect(answers.map(\.1) == ["db1", "db1", "db2"])
        #expect(answers[0].0 == Time.ms(1), "a miss costs the query to the resolver")
        #expect(answers[1].0 == Time.s(30), "a hit is answered at once")
    }

    @Test func aZeroTTLIsNeverCached() {
        let (sim, _, dns, app) = world(ttl: 0)
        var answers: [IPAddress?] = []
        dns.lookup("db.service.local", from: app) { answers.append($0) }
        sim.run(until: Time.s(1))
        #expect(dns.cached("db.service.local", on: app) == nil)
        dns.update("db.service.local", to: "db2", by: "dba")
        sim.run(until: Time.s(7))
        dns.lookup("db.service.local", from: app) { answers.append($0) }
        sim.run(until: Time.s(8))
        #expect(answers == ["db1", "db2"])
        #expect(sim.trace.records(of: .dnsUpdate).count == 1 && sim.trace.records(of: .dnsChange).count == 1)
    }

    @Test func anUnknownNameHasNoAnswer() {
        let (sim, _, dns, app) = world(ttl: Time.s(5))
        var answer: IPAddress?? = .none
        dns.lookup("nope.local", from: app) { answer = .some($0) }
        sim.run(until: Time.s(1))
        #expect(answer == .some(nil))
        #expect(!dns.isName("nope.local") && dns.isName("db.service.local"))
    }
}
