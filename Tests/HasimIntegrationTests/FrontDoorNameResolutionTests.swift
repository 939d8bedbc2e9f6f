import Testing
import HasimKernel
import HasimNetwork
import HasimWorkload

/// The application's own name cache (the JVM's networkaddress.cache.ttl) over the host's resolver.
@Suite struct FrontDoorNameResolutionTests {
    struct World {
        let sim = Simulation(seed: 1)
        let net: Network
        let dns: DNSService
        let app: Host

        init(recordTTL: SimTime) {
            net = Network(sim: sim)
            app = net.addHost("app", site: "s1")
            net.addHost("db1", site: "s1")
            net.addHost("db2", site: "s1")
            var settings = DNSSettings()
            settings.apiDelay = .constant(Time.s(5))
            dns = DNSService(network: net, settings: settings)
            dns.addRecord("db.service.local", address: "db1", ttl: recordTTL)
        }

        /// What the application would dial at time `t`.
        func answer(_ names: NameResolution, at t: SimTime) -> IPAddress? {
            sim.run(until: t)
            var got: IPAddress?
            names.resolve("db.service.local") { got = $0 }
            sim.run(until: t + Time.ms(5))
            return got
        }
    }

    @Test func theJVMKeepsItsAnswerForItsOwnTTLWhateverTheRecordSays() {
        let w = World(recordTTL: 0)
        let jvm = NameResolution(dns: w.dns, host: w.app, cacheTTL: Time.s(30))
        #expect(w.answer(jvm, at: 0) == "db1")        // cached until 30.001 s
        w.dns.update("db.service.local", to: "db2", by: "dba")
        #expect(w.answer(jvm, at: Time.s(10)) == "db1", "the record changed at 5 s, the JVM still has db1")
        #expect(w.answer(jvm, at: Time.s(29)) == "db1")
        #expect(w.answer(jvm, at: Time.s(31)) == "db2")
    }

    @Test func noJVMCacheFollowsTheRecordAsSoonAsTheResolverDoes() {
        let w = World(recordTTL: 0)
        let jvm = NameResolution(dns: w.dns, host: w.app, cacheTTL: 0)
        #expect(w.answer(jvm, at: 0) == "db1")
        w.dns.update("db.service.local", to: "db2", by: "dba")
        #expect(w.answer(jvm, at: Time.s(4)) == "db1")
        #expect(w.answer(jvm, at: Time.s(6)) == "db2")
    }

    @Test func theHostsTTLStillAppliesUnderAJVMWithoutCache() {
        let w = World(recordTTL: Time.s(60))
        let jvm = NameResolution(dns: w.dns, host: w.app, cacheTTL: 0)
        #expect(w.answer(jvm, at: 0) == "db1")
        w.dns.update("db.service.local", to: "db2", by: "dba")
        #expect(w.answer(jvm, at: Time.s(59)) == "db1")
        #expect(w.answer(jvm, at: Time.s(61)) == "db2")
    }

    @Test func aJVMThatCachesForeverKeepsTheFirstAnswerUntilItRestarts() {
        let w = World(recordTTL: 0)
        let jvm = NameResolution(dns: w.dns, host: w.app, cacheTTL: nil)
        #expect(w.answer(jvm, at: 0) == "db1")
        w.dns.update("db.service.local", to: "db2", by: "dba")
        #expect(w.answer(jvm, at: Time.s(3600)) == "db1")
        jvm.flush()  // a redeploy starts a new JVM
        #expect(w.answer(jvm, at: Time.s(3601)) == "db2")
    }

    @Test func anIPAddressIsDialledAsItIs() {
        let w = World(recordTTL: 0)
        let jvm = NameResolution(dns: w.dns, host: w.app, cacheTTL: Time.s(30))
        var got: IPAddress?
        jvm.resolve("db2") { got = $0 }
        #expect(got == "db2", "no lookup, no delay")
    }
}
