import Testing
import HasimKernel
@testable import HasimDatabase
@testable import HasimWorkload
@testable import HasimScenario
@testable import HasimResults

/// The definitions of docs/metrics.md on hand-made outcomes: who acknowledged what, which
/// writer group each server declared, where the front door is bound at the end. Each test
/// flips the one input the definition turns on.
@Suite("Measurement definitions")
struct MeasurementDefinitionTests {
    static let yaml = """
        name: synthetic
        duration: 30s
        quiesce: 0s
        topology:
          sites:
            idc1: [db1, db2, db3, app1, app2]
          databases:
            db1: {role: primary}
            db2: {role: replica, source: db1}
            db3: {role: replica, source: db1}
        architecture: {strategy: manual}
        workload:
          - {client: app1}
          - {client: app2}
        """

    /// One acknowledged write every `every` by each of `servers` in turn (round robin),
    /// over [from, to), for application group `group`.
    static func acks(_ servers: [String], from: SimTime, to: SimTime, every: SimTime = Time.ms(10),
                     group: Int = 0, firstTxid: Int64 = 1) -> [LedgerEntry] {
        var out: [LedgerEntry] = []
        var t = from, i = 0
        while t < to {
            out.append(LedgerEntry(txid: firstTxid + Int64(out.count) + (Int64(group) << 40), table: .orders, isInsert: true,
                                   key: Int64(out.count + 1), issuedAt: t - Time.ms(2), ackedAt: t,
                                   ackedBy: servers[i % servers.count], isProbe: false, group: group))
            t += every
            i += 1
        }
        return out
    }

    static func outcome(ledger: [LedgerEntry], trace: [TraceRecord] = [], addresses: [String] = ["10.0.0.100", "10.0.0.100"],
                        targets: [String] = ["db1"], data: [String: [Int64]] = [:]) throws -> RunOutcome {
        let scenario = try ScenarioLoader.load(text: yaml, file: "synthetic.yaml")
        let servers = ["db1", "db2", "db3"].map { name -> ServerSnapshot in
            var st = Storage()
            for txid in data[name] ?? [] { st.apply(.insert(table: .orders, key: txid, row: Row(value: 1, txid: txid)), txid: txid) }
            return ServerSnapshot(name: name, storage: st, isUp: true, source: nil, sqlRunning: false, replicationFailures: [])
        }
        let ledger = ledger.sorted { ($0.ackedAt, $0.txid) < ($1.ackedAt, $1.txid) }
        return RunOutcome(scenario: scenario, seed: 1, ledger: Ledger(ledger), reads: [], probes: [], probeGroups: [[], []],
                          failures: [], abandonedWrites: 0, trace: trace.sorted { $0.time < $1.time }, servers: servers,
                          finalPrimary: targets.count == 1 ? targets[0] : nil, frontDoorTargets: targets,
                          groups: addresses.enumerated().map { ApplicationGroupInfo(name: "app\($0.offset + 1)", client: "app\($0.offset + 1)", address: $0.element) },
                          samples: [], sampleInterval: Time.s(1), faults: [], eventsProcessed: 0, endTime: Time.s(30))
    }

    static func group(_ node: String, _ id: String, at t: SimTime = 0) -> TraceRecord {
        TraceRecord(time: t, node: node, kind: .writerGroup, detail: id)
    }

    @Test("Galera members of one Primary Component behind round robin: no split brain, no failover")
    func galeraOneComponent() throws {
        let ledger = Self.acks(["db1", "db2", "db3"], from: 0, to: Time.s(20))
        let one = MetricsCalculator.report(try Self.outcome(
            ledger: ledger, trace: ["db1", "db2", "db3"].map { Self.group($0, "view-1") }))
        #expect(one.metric("split_brain_time") == 0)
        #expect(one.metric("split_brain_writes") == 0)
        #expect(one.metric("failovers") == 0)
        // Flip: the same acknowledgements from three plain servers (no writer group) are
        // three writers behind one address: split brain the whole time.
        let plain = MetricsCalculator.report(try Self.outcome(ledger: ledger))
        #expect(try #require(plain.metric("split_brain_time")) > 19)
    }

    @Test("A view change inside one component is not a split brain; two Primary Components are")
    func galeraTwoComponents() throws {
        let ledger = Self.acks(["db1", "db2", "db3"], from: 0, to: Time.s(20))
        var trace = ["db1", "db2", "db3"].map { Self.group($0, "view-1") }
        // The nodes learn the new view a few ms apart: successive views share members.
        trace += [Self.group("db1", "view-2", at: Time.s(5)), Self.group("db2", "view-2", at: Time.s(5) + Time.ms(30)),
                  Self.group("db3", "view-2", at: Time.s(5) + Time.ms(60))]
        let viewChange = MetricsCalculator.report(try Self.outcome(ledger: ledger, trace: trace))
        #expect(viewChange.metric("split_brain_time") == 0)
        #expect(viewChange.metric("failovers") == 0)
        // Partition at 10 s with pc.ignore_quorum: {db1, db2} and {db3} both stay Primary.
        trace += [Self.group("db1", "pc-a", at: Time.s(10)), Self.group("db2", "pc-a", at: Time.s(10)),
                  Self.group("db3", "pc-b", at: Time.s(10))]
        let split = MetricsCalculator.report(try Self.outcome(ledger: ledger, trace: trace))
        let time = try #require(split.metric("split_brain_time"))
        #expect(time > 9.9 && time < 10.1)
        #expect(try #require(split.metric("split_brain_writes")) > 0)
    }

    @Test("A dual master written on both sides by design is two addresses: no split brain")
    func dualMasterByDesign() throws {
        let ledger = Self.acks(["db1"], from: 0, to: Time.s(20), group: 0)
            + Self.acks(["db2"], from: 0, to: Time.s(20), group: 1)
        let design = MetricsCalculator.report(try Self.outcome(ledger: ledger, addresses: ["db1", "db2"]))
        #expect(design.metric("split_brain_time") == 0)
        #expect(design.metric("failovers") == 0)
        // Flip: the same writes through ONE address (a VIP on two hosts): split brain.
        let vip = MetricsCalculator.report(try Self.outcome(ledger: ledger, addresses: ["10.0.0.100", "10.0.0.100"]))
        #expect(try #require(vip.metric("split_brain_time")) > 19)
    }

    @Test("A failback counts two failovers; an outage that ends on the same server counts none")
    func failbackCountsTwo() throws {
        let trace = [TraceRecord(time: Time.s(10), node: "db1", kind: .hostCrash, detail: ""),
                     TraceRecord(time: Time.s(18), node: "db1", kind: .mysqlReady, detail: ""),
                     TraceRecord(time: Time.s(12), node: "db2", kind: .failoverStart, detail: "")]
        let ledger = Self.acks(["db1"], from: 0, to: Time.s(10)) + Self.acks(["db2"], from: Time.s(12), to: Time.s(20))
            + Self.acks(["db1"], from: Time.s(22), to: Time.s(30))
        let r = MetricsCalculator.report(try Self.outcome(ledger: ledger, trace: trace))
        #expect(r.metric("failovers") == 2)
        #expect(r.metric("announced_failovers") == 1, "the strategy announced only the first")
        // db1 was down at the first; db2 was serving at the failback.
        #expect(r.failovers.map(\.isFalse) == [false, true])
        #expect(r.metric("false_failovers") == 1)
        // Flip: the writes come back on db1 itself after the outage: no failover at all.
        let back = MetricsCalculator.report(try Self.outcome(
            ledger: Self.acks(["db1"], from: 0, to: Time.s(10)) + Self.acks(["db1"], from: Time.s(12), to: Time.s(30)), trace: trace))
        #expect(back.metric("failovers") == 0)
    }

    @Test("Two VIP holders at the end: ambiguous, writes at risk on each side, nothing picked")
    func ambiguousFinalPrimary() throws {
        // db1 writes 1...1000 (txids), db2 from 10 s; each side has only its own writes.
        let a = Self.acks(["db1"], from: 0, to: Time.s(30), every: Time.ms(30))
        let b = Self.acks(["db2"], from: Time.s(10), to: Time.s(30), every: Time.ms(30), firstTxid: 5000)
        let data = ["db1": a.map(\.txid), "db2": b.map(\.txid)]
        let r = MetricsCalculator.report(try Self.outcome(ledger: a + b, targets: ["db1", "db2"], data: data))
        #expect(r.metric("final_primary_ambiguous") == 1)
        #expect(r.metric("lost_transactions") == 0, "every write is on one side or the other")
        #expect(r.metric("writes_at_risk") == Double(a.count + b.count))
        #expect(r.splitBrainSides.filter { $0.atRisk > 0 }.map(\.side) == ["db1", "db2"])
        // Flip: the tools name one holder and only db2 still writes at the end: resolved, and
        // db1's writes that db2 lacks are lost.
        let resolved = MetricsCalculator.report(try Self.outcome(
            ledger: Self.acks(["db1"], from: 0, to: Time.s(10), every: Time.ms(30)) + b, targets: ["db2"], data: data))
        #expect(resolved.metric("final_primary_ambiguous") == 0)
        #expect(try #require(resolved.metric("lost_transactions")) > 0)
        #expect(resolved.metric("writes_at_risk") == 0)
    }

    @Test("RTO: every incident, the headline is the max")
    func rtoIsTheMax() throws {
        var o = try Self.outcome(ledger: Self.acks(["db1"], from: 0, to: Time.s(5))
                                 + Self.acks(["db1"], from: Time.s(5) + Time.ms(1), to: Time.s(10))
                                 + Self.acks(["db1"], from: Time.s(20), to: Time.s(30)))
        o.faults = [AppliedFault(index: 0, kind: "latency_spike", target: "db1", at: Time.s(5), recoveredAt: nil),
                    AppliedFault(index: 1, kind: "host_crash", target: "db1", at: Time.s(10), recoveredAt: nil)]
        let r = MetricsCalculator.report(o)
        let first = try #require(r.incidents[0].rto), second = try #require(r.incidents[1].rto)
        #expect(first < Time.ms(20))
        #expect(second >= Time.s(10))
        #expect(r.metric("rto") == Time.seconds(second))
        #expect(r.metric("max_rto") == Time.seconds(second))
        #expect(r.metric("mean_rto") == Time.seconds(first + second) / 2)
    }
}
