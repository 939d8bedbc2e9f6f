import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase
import HasimWorkload

/// N Galera nodes and an application host; `sites` puts node i in sites[i] (one-way latency per pair of sites).
final class GaleraLab {
    let sim: Simulation
    let net: Network
    let nodes: [GaleraNode]
    let appHost: Host

    init(n: Int = 3, oneWay: SimTime = Time.us(200), crossSite: SimTime = Time.ms(5), sites: [String]? = nil,
         jitter: Double? = nil, seed: UInt64 = 1, configure: (Int, inout GaleraConfig) -> Void = { _, _ in }) {
        sim = Simulation(seed: seed)
        net = Network(sim: sim)
        // Constant latencies unless a lognormal sigma is given.
        net.sameSite = LinkSpec(latency: jitter.map { .logNormal(median: oneWay, sigma: $0) } ?? .constant(oneWay))
        net.crossSite = LinkSpec(latency: jitter.map { .logNormal(median: crossSite, sigma: $0) } ?? .constant(crossSite))
        appHost = net.addHost("app", site: sites?.first ?? "lan")
        var nodes: [GaleraNode] = []
        for i in 0..<n {
            let h = net.addHost("db\(i + 1)", site: sites?[i] ?? "lan")
            var c = GaleraConfig()
            c.autoIncrementIncrement = Int64(n)
            c.autoIncrementOffset = Int64(i + 1)
            configure(i, &c)
            let node = GaleraNode(name: "db\(i + 1)", index: i, host: h, network: net, config: c)
            node.seed(hotRows: 10)
            nodes.append(node)
        }
        for node in nodes { node.join(cluster: nodes) }
        for node in nodes { node.startBootstrapped() }
        self.nodes = nodes
    }

    func app(_ node: Int, index: Int = 0, config: ClientConfig = ClientConfig()) -> ApplicationClient {
        ApplicationClient(name: "app\(index)", host: appHost, network: net, address: nodes[node].host.address,
                          config: config, clientIndex: index)
    }

    func medianLatency(_ a: ApplicationClient) -> SimTime {
        let l = a.ledger.filter { !$0.isProbe }.map { $0.ackedAt - $0.issuedAt }.sorted()
        return l.isEmpty ? 0 : l[l.count / 2]
    }
}

@Suite struct GaleraNodeTests {
    @Test func writesReachEveryNodeInTheSameOrder() {
        let lab = GaleraLab()
        let a = lab.app(0)
        a.startWorkload(writesPerSecond: 200, updateFraction: 0.3, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(10))
        lab.sim.run(until: Time.s(12))
        #expect(a.ledger.count > 1500)
        #expect(a.failures.isEmpty)
        for n in lab.nodes.dropFirst() {
            #expect(n.storage.appliedTxids.count == lab.nodes[0].storage.appliedTxids.count)
            #expect(n.storage.row(.counters, 3) == lab.nodes[0].storage.row(.counters, 3))
        }
    }

    @Test func concurrentUpdatesOfTheSameRowOnTwoNodesFailCertification() {
        func run(sameNode: Bool, retry: Int = 0) -> (ApplicationClient, ApplicationClient, GaleraLab) {
            let lab = GaleraLab { _, c in c.retryAutocommit = retry }
            let a = lab.app(0, index: 0), b = lab.app(sameNode ? 0 : 1, index: 1)
            for x in [a, b] {
                x.startWorkload(writesPerSecond: 200, updateFraction: 1.0, hotRows: 1, probeInterval: 0, start: 0, stop: Time.s(5))
            }
            lab.sim.run(until: Time.s(7))
            return (a, b, lab)
        }
        let (a, b, lab) = run(sameNode: false)
        let deadlocks = (Array(a.failures) + b.failures).filter { $0.code == 1213 }.count
        #expect(deadlocks > 0)
        #expect(lab.nodes.map(\.certificationFailures).reduce(0, +) > 0)
        // Every node ends with the same counter: certification is deterministic.
        #expect(Set(lab.nodes.map { $0.storage.row(.counters, 1)!.value }).count == 1)
        // Flip: both writers on one node never conflict with each other.
        let (c, d, _) = run(sameNode: true)
        #expect((Array(c.failures) + d.failures).filter { $0.code == 1213 }.isEmpty)
        // wsrep_retry_autocommit=1 hides most conflicts from the client.
        let (e, f, _) = run(sameNode: false, retry: 1)
        #expect((Array(e.failures) + f.failures).filter { $0.code == 1213 }.count < deadlocks / 2)
    }

    @Test func commitLatencyFollowsTheWorstRoundTrip() {
        func latency(_ n: Int, oneWay: SimTime) -> SimTime {
            let lab = GaleraLab(n: n, oneWay: oneWay)
            let a = lab.app(0)
            a.startWorkload(writesPerSecond: 50, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(5))
            lab.sim.run(until: Time.s(6))
            return lab.medianLatency(a)
        }
        let lan = latency(3, oneWay: Time.us(200))
        let wan = latency(3, oneWay: Time.ms(5))
        // Every link 4.8 ms longer: the client's own round trip (2 trips) and safe delivery (the
        // write-set, the acknowledgements, the all-received reports: 3 trips) = 5 x 4.8 = 24 ms more.
        #expect(wan - lan >= Time.ms(23) && wan - lan <= Time.ms(25))
        // More nodes: the commit waits for the slowest of more acks (constant latency here: equal).
        #expect(latency(7, oneWay: Time.us(200)) >= lan)
        // Two sites: one node 30 ms away (one way) sets the commit time for everyone.
        let twoSites = GaleraLab(n: 3, oneWay: Time.us(200), crossSite: Time.ms(30), sites: ["a", "a", "b"])
        let a = twoSites.app(0)
        a.startWorkload(writesPerSecond: 20, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(5))
        twoSites.sim.run(until: Time.s(6))
        #expect(twoSites.medianLatency(a) >= Time.ms(60))
        #expect(twoSites.medianLatency(a) <= Time.ms(65))
    }

    @Test func oneSlowNodeThrottlesEveryWriterThroughFlowControl() {
        func run(slow: Bool) -> (Int, GaleraLab) {
            let lab = GaleraLab { i, c in if slow && i == 2 { c.applyTime = Time.ms(5) } }
            let a = lab.app(0)
            // 300 writes/s offered; the slow node applies 200/s.
            a.startWorkload(writesPerSecond: 300, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(20))
            lab.sim.run(until: Time.s(20))
            return (a.ledger.filter { $0.issuedAt >= Time.s(5) && $0.ackedAt < Time.s(20) }.count, lab)
        }
        let (fast, _) = run(slow: false)
        let (slowCount, lab) = run(slow: true)
        #expect(fast > 4300)
        // Throughput falls to what the slowest node can apply (~200/s over 15 s).
        #expect(slowCount < 3300)
        #expect(lab.nodes[2].effectiveFCLimit == 28)
        #expect(lab.nodes[0].flowControlPaused > Time.s(3))
    }

    @Test func rejoinUsesISTWhenTheGapFitsTheGcacheAndSSTOtherwise() {
        func rejoin(gcache: Int) -> (ist: Bool, at: SimTime)? {
            let lab = GaleraLab { _, c in c.gcacheWriteSets = gcache; c.sstDuration = Time.s(60) }
            let a = lab.app(0)
            a.startWorkload(writesPerSecond: 100, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(120))
            lab.sim.at(Time.s(10)) { lab.nodes[2].crash() }
            lab.sim.at(Time.s(30)) { lab.nodes[2].start() }
            lab.sim.run(until: Time.s(130))
            #expect(lab.nodes[2].storage.appliedTxids.count == lab.nodes[0].storage.appliedTxids.count)
            #expect(lab.nodes[2].storage.appliedTxids.subtracting(lab.nodes[0].storage.appliedTxids).isEmpty)
            return lab.nodes[2].transfers.first.map { ($0.ist, $0.at) }
        }
        // ~2000 write-sets missed: a 100k gcache holds them, a 500 one does not.
        let ist = rejoin(gcache: 100_000)
        #expect(ist?.ist == true)
        #expect(ist.map { $0.at < Time.s(40) } == true)
        let sst = rejoin(gcache: 500)
        #expect(sst?.ist == false)
        #expect(sst.map { $0.at >= Time.s(95) } == true)
    }

    @Test func wholeClusterRestartReformsWhenAllReturn() {
        // pc.recovery: the last Primary Component's members re-form it once they all see each other.
        let lab = GaleraLab()
        let a = lab.app(0)
        a.startWorkload(writesPerSecond: 100, updateFraction: 0.2, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(40))
        lab.sim.at(Time.s(10)) { for n in lab.nodes { n.crash() } }
        lab.sim.at(Time.s(15)) { for n in lab.nodes { n.start() } }
        lab.sim.run(until: Time.s(42))
        #expect(lab.nodes.allSatisfy { $0.isReady })
        #expect(a.ledger.contains { $0.issuedAt > Time.s(25) })
        #expect(Set(lab.nodes.map { $0.storage.appliedTxids.count }).count == 1)
    }

    @Test func wholeClusterRestartNeedsABootstrapThenTheOthersJoin() {
        let lab = GaleraLab()
        let a = lab.app(0)
        a.startWorkload(writesPerSecond: 100, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(60))
        lab.sim.at(Time.s(10)) { for n in lab.nodes { n.crash() } }
        // db1 comes back first, alone: 1 of the last Primary Component's 3 votes.
        lab.sim.at(Time.s(15)) { lab.nodes[0].start() }
        lab.sim.at(Time.s(40)) { lab.nodes[1].start(); lab.nodes[2].start() }
        lab.sim.run(until: Time.s(30))
        #expect(lab.nodes[0].clusterStatus == "non-Primary")
        #expect(a.failures.contains { $0.code == 1047 })
        let before = a.ledger.count
        lab.nodes[0].bootstrap()
        lab.sim.run(until: Time.s(62))
        #expect(lab.nodes.allSatisfy { $0.isReady })
        #expect(a.ledger.count > before + 2000)
        // The joiners take IST from db1's seqno on: they hold all db1 has. A write-set another node
        // had committed past db1's position before the crash stays only there (db1 was not the most
        // advanced node: real Galera cannot tell either).
        for n in lab.nodes.dropFirst() {
            #expect(lab.nodes[0].storage.appliedTxids.subtracting(n.storage.appliedTxids).isEmpty)
            #expect(n.storage.appliedTxids.subtracting(lab.nodes[0].storage.appliedTxids).count < 5)
        }
    }
}

@Suite struct GaleraPartitionTests {
    @Test func theMinoritySideOfAPartitionRefusesAndRejoinsAfterTheHeal() {
        let lab = GaleraLab()
        let a = lab.app(0), c = lab.app(2, index: 1)
        for x in [a, c] { x.startWorkload(writesPerSecond: 50, updateFraction: 0.2, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(60)) }
        let minority = [lab.nodes[2].host.id], majority = [lab.nodes[0].host.id, lab.nodes[1].host.id]
        lab.sim.at(Time.s(10)) { lab.net.partition(minority, majority) }
        lab.sim.at(Time.s(30)) { lab.net.heal(minority, majority) }
        lab.sim.run(until: Time.s(25))
        #expect(lab.nodes[2].clusterStatus == "non-Primary")
        #expect(lab.nodes[0].clusterStatus == "Primary")
        #expect(c.failures.contains { $0.code == 1047 })
        #expect(a.ledger.contains { $0.issuedAt > Time.s(16) && $0.issuedAt < Time.s(25) })
        lab.sim.run(until: Time.s(62))
        #expect(lab.nodes.allSatisfy { $0.isReady })
        #expect(c.ledger.contains { $0.issuedAt > Time.s(40) })
        #expect(Set(lab.nodes.map { $0.storage.appliedTxids.count }).count == 1)
        #expect(Set(lab.nodes.map { $0.storage.row(.counters, 1)!.value }).count == 1)
    }
}
