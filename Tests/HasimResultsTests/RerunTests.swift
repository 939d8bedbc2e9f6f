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

    /// `hasim rerun` reproduces the runs of scripts/main (scenarios/architectures, every
    /// architecture; seed 1 of each to keep the suite's time down) row for row; a tampered
    /// stored scenario is caught.
    @Test func rerunReproducesTheMainComparison() throws {
        let scenarios = try Runner.load(try ScenarioFiles.expand([repoRoot + "/scenarios/architectures"]))
        let jobs = Runner.jobs(scenarios, seeds: [1])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hasim-rerun-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("main.sqlite").path
        try Runner.write(try Runner.run(jobs), to: path, command: "compare", arguments: [])
        let ids = try ResultsStore(path: path).runs().map(\.id)
        #expect(ids.count == scenarios.count)
        for id in ids {
            let o = try Rerun.rerun(database: path, run: id)
            #expect(o.differences.isEmpty, "run \(id): \(o.differences)")
        }
        // Flip: a stored scenario whose replica applies more slowly is no longer the run.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE runs SET scenario_yaml = replace(scenario_yaml, 'sql_thread_rate: 2000.0', 'sql_thread_rate: 20.0') WHERE id = ?",
                           arguments: [ids[0]])
        }
        let tampered = try Rerun.rerun(database: path, run: ids[0])
        #expect(tampered.differences.contains("parameters"))
        #expect(tampered.differences.contains("metrics"))
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
