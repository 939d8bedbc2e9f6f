import Foundation
import GRDB
import Testing
import HasimKernel
import HasimScenario
import HasimResults
@testable import HasimCLI

private let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

@Suite("Re-running stored runs")
struct RerunTests {
    /// The resolved scenario loads back to the same scenario: emitting it again gives the
    /// same text, for every scenario file of the repository.
    @Test func resolvedScenarioIsAFixedPoint() throws {
        let files = try ScenarioFiles.expand([repoRoot + "/scenarios"])
        #expect(files.count > 20)
        for f in files {
            let s = try ScenarioLoader.load(path: f)
            let yaml = ScenarioYAML.emit(s)
            let back = try ScenarioLoader.load(text: yaml, file: s.file)
            #expect(ScenarioYAML.emit(back) == yaml, "\(f)")
            #expect(ScenarioParameters.json(back) == ScenarioParameters.json(s), "\(f)")
        }
    }

    /// `hasim rerun` reproduces stored runs row for row; a tampered stored scenario is
    /// caught. A representative subset, seed 1 each, because scripts/main's 30-minute
    /// architectures take minutes in a debug build: the report fixtures (manual and single,
    /// the shape of scripts/main's comparison) and one scenario per front door and
    /// clustering kind (proxy, VIP, Galera, DRBD with an unresolved split brain). Every
    /// scenario file, scripts/main's included, is checked to load back from its resolved
    /// YAML above.
    @Test func rerunReproducesStoredRuns() throws {
        let scenarios = try Runner.load(try ScenarioFiles.expand([
            repoRoot + "/Tests/HasimReportTests/Fixtures/compare",
            repoRoot + "/scenarios/regressions/front-doors/haproxy-backup.yaml",
            repoRoot + "/scenarios/regressions/front-doors/vip-failover.yaml",
            repoRoot + "/scenarios/regressions/galera/galera-one-of-three-dies.yaml",
            repoRoot + "/scenarios/regressions/disk/drbd-no-fencing-split-brain.yaml",
        ]))
        let jobs = Runner.jobs(scenarios, seeds: [1])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hasim-rerun-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("main.sqlite").path
        try Runner.write(try Runner.run(jobs), to: path, command: "compare", arguments: [])
        let ids = try ResultsStore(path: path).runs().map(\.id)
        #expect(ids.count == scenarios.count)
        // `hasim rerun --all`: every run, in parallel, in run-id order.
        let all = try Rerun.rerunAll(database: path)
        #expect(all.map(\.run) == ids)
        for r in all { #expect(r.differences.isEmpty, "run \(r.run): \(r.differences)") }
        // Flip: a stored scenario whose commits take 9.8 ms instead of 0.8 ms is no longer the run.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE runs SET scenario_yaml = replace(scenario_yaml, 'commit_latency: 8', 'commit_latency: 98') WHERE id = ?",
                           arguments: [ids[0]])
        }
        let tampered = try Rerun.rerun(database: path, run: ids[0])
        #expect(tampered.differences.contains("parameters"))
        #expect(tampered.differences.contains("metrics"))
        #expect(try Rerun.rerunAll(database: path).filter { !$0.differences.isEmpty }.map(\.run) == [ids[0]])
    }

    @Test func refusesARunWithoutAStoredScenario() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hasim-rerun-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("old.sqlite").path
        let store = try ResultsStore(path: path)
        let inv = try store.beginInvocation(command: "run", arguments: [], hasimVersion: "t")
        let id = try store.write(RunReport(scenarioName: "old", scenarioFile: "old.yaml", strategy: "single", seed: 1,
                                           duration: 1, parametersJSON: "{}", hasimVersion: "t"), invocation: inv)
        try store.close()
        let error = #expect(throws: CLIError.self) { _ = try Rerun.rerun(database: path, run: id) }
        #expect(error?.description.contains("no stored scenario") == true)
    }
}
