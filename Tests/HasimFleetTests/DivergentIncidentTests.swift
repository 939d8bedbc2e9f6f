import Foundation
import HasimKernel
import HasimScenario
import Testing
@testable import HasimFleet

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// A divergent incident is two histories to reconcile (4 DBA hours), not a stale copy. MHA + DNS
/// counted 55.6 a fleet-year from site cuts alone: the replica in the other IDC, still cut off (or
/// still fetching) when the window ended, lacked 46,900 rows and had nothing of its own; MHA + VIP
/// counted 12.8 from the old primary that kept the VIP MHA could not remove over SSH, a stale
/// copy that took no write (docs/fleet.md, "What drives each figure").
@Suite struct DivergentIncidentTests {
    private func result(rows: Double, errant: Double) -> IncidentResult {
        IncidentResult(downtime: 0, lostTransactions: 0, replicationCrashes: 0, splitBrainTime: 0,
                       divergentRows: rows, errantTransactions: errant, failovers: 0, downAtEnd: false, startupTime: 0)
    }

    @Test func staleRowsAloneAreNotDivergent() throws {
        let s = try ScenarioLoader.load(path: repoRoot + "/scenarios/architectures/mha.yaml")
        let composer = Composer(config: FleetConfig(), targets: FaultTargets(s), processes: [])
        let f = [SampledFailure(component: .nic, target: 0, at: 0, repair: 5 * Time.minute)]
        let inc = FleetIncident(cluster: 0, start: 0, failures: f)
        var stale = Totals(), split = Totals()
        composer.add(inc, failures: f, result: result(rows: 46_694, errant: 0), to: &stale)
        // Flip: the same rows with transactions only the other side has (keepalived's failback).
        composer.add(inc, failures: f, result: result(rows: 46_694, errant: 150), to: &split)
        #expect(stale.divergent == 0 && stale.pages == 0)
        #expect(split.divergent == 1 && split.pages == 1)
    }
}
