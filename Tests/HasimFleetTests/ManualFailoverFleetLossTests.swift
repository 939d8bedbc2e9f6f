import Foundation
import HasimKernel
import HasimScenario
import Testing
@testable import HasimFleet

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Where the manual failover's yearly loss comes from (docs/fleet.md, "Why the manual failover
/// loses acknowledged transactions"): not the composition, but the runbook. A NIC failure cuts
/// the primary off; the DBA confirms it is down and promotes the replica, but the application
/// keeps its JDBC URL until the redeploy (response_delay, 10 min). If the NIC comes back in
/// between, the application writes to the old primary again, and every write it acknowledges
/// there is missing on the new primary after the redeploy.
@Suite(.serialized) struct ManualFailoverFleetLossTests {
    private func manual(responseDelay: String? = nil) throws -> Scenario {
        var text = try String(contentsOfFile: repoRoot + "/scenarios/architectures/manual.yaml", encoding: .utf8)
        if let responseDelay {
            text = text.replacingOccurrences(of: "  strategy: manual\n",
                                             with: "  strategy: manual\n  options: {response_delay: \(responseDelay)}\n")
        }
        return try ScenarioLoader.load(text: text, file: "manual.yaml")
    }

    /// The settings of scripts/main's fleet view (30-minute windows at 20 writes/s). The window
    /// must hold the whole runbook: with the first check at a seeded phase, alert + detection_delay
    /// + promote_time + response_delay end up to ~21 min after the failure, and a redeploy after
    /// the window's end would hide the loss (a 20-minute window did for seed 1).
    private var config: FleetConfig {
        var c = FleetConfig()
        c.window = 30 * Time.minute
        c.writesPerSecond = 20
        return c
    }

    private func nicFailure(repair: SimTime, _ s: Scenario) throws -> IncidentResult {
        try IncidentLevel.simulate(s, failures: [SampledFailure(component: .nic, target: 0, at: 0, repair: repair)],
                                   targets: FaultTargets(s), config: config, seed: 1)
    }

    /// The primary's NIC back before the DBA has checked it (3 min: the DBA stands down), after
    /// the promotion but before the redeploy (12 min: loss), or only after the window (40 min: the
    /// application was moved first, nothing lost). Flip: with the redeploy at once
    /// (response_delay 0) the 12-minute case loses nothing.
    @Test func lossIsTheOldPrimaryReturningBeforeTheRedeploy() throws {
        let s = try manual()
        let early = try nicFailure(repair: 3 * Time.minute, s)
        let between = try nicFailure(repair: 12 * Time.minute, s)
        let late = try nicFailure(repair: 40 * Time.minute, s)
        // At most the few writes the cut caught between their OK and their binlog event's arrival.
        #expect(early.lostTransactions < 10 && early.failovers == 0)
        #expect(late.lostTransactions < 10)
        // From the heal (12 min) to the redeploy (about 19 min after the failure) at ~30 statements/s.
        #expect(between.failovers == 1)
        #expect(between.lostTransactions > 5_000)

        let atOnce = try nicFailure(repair: 12 * Time.minute, try manual(responseDelay: "0s"))
        #expect(atOnce.failovers == 1)
        #expect(atOnce.lostTransactions < 10)
    }
}
