import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase
import HasimWorkload

/// A primary, a replica and an application host on one LAN.
final class Lab {
    let sim: Simulation
    let net: Network
    let primary: MySQLServer
    let replica: MySQLServer
    let appHost: Host

    init(seed: UInt64 = 1, sqlThreadRate: Double = 2000) {
        sim = Simulation(seed: seed)
        net = Network(sim: sim)
        net.sameSite = LinkSpec(latency: .constant(Time.us(200)))
        let h1 = net.addHost("db1", site: "lan")
        let h2 = net.addHost("db2", site: "lan")
        appHost = net.addHost("app", site: "lan")
        var c1 = ServerConfig(serverID: 1)
        c1.sqlThreadRate = sqlThreadRate
        var c2 = ServerConfig(serverID: 2)
        c2.sqlThreadRate = sqlThreadRate
        c2.readOnlyAtStartup = true
        primary = MySQLServer(name: "db1", host: h1, network: net, config: c1)
        replica = MySQLServer(name: "db2", host: h2, network: net, config: c2)
        for s in [primary, replica] { s.seed(hotRows: 10) }
        replica.configureReplica(of: "db1")
        primary.start(immediately: true)
        replica.start(immediately: true)
    }

    func app(address: IPAddress = "db1", name: String = "app", index: Int = 0) -> ApplicationClient {
        ApplicationClient(name: name, host: appHost, network: net, address: address, config: ClientConfig(), clientIndex: index)
    }
}

@Suite struct ReplicationTests {
    @Test func replicaCatchesUpWhenItCanApplyFasterThanTheLoad() {
        let lab = Lab(sqlThreadRate: 2000)
        let app = lab.app()
        app.startWorkload(writesPerSecond: 300, updateFraction: 0.3, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(20))
        lab.sim.run(until: Time.s(21))
        #expect(app.ledger.count > 5000)
        #expect(lab.replica.relayLogBacklog == 0)
        #expect(lab.replica.storage.gtidExecuted == lab.primary.storage.gtidExecuted)
        #expect(lab.replica.storage.appliedTxids == lab.primary.storage.appliedTxids)
    }

    @Test func lagGrowsWhenTheLoadExceedsTheSQLThreadRate() {
        let lab = Lab(sqlThreadRate: 300)
        let app = lab.app()
        app.startWorkload(writesPerSecond: 500, updateFraction: 0.2, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(60))
        lab.sim.run(until: Time.s(10))
        let backlog10 = lab.replica.relayLogBacklog
        let behind10 = lab.replica.replicaStatus?.secondsBehind ?? 0
        lab.sim.run(until: Time.s(30))
        let backlog30 = lab.replica.relayLogBacklog
        let behind30 = lab.replica.replicaStatus?.secondsBehind ?? 0
        // Arrivals 500/s, apply 300/s: the backlog grows by ~200 transactions a second.
        #expect(backlog10 > 1200 && backlog10 < 2800)
        #expect(backlog30 > backlog10 + 3000)
        // Seconds_Behind_Master grows at 1 - 300/500 = 0.4 s per second: ~8 s over 20 s.
        #expect(behind30 > behind10 + Time.s(6) && behind30 < behind10 + Time.s(10))
        // The IO thread kept up: everything committed was received.
        #expect(lab.replica.replicaStatus!.retrieved.count + 0 >= lab.primary.storage.gtidExecuted.count - 5)
    }

    @Test func insertOfAnExistingKeyStopsTheSQLThreadWith1062() throws {
        let lab = Lab()
        // An errant write lands on the replica (read_only was lifted by mistake): it takes
        // auto-increment key 1 there; the primary later gives key 1 to another row.
        let admin = AdminClient(name: "dba", host: lab.appHost, network: lab.net)
        admin.execute(.setReadOnly(false), on: "db2") { _ in }
        lab.sim.run(until: Time.ms(10))
        let onReplica = lab.app(address: "db2", name: "errant", index: 1)
        onReplica.submit(.insert(table: .orders, txid: 0), isProbe: false)
        lab.sim.run(until: Time.ms(50))
        #expect(onReplica.ledger.first?.key == 1)
        let app = lab.app()
        app.submit(.insert(table: .orders, txid: 0), isProbe: false)
        lab.sim.run(until: Time.s(1))
        #expect(app.ledger.first?.key == 1)
        let failure = try #require(lab.replica.replicationFailures.first)
        #expect(failure.error.code == 1062)
        #expect(failure.thread == "sql")
        let st = try #require(lab.replica.replicaStatus)
        #expect(!st.sqlRunning)
        #expect(st.ioRunning == "Yes", "the IO thread keeps running after an SQL thread error")
        #expect(st.lastSQLError?.code == 1062)
        // Later events pile up in the relay log, unapplied.
        app.submit(.insert(table: .orders, txid: 0), isProbe: false)
        lab.sim.run(until: Time.s(2))
        #expect(lab.replica.relayLogBacklog == 2)
    }

    @Test func updateOfAMissingRowStopsTheSQLThreadWith1032() throws {
        let sim = Simulation(seed: 3)
        let net = Network(sim: sim)
        let h1 = net.addHost("db1", site: "lan"), h2 = net.addHost("db2", site: "lan"), ha = net.addHost("app", site: "lan")
        let p = MySQLServer(name: "db1", host: h1, network: net, config: ServerConfig(serverID: 1))
        let r = MySQLServer(name: "db2", host: h2, network: net, config: ServerConfig(serverID: 2))
        p.seed(hotRows: 5)
        r.seed(hotRows: 2)  // the replica lacks rows 3..5
        r.configureReplica(of: "db1")
        p.start(immediately: true)
        r.start(immediately: true)
        let app = ApplicationClient(name: "app", host: ha, network: net, address: "db1", config: ClientConfig())
        app.submit(.update(table: .counters, key: 4, txid: 0), isProbe: false)
        sim.run(until: Time.s(1))
        #expect(app.ledger.count == 1)
        let f = try #require(r.replicationFailures.first)
        #expect(f.error.code == 1032)
    }

    @Test func readOnlyServerRefusesWritesWith1290() {
        let lab = Lab()
        let app = lab.app(address: "db2")
        app.submit(.insert(table: .orders, txid: 0), isProbe: false)
        lab.sim.run(until: Time.s(2))
        #expect(app.ledger.isEmpty)
        #expect(app.failures.first?.code == 1290)
    }

    @Test func replicaNoticesASilentSourceAfterSlaveNetTimeoutAndAKilledOneAtOnce() {
        // Host crash: nothing tells the replica; it gives up after slave_net_timeout (60 s).
        let lab = Lab()
        lab.sim.run(until: Time.s(1))
        lab.net.crashHost(lab.primary.host)
        lab.sim.run(until: Time.s(120))
        let silent = lab.sim.trace.records(of: .replicationIOError).first
        #expect(silent.map { $0.time >= Time.s(60) && $0.time <= Time.s(62) } == true)

        // mysqld killed: the host's kernel resets the connection; noticed within a trip.
        let lab2 = Lab()
        lab2.sim.run(until: Time.s(1))
        lab2.primary.crash()
        lab2.sim.run(until: Time.s(5))
        let reset = lab2.sim.trace.records(of: .replicationIOError).first
        #expect(reset.map { $0.time < Time.s(1) + Time.ms(5) } == true)
    }

    @Test func restartedServerKeepsCommittedDataAndTakesRecoveryTime() {
        let lab = Lab()
        let app = lab.app()
        app.startWorkload(writesPerSecond: 200, updateFraction: 0, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(5))
        lab.sim.run(until: Time.s(5))
        let committed = lab.primary.storage.gtidExecuted
        lab.net.crashHost(lab.primary.host)
        lab.net.restartHost(lab.primary.host)  // autostart: mysqld starts and recovers
        // Start-up (600 ms) + redo replay of the 1,000 commits since the checkpoint (150 us each):
        // 0.75 s, as MariaDB 10.11 on this machine (validation/results/async-kill9.json).
        lab.sim.run(until: Time.s(5) + Time.ms(700))
        #expect(lab.primary.state == .starting)
        lab.sim.run(until: Time.s(5) + Time.ms(800))
        #expect(lab.primary.state == .running)
        #expect(lab.primary.storage.gtidExecuted == committed)
        for e in app.ledger { #expect(lab.primary.storage.appliedTxids.contains(e.txid)) }
    }
}

@Suite struct GTIDSetTests {
    @Test func insertsMergeIntoRangesAndContainsAgrees() {
        var s = GTIDSet()
        for n in [1, 2, 3, 7, 5, 6, 10] as [Int64] { s.insert(GTID(origin: 1, seq: n)) }
        s.insert(GTID(origin: 2, seq: 1))
        #expect(s.description == "1:1-3:5-7:10,2:1")
        #expect(s.contains(GTID(origin: 1, seq: 6)))
        #expect(!s.contains(GTID(origin: 1, seq: 4)))
        #expect(!s.contains(GTID(origin: 3, seq: 1)))
        s.insert(GTID(origin: 1, seq: 4))
        #expect(s.description == "1:1-7:10,2:1")
        #expect(s.count == 9)
        #expect(s.highest(of: 1) == 10)
        var t = GTIDSet()
        t.insert(GTID(origin: 1, seq: 2))
        #expect(t.isSubset(of: s))
        #expect(!s.isSubset(of: t))
    }
}

@Suite struct TopologyTests {
    @Test func chainedReplicaReceivesThroughTheIntermediateWithLogSlaveUpdates() throws {
        let lab = Lab()
        let h3 = lab.net.addHost("db3", site: "lan")
        var c3 = ServerConfig(serverID: 3)
        c3.readOnlyAtStartup = true
        let leaf = MySQLServer(name: "db3", host: h3, network: lab.net, config: c3)
        leaf.seed(hotRows: 10)
        leaf.configureReplica(of: "db2")  // db1 -> db2 -> db3
        leaf.start(immediately: true)
        let app = lab.app()
        app.startWorkload(writesPerSecond: 200, updateFraction: 0.3, hotRows: 10, probeInterval: 0, start: 0, stop: Time.s(5))
        lab.sim.run(until: Time.s(7))
        #expect(app.ledger.count > 800)
        #expect(leaf.storage.gtidExecuted == lab.primary.storage.gtidExecuted)
        for e in app.ledger { #expect(leaf.storage.appliedTxids.contains(e.txid)) }
    }

    @Test func withoutLogSlaveUpdatesTheChainStopsAtTheIntermediate() throws {
        let sim = Simulation(seed: 2)
        let net = Network(sim: sim)
        let hs = ["db1", "db2", "db3", "app"].map { net.addHost($0, site: "lan") }
        var c2 = ServerConfig(serverID: 2)
        c2.logSlaveUpdates = false
        let s1 = MySQLServer(name: "db1", host: hs[0], network: net, config: ServerConfig(serverID: 1))
        let s2 = MySQLServer(name: "db2", host: hs[1], network: net, config: c2)
        let s3 = MySQLServer(name: "db3", host: hs[2], network: net, config: ServerConfig(serverID: 3))
        s2.configureReplica(of: "db1")
        s3.configureReplica(of: "db2")
        for s in [s1, s2, s3] { s.seed(hotRows: 1); s.start(immediately: true) }
        let app = ApplicationClient(name: "app", host: hs[3], network: net, address: "db1", config: ClientConfig())
        for _ in 0..<5 { app.submit(.insert(table: .orders, txid: 0), isProbe: false) }
        sim.run(until: Time.s(2))
        #expect(s2.storage.rowCount(.orders) == 5)
        #expect(s3.storage.rowCount(.orders) == 0, "MySQL 5.7's default: a replica does not log what it applies")
    }

    @Test func superReadOnlyStopsTheToolsOwnWritesButNotReplication() throws {
        let lab = Lab()
        let admin = AdminClient(name: "tool", host: lab.appHost, network: lab.net)
        var results: [QueryResult] = []
        admin.execute(.setSuperReadOnly(true), on: "db2") { if case .success(let r) = $0 { results.append(r) } }
        lab.sim.run(until: Time.ms(10))
        #expect(lab.replica.readOnly && lab.replica.superReadOnly)
        let event = BinlogEvent(gtid: GTID(origin: 9, seq: 1), txid: 77,
                                change: .insert(table: .orders, key: 500, row: Row(value: 77, txid: 77)), originalCommit: 0)
        admin.execute(.applyEvents([event]), on: "db2") { if case .success(let r) = $0 { results.append(r) } }
        lab.sim.run(until: Time.ms(20))
        #expect(results.last == .error(.superReadOnly))
        // read_only alone lets the SUPER tool write.
        admin.execute(.setReadOnly(false), on: "db2") { _ in }
        admin.execute(.setReadOnly(true), on: "db2") { _ in }
        lab.sim.run(until: Time.ms(30))
        #expect(!lab.replica.superReadOnly)
        admin.execute(.applyEvents([event]), on: "db2") { if case .success(let r) = $0 { results.append(r) } }
        lab.sim.run(until: Time.ms(40))
        #expect(results.last == .ok(affected: 1, insertID: nil))
        // Replication applies under super_read_only.
        admin.execute(.setSuperReadOnly(true), on: "db2") { _ in }
        let app = lab.app()
        app.submit(.insert(table: .orders, txid: 0), isProbe: false)
        lab.sim.run(until: Time.ms(200))
        #expect(lab.replica.storage.rowCount(.orders) == 2)
    }
}
