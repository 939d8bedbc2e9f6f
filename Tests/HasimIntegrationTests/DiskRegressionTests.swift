import Testing
import Foundation
import HasimKernel
import HasimScenario
import HasimResults

/// DRBD and shared disk (FC-17, FC-18, FC-19), each with its cause flipped.
@Suite struct DiskRegressionTests {
    /// Loads a regression scenario; an edit that does not change the file fails the test.
    func scenario(_ name: String, _ edit: ((String) -> String)? = nil) throws -> Scenario {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/regressions/disk/" + name, encoding: .utf8)
        let edited = edit?(text) ?? text
        if edit != nil { #expect(edited != text, "the edit did not apply to \(name)") }
        return try ScenarioLoader.load(text: edited, file: name)
    }

    /// Median commit latency the application saw for writes issued in [from, to).
    func medianLatency(_ o: RunOutcome, from: SimTime, to: SimTime) -> SimTime {
        let l = o.ledger.filter { $0.issuedAt >= from && $0.issuedAt < to }.map { $0.ackedAt - $0.issuedAt }.sorted()
        return l.isEmpty ? 0 : l[l.count / 2]
    }

    /// DRBD's loss in the fleet view: the Secondary's NIC fails, the Primary goes on alone after
    /// DRBD's timeout, and the Secondary (the DC) wins the fence race and promotes a copy without
    /// those writes. Flip: priority_fencing_delay lets the node running the resources win.
    @Test func drbdSecondaryNICFenceRaceLoses() throws {
        let name = "drbd-secondary-nic-fence-race-loses.yaml"
        for seed: UInt64 in [1, 3] {
            let r = MetricsCalculator.report(try ScenarioRunner.run(try scenario(name), seed: seed))
            #expect(r.metric("failovers") == 1, "seed \(seed)")
            #expect(r.metric("lost_transactions")! >= 300, "seed \(seed)")
        }
        let delayed = MetricsCalculator.report(try ScenarioRunner.run(try scenario(name) {
            $0.replacingOccurrences(of: "  strategy: drbd\n", with: "  strategy: drbd\n  options: {priority_fencing_delay: 15s}\n")
        }, seed: 1))
        #expect(delayed.metric("failovers") == 0)
        #expect(delayed.metric("lost_transactions") == 0)
    }

    @Test func protocolCLosesNoAcknowledgedCommitWhereProtocolACan() throws {
        let aRun = try ScenarioRunner.run(scenario("drbd-protocol-a-loses-in-flight.yaml"), seed: 1)
        let a = MetricsCalculator.report(aRun)
        #expect(a.metric("lost_transactions")! >= 1, "protocol A: writes still in db1's send buffer die with it")
        #expect(a.metric("failovers") == 1)
        let cRun = try ScenarioRunner.run(scenario("drbd-protocol-a-loses-in-flight.yaml") {
            $0.replacingOccurrences(of: "options: {protocol: A}", with: "options: {protocol: C}")
        }, seed: 1)
        let c = MetricsCalculator.report(cRun)
        #expect(c.metric("lost_transactions") == 0)
        // The price of C: every commit waits for the round trip to db2 (+20 ms each way) and its disk.
        let latA = medianLatency(aRun, from: Time.s(20), to: Time.s(55))
        let latC = medianLatency(cRun, from: Time.s(20), to: Time.s(55))
        #expect(latA < Time.ms(5))
        #expect(latC > Time.ms(40) && latC < Time.ms(60))
        // Before the link slowed down, C costs only the LAN round trip and the peer's disk write.
        let latC0 = medianLatency(cRun, from: Time.s(1), to: Time.s(9))
        #expect(latC0 < Time.ms(5) && latC0 > medianLatency(aRun, from: Time.s(1), to: Time.s(9)))
        // Protocol B: the packet must reach db2's memory, not its disk: nothing lost here either.
        let b = MetricsCalculator.report(try ScenarioRunner.run(scenario("drbd-protocol-a-loses-in-flight.yaml") {
            $0.replacingOccurrences(of: "options: {protocol: A}", with: "options: {protocol: B}")
        }, seed: 1))
        #expect(b.metric("lost_transactions") == 0)
    }

    @Test func withoutFencingAPartitionMakesBothPrimary() throws {
        let open = MetricsCalculator.report(try ScenarioRunner.run(scenario("drbd-no-fencing-split-brain.yaml"), seed: 1))
        #expect(open.metric("split_brain_time")! > 30)
        #expect(open.metric("split_brain_writes")! >= 1)
        #expect(open.timeline.contains { $0.kind == "drbd_split_brain" })
        // Promotion waits until DRBD itself has seen the peer go (ping-int + ping-timeout).
        #expect(open.timeline.contains { $0.kind == "failover_step_failed" && $0.detail.contains("Multiple primaries") })
        // Flip the cause: STONITH. The node running the resources fences the other first.
        let fenced = MetricsCalculator.report(try ScenarioRunner.run(scenario("drbd-no-fencing-split-brain.yaml") {
            $0.replacingOccurrences(of: "options: {stonith: false}", with: "options: {stonith: true, priority_fencing_delay: 15s}")
        }, seed: 1))
        #expect(fenced.metric("split_brain_time") == 0)
        #expect(!fenced.timeline.contains { $0.kind == "drbd_split_brain" })
        #expect(fenced.timeline.contains { $0.kind == "host_crash" && $0.node == "db2" })
    }

    @Test func sharedDiskVersusDRBDVersusMHAOnTheSameCrash() throws {
        func run(_ f: String, _ edit: ((String) -> String)? = nil) throws -> RunReport {
            MetricsCalculator.report(try ScenarioRunner.run(scenario(f, edit), seed: 1))
        }
        let shared = try run("shared-disk-vs-primary-crash.yaml")
        let drbd = try run("drbd-vs-primary-crash.yaml")
        let mha = try run("mha-vs-primary-crash.yaml")
        #expect(shared.metric("lost_transactions") == 0)
        #expect(drbd.metric("lost_transactions") == 0)
        #expect(mha.metric("lost_transactions")! >= 1, "asynchronous replication: what db2 had not received is lost")
        #expect(shared.metric("write_downtime")! > drbd.metric("write_downtime")! + 2, "cman's 10 s token vs corosync's 3 s")
        // Flip the cause of the shared disk's longer downtime: the membership token.
        let shortToken = try run("shared-disk-vs-primary-crash.yaml") {
            $0.replacingOccurrences(of: "  strategy: shared-disk", with: "  strategy: shared-disk\n  options: {token: 3s}")
        }
        let d10 = shared.metric("write_downtime")!, d3 = shortToken.metric("write_downtime")!
        // 7 s more token and 8.4 s more consensus (1.2 x token) before the new membership,
        // give or take where each crash falls in the token loop (token / 4).
        #expect(d10 - d3 > 12 && d10 - d3 < 19, "\(d10) - \(d3)")
        // Crash recovery is part of it: more redo to replay, a longer outage (same loss).
        let slowRedo = try run("drbd-vs-primary-crash.yaml") {
            $0.replacingOccurrences(of: "architecture:", with: "mysql: {redo_apply_per_transaction: 2ms}\narchitecture:")
        }
        #expect(slowRedo.metric("write_downtime")! > drbd.metric("write_downtime")! + 10)
        #expect(slowRedo.metric("lost_transactions") == 0)
    }

    @Test func aSharedDiskIsNotMountedUntilTheFenceSucceeds() throws {
        // FC-19 variant A: the fence device does not answer within stonith-timeout.
        let blocked = MetricsCalculator.report(try ScenarioRunner.run(scenario("shared-disk-vs-primary-crash.yaml") {
            $0.replacingOccurrences(of: "  strategy: shared-disk", with: "  strategy: shared-disk\n  options: {fence_time: 90s}")
        }, seed: 1))
        #expect(blocked.timeline.contains { $0.kind == "failover_step_failed" && $0.detail.contains("stonith-timeout") })
        #expect(!blocked.timeline.contains { $0.kind == "failover_complete" })
        #expect(blocked.metric("write_downtime")! >= 59, "blocked from the crash at 60 s to the end at 2 min")
    }
}
