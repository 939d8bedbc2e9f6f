import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase
import HasimWorkload

/// db1 (Primary, mysqld running) and db2 (Secondary, mysqld stopped) on one DRBD resource.
final class DRBDLab {
    let sim: Simulation
    let net: Network
    let db1: MySQLServer
    let db2: MySQLServer
    let drbd: DRBDResource
    let appHost: Host

    init(_ proto: DRBDProtocol, linkDelay: SimTime = 0) {
        sim = Simulation(seed: 1)
        net = Network(sim: sim)
        net.sameSite = LinkSpec(latency: .constant(Time.us(200)))
        let h1 = net.addHost("db1", site: "lan")
        let h2 = net.addHost("db2", site: "lan")
        appHost = net.addHost("app", site: "lan")
        db1 = MySQLServer(name: "db1", host: h1, network: net, config: ServerConfig(serverID: 1))
        db2 = MySQLServer(name: "db2", host: h2, network: net, config: ServerConfig(serverID: 2))
        for s in [db1, db2] { s.seed(hotRows: 10); s.start(immediately: true) }
        db2.stop()
        if linkDelay > 0 { net.addLatency([h1.id], [h2.id], linkDelay) }
        var c = DRBDConfig()
        c.proto = proto
        drbd = DRBDResource(primary: db1, secondary: db2, network: net, config: c)
        drbd.start()
    }

    func app() -> ApplicationClient {
        ApplicationClient(name: "app", host: appHost, network: net, address: "db1", config: ClientConfig(), clientIndex: 0)
    }

    func medianLatency(_ app: ApplicationClient) -> SimTime {
        let l = app.ledger.map { $0.ackedAt - $0.issuedAt }.sorted()
        return l[l.count / 2]
    }
}

@Suite struct DRBDDeviceTests {
    @Test func protocolCWaitsForThePeerDiskAndTheSecondaryHasEveryAcknowledgedWrite() {
        var latency: [DRBDProtocol: SimTime] = [:]
        for p in DRBDProtocol.allCases {
            let lab = DRBDLab(p)
            let app = lab.app()
            app.startWorkload(writesPerSecond: 200, updateFraction: 0.3, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(5))
            lab.sim.run(until: Time.s(6))
            #expect(app.ledger.count > 800)
            latency[p] = lab.medianLatency(app)
            // The quiet link has delivered everything: the block copy is identical.
            #expect(lab.drbd.nodes[1].disk.appliedTxids == lab.db1.storage.appliedTxids)
            #expect(lab.db2.state == .down, "the Secondary serves nothing")
        }
        // C adds the round trip to db2 (2 x 200 us) and db2's disk write (500 us); B only the trip.
        #expect(latency[.C]! - latency[.A]! >= Time.us(850))
        #expect(latency[.B]! - latency[.A]! >= Time.us(350) && latency[.B]! < latency[.C]!)
    }

    @Test func aCrashOfThePrimaryLosesInFlightWritesOnlyUnderProtocolA() {
        for p in [DRBDProtocol.A, .C] {
            let lab = DRBDLab(p, linkDelay: Time.ms(20))
            let app = lab.app()
            app.startWorkload(writesPerSecond: 300, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(10))
            lab.sim.at(Time.s(5)) { lab.net.crashHost(lab.db1.host) }
            lab.sim.run(until: Time.s(6))
            let disk = lab.drbd.nodes[1].disk
            let missing = app.ledger.filter { !disk.appliedTxids.contains($0.txid) }.count
            if p == .A { #expect(missing >= 1) } else { #expect(missing == 0) }
        }
    }

    @Test func bothPrimaryWhileDisconnectedIsDetectedAsSplitBrainOnReconnect() {
        let lab = DRBDLab(.C)
        let app = lab.app()
        app.startWorkload(writesPerSecond: 100, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(60))
        lab.sim.run(until: Time.s(5))
        // Connected to a Primary: single-primary DRBD refuses the promotion.
        #expect(lab.drbd.promote(lab.drbd.nodes[1]) != nil)
        lab.net.partition([lab.db1.host.id], [lab.db2.host.id])
        lab.sim.run(until: Time.s(25))
        #expect(lab.drbd.nodes[0].cstate == .wfConnection, "db1 gave up on db2 after `timeout` and writes alone")
        #expect(lab.drbd.promote(lab.drbd.nodes[1]) == nil)
        lab.drbd.mount(lab.drbd.nodes[1])
        lab.db2.start(immediately: true)
        lab.sim.run(until: Time.s(30))
        lab.net.heal([lab.db1.host.id], [lab.db2.host.id])
        lab.sim.run(until: Time.s(50))
        #expect(!lab.sim.trace.records(of: .drbdSplitBrain).isEmpty)
        #expect(lab.drbd.nodes.allSatisfy { $0.cstate == .standAlone })
    }
}
