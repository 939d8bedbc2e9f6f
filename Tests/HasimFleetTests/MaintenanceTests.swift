import Foundation
import HasimKernel
import HasimScenario
import Testing
@testable import HasimFleet

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path

/// Planned maintenance as a fault process (issue 15, item 1): the primary's quarterly patch, run
/// as the tool's own planned switchover at transaction level, for the tools that have one.
@Suite struct MaintenanceTests {
    func architecture(_ name: String) throws -> Scenario {
        try ScenarioLoader.load(path: repoRoot + "/scenarios/architectures/\(name).yaml")
    }

    @Test func maintenanceIsTheToolsSwitchoverToTheFirstReplica() throws {
        let mha = FaultTargets(try architecture("mha"))
        #expect(mha.count(.maintenance) == 1)
        #expect(mha.name(.maintenance, 0) == "db1")
        let f = SampledFailure(component: .maintenance, target: 0, at: Time.s(60), repair: Time.hour)
        #expect(mha.faults(f, at: Time.s(60)).map(\.kind) == [.switchover(to: "db2")])
        // Flip: keepalived has no planned switchover in hasim, so nothing to maintain this way.
        #expect(FaultTargets(try architecture("keepalived")).count(.maintenance) == 0)
    }

    @Test func theFleetAddsItOnlyWhenAskedAndCountsItsHours() throws {
        let s = try architecture("mha")
        let targets = FaultTargets(s)
        var config = FleetConfig()
        #expect(!FleetSimulator.processes(for: s, targets: targets, config: config).contains { $0.component == .maintenance })
        #expect(!config.json.contains("maintenance"), "studies without it keep their settings text")
        config.maintenancePerYear = 4
        let procs = FleetSimulator.processes(for: s, targets: targets, config: config)
        #expect(procs.first { $0.component == .maintenance }?.afr == 4)
        #expect(config.json.contains("\"maintenance_per_year\":4.0"))
        // A switchover that went well: writes back in a fraction of a second, one writer change,
        // no page; the DBA's hour of planned work, and no reintegration on top (the switchover
        // made the old primary a replica itself).
        let composer = Composer(config: config, targets: targets, processes: procs)
        let f = [SampledFailure(component: .maintenance, target: 0, at: 0, repair: Time.hour)]
        let ok = IncidentResult(downtime: 0.2, lostTransactions: 0, replicationCrashes: 0, splitBrainTime: 0,
                                divergentRows: 0, failovers: 1, downAtEnd: false, startupTime: 0)
        var t = Totals()
        composer.add(FleetIncident(cluster: 0, start: 0, failures: f), failures: f, result: ok, to: &t)
        #expect(t.pages == 0 && t.dbaHours == config.human.maintenance)
        // Flip: the same result from a host crash is a failover to reintegrate (1 h), not planned work.
        let crash = [SampledFailure(component: .host, target: 0, at: 0, repair: Time.hour)]
        var c = Totals()
        composer.add(FleetIncident(cluster: 0, start: 0, failures: crash), failures: crash, result: ok, to: &c)
        #expect(c.dbaHours == config.human.reintegrate)
    }

    @Test func scenariosRefuseMaintenanceWhereTheToolHasNoSwitchover() throws {
        let text = try String(contentsOfFile: repoRoot + "/scenarios/architectures/keepalived.yaml", encoding: .utf8)
            + "fault_processes:\n  maintenance: {}\n"
        do {
            _ = try ScenarioLoader.load(text: text, file: "k.yaml")
            Issue.record("accepted")
        } catch {
            #expect("\(error)".contains("has no planned switchover"))
        }
    }
}
