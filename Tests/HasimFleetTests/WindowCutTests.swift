import Foundation
import HasimKernel
import HasimScenario
import Testing
@testable import HasimFleet

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// HeartBeat + Mon's 1.5 million lost transactions a fleet-year (docs/fleet.md, "What drives
/// each figure") were one library window: db1's host crash with a repair of 30 min 56.7 s. The
/// window's workload ends 30 min after the failure, but the run goes on for the scenario's
/// 60 s quiesce, and db1 booted inside it (1,916.7 s of 1,920): auto_failback moved the VIP to
/// db1 three seconds before the final state was read, while db1 had not yet fetched the writes
/// db2 took in those 30 minutes. All of them were counted lost, the rows divergent. The composer
/// already treats a repair after the window's end as after it; the window now does too.
@Suite(.serialized) struct WindowCutTests {
    private var config: FleetConfig {
        var c = FleetConfig()
        c.window = 30 * Time.minute
        c.writesPerSecond = 20
        return c
    }

    private func heartbeat() throws -> Scenario {
        try ScenarioLoader.load(path: repoRoot + "/scenarios/architectures/heartbeat-mon.yaml")
    }

    private func hostCrash(repair: SimTime) -> [SampledFailure] {
        [SampledFailure(component: .host, target: 0, at: 0, repair: repair)]
    }

    @Test func aRepairInTheQuiesceIsNotSimulated() throws {
        let s = try heartbeat()
        let t = FaultTargets(s)
        let seed: UInt64 = 3_846_392_355_588_275_869   // the library entry of scripts/main's fleet view
        let inQuiesce = hostCrash(repair: 30 * Time.minute + Time.ms(56_658))
        // Before the cut: the failback at the run's last seconds reads as the whole window lost.
        let uncut = try IncidentLevel.simulate(s, failures: inQuiesce, targets: t, config: config, seed: seed)
        #expect(uncut.lostTransactions > 10_000)
        #expect(uncut.divergentRows > 10_000)
        // With the cut: db1 stays down to the end, db2 holds every write.
        let cut = try WindowCut.simulate(s, failures: inQuiesce, targets: t, config: config, seed: seed)
        #expect(cut.lostTransactions < 10)
        #expect(cut.divergentRows == 0)
        #expect(cut.failovers == 1)
        // A failback inside the window is not lossy in itself: db1 catches up from db2 (dual
        // master, interleaved keys) before the end. So the loss was the measurement instant.
        let inWindow = try WindowCut.simulate(s, failures: hostCrash(repair: 20 * Time.minute), targets: t,
                                              config: config, seed: seed)
        #expect(inWindow.failovers == 2)
        #expect(inWindow.lostTransactions < 10)
        #expect(inWindow.divergentRows == 0)
    }

    @Test func onlyRepairsAfterTheWindowAreCut() {
        let w = 30 * Time.minute
        let f = [SampledFailure(component: .host, target: 0, at: 0, repair: 10 * Time.minute),
                 SampledFailure(component: .nic, target: 1, at: 5 * Time.minute, repair: 31 * Time.minute)]
        let g = WindowCut.simulated(f, window: w)
        #expect(g[0].repair == 10 * Time.minute)          // ends inside (window ends 35 min after the first)
        #expect(g[1].repair == WindowCut.never)          // 36 min > 35 min
    }
}
