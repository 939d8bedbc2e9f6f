import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase
import HasimWorkload

/// A source and `replicas` semi-sync replicas; replica i is `latencies[i]` away (one way).
final class SemiSyncLab {
    let sim = Simulation(seed: 5)
    let net: Network
    let source: MySQLServer
    var replicas: [MySQLServer] = []
    let app: ApplicationClient

    init(waitPoint: SemiSyncWaitPoint = .afterSync, timeout: SimTime = Time.s(10),
         latencies: [SimTime] = [Time.ms(1)], waitCount: Int = 1, waitNoReplica: Bool = true) {
        net = Network(sim: sim)
        net.sameSite = LinkSpec(latency: .constant(Time.us(100)))
        let h0 = net.addHost("db1", site: "a")
        let appHost = net.addHost("app", site: "a")
        var ss = SemiSyncConfig()
        ss.sourceEnabled = true
        ss.replicaEnabled = true
        ss.waitPoint = waitPoint
        ss.timeout = timeout
        ss.waitForReplicaCount = waitCount
        ss.waitNoReplica = waitNoReplica
        var c = ServerConfig(serverID: 1)
        c.semiSync = ss
        source = MySQLServer(name: "db1", host: h0, network: net, config: c)
        source.seed(hotRows: 5)
        for (i, lat) in latencies.enumerated() {
            let site = "r\(i)"
            let h = net.addHost("db\(i + 2)", site: site)
            net.setLink("a", site, LinkSpec(latency: .constant(lat)))
            var rc = ServerConfig(serverID: UInt32(i + 2))
            rc.semiSync = ss
            rc.readOnlyAtStartup = true
            let r = MySQLServer(name: "db\(i + 2)", host: h, network: net, config: rc)
            r.seed(hotRows: 5)
            r.configureReplica(of: "db1")
            replicas.append(r)
        }
        source.start(immediately: true)
        for r in replicas { r.start(immediately: true) }
        var cc = ClientConfig()
        cc.queryTimeout = Time.s(30)
        app = ApplicationClient(name: "app", host: appHost, network: net, address: "db1", config: cc)
        sim.run(until: Time.ms(100))  // replicas connect
    }

    /// Commits one insert and returns its commit latency as the client saw it.
    func timedInsert() -> SimTime? {
        let before = app.ledger.count
        let t0 = sim.now
        app.submit(.insert(table: .orders, txid: 0), isProbe: false)
        sim.run(until: t0 + Time.s(40))
        return app.ledger.count > before ? app.ledger.last!.ackedAt - t0 : nil
    }
}

@Suite struct SemiSyncTests {
    @Test func commitWaitsOneRoundTripToTheReplica() throws {
        let lab = SemiSyncLab(latencies: [Time.ms(10)])
        let latency = try #require(lab.timedInsert())
        // commit work (~0.8 ms) + 10 ms to the replica + 10 ms back for the ACK (+ client trips).
        #expect(latency > Time.ms(20) && latency < Time.ms(23))
        let async = SemiSyncLab(latencies: [Time.ms(10)])
        async.source.stopReplicaThreads()
        #expect(async.source.semiSyncOn)
    }

    @Test func timeoutBlocksCommitsThenFallsBackToAsyncAndReturns() throws {
        let lab = SemiSyncLab(timeout: Time.s(10), latencies: [Time.ms(1)])
        lab.replicas[0].stopReplicaThreads()  // the replica stops ACKing (IO thread stopped)
        lab.sim.run(until: lab.sim.now + Time.ms(10))
        let stalled = try #require(lab.timedInsert())
        #expect(stalled >= Time.s(10) && stalled < Time.s(10) + Time.ms(10))
        #expect(!lab.source.semiSyncOn)
        #expect(lab.sim.trace.records(of: .semiSyncOff).count == 1)
        // Now asynchronous: commits return at once.
        let fast = try #require(lab.timedInsert())
        #expect(fast < Time.ms(5))
        // The replica comes back, catches up, and semi-sync switches on again.
        lab.replicas[0].startReplicaThreads()
        lab.sim.run(until: lab.sim.now + Time.s(1))
        #expect(lab.source.semiSyncOn)
        let again = try #require(lab.timedInsert())
        #expect(again > Time.ms(2) && again < Time.ms(6))
    }

    @Test func shorterTimeoutShortensTheStall() throws {
        let lab = SemiSyncLab(timeout: Time.s(2), latencies: [Time.ms(1)])
        lab.replicas[0].stopReplicaThreads()
        lab.sim.run(until: lab.sim.now + Time.ms(10))
        let stalled = try #require(lab.timedInsert())
        #expect(stalled >= Time.s(2) && stalled < Time.s(2) + Time.ms(10))
    }

    @Test func waitNoSlaveOffSwitchesToAsyncAtOnceWithoutReplicas() throws {
        let lab = SemiSyncLab(latencies: [Time.ms(1)], waitNoReplica: false)
        lab.replicas[0].stopReplicaThreads()
        lab.sim.run(until: lab.sim.now + Time.ms(10))
        let latency = try #require(lab.timedInsert())
        #expect(latency < Time.ms(5))
        #expect(!lab.source.semiSyncOn)
    }

    @Test func oneAckIsEnoughSoReplicasDiffer() throws {
        // wait_for_slave_count = 1: the near replica's ACK releases the commit while
        // the far one has not received it yet.
        let lab = SemiSyncLab(latencies: [Time.ms(1), Time.ms(50)])
        let t0 = lab.sim.now
        lab.app.submit(.insert(table: .orders, txid: 0), isProbe: false)
        lab.sim.run(until: t0 + Time.ms(10))
        let acked = try #require(lab.app.ledger.last)
        #expect(lab.replicas[0].replicaStatus!.retrieved.count == 1)
        #expect(lab.replicas[1].replicaStatus!.retrieved.count == 0, "the far replica does not have the acknowledged commit yet")
        #expect(acked.ackedBy == "db1")
        let lab2 = SemiSyncLab(latencies: [Time.ms(1), Time.ms(50)], waitCount: 2)
        let both = try #require(lab2.timedInsert())
        #expect(both > Time.ms(100), "with wait_for_slave_count=2 the far replica's round trip counts")
    }

    @Test func afterCommitShowsTheRowBeforeTheAckAfterSyncDoesNot() throws {
        for point in [SemiSyncWaitPoint.afterCommit, .afterSync] {
            let lab = SemiSyncLab(waitPoint: point, latencies: [Time.ms(20)])
            let reader = ApplicationClient(name: "reader", host: lab.net.host(named: "app")!, network: lab.net,
                                           address: "db1", config: ClientConfig(), clientIndex: 1)
            let t0 = lab.sim.now
            lab.app.submit(.insert(table: .orders, txid: 0), isProbe: false)
            // Read while the writer waits for the ACK (~40 ms round trip to the replica).
            lab.sim.run(until: t0 + Time.ms(5))
            reader.submit(.selectLatest(table: .orders), isProbe: false)
            lab.sim.run(until: t0 + Time.ms(10))
            #expect(lab.app.ledger.isEmpty, "the writer is still waiting for the ACK")
            if point == .afterCommit {
                #expect(reader.reads.count == 1, "AFTER_COMMIT: other sessions see the row before the ACK")
            } else {
                #expect(reader.reads.isEmpty, "AFTER_SYNC: nothing is visible until a replica has it")
            }
            lab.sim.run(until: t0 + Time.ms(100))
            #expect(lab.app.ledger.count == 1)
        }
    }

    @Test func afterSyncTransactionInTheBinlogIsCommittedByCrashRecovery() throws {
        let lab = SemiSyncLab(waitPoint: .afterSync, latencies: [Time.ms(20)])
        let t0 = lab.sim.now
        lab.app.submit(.insert(table: .orders, txid: 0), isProbe: false)
        lab.sim.run(until: t0 + Time.ms(5))
        #expect(lab.source.storage.preparedInBinlog.count == 1)
        lab.net.crashHost(lab.source.host)
        lab.net.restartHost(lab.source.host)
        lab.sim.run(until: t0 + Time.s(10))
        #expect(lab.source.state == .running)
        #expect(lab.source.storage.preparedInBinlog.isEmpty)
        #expect(lab.source.storage.rowCount(.orders) == 1, "the binlog decides: the prepared transaction commits")
        #expect(lab.app.ledger.isEmpty, "but its client never saw an acknowledgement")
    }

    @Test func hotRowUpdatesQueueBehindARowLockedForTheAck() throws {
        let lab = SemiSyncLab(waitPoint: .afterSync, latencies: [Time.ms(10)])
        for _ in 0..<3 { lab.app.submit(.update(table: .counters, key: 1, txid: 0), isProbe: false) }
        lab.sim.run(until: lab.sim.now + Time.s(1))
        #expect(lab.app.ledger.count == 3)
        #expect(lab.source.storage.row(.counters, 1)?.value == 3, "no update is lost to the lock window")
        let acks = lab.app.ledger.map(\.ackedAt).sorted()
        #expect(acks[2] - acks[0] > Time.ms(35), "each waits for the previous one's ACK")
        lab.sim.run(until: lab.sim.now + Time.s(1))
        #expect(lab.replicas[0].storage.row(.counters, 1)?.value == 3)
    }
}
