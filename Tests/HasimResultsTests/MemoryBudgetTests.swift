import Foundation
import Testing
import HasimKernel
import HasimScenario
import HasimStore
@testable import HasimCLI

/// `--max-memory` (issue 17): a run whose process passes the budget stops with an error
/// naming the run, how far it got and what grows; runs already finished are kept in the
/// database and the invocation stays marked incomplete. The resident memory is given by
/// the test (the real one is the whole test process's).
@Suite struct MemoryBudgetTests {
    static func scenario(_ name: String, duration: String) throws -> Scenario {
        try ScenarioLoader.load(text: """
        name: \(name)
        duration: \(duration)
        quiesce: 1s
        topology:
          sites:
            idc1: [db1, db2, app1]
          databases:
            db1: {role: primary}
            db2: {role: replica, source: db1}
        architecture:
          strategy: manual
        workload:
          client: app1
          writes_per_second: 200
        """, file: "\(name).yaml")
    }

    @Test func aRunPastTheBudgetStopsNamingItAndFinishedRunsAreKept() throws {
        let short = try Self.scenario("short", duration: "1s")
        let long = try Self.scenario("long", duration: "2h")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hasim-memory-\(UUID().uuidString).sqlite").path
        let sink = try ResultsSink(path: path, command: "run", arguments: [], plannedJobs: 2)
        let watch = RunWatch(memoryBudget: 1 << 30, residentBytes: { 2 << 30 })
        var message = ""
        do {
            _ = try Runner.run([RunJob(scenario: short, seed: 1), RunJob(scenario: long, seed: 1)], parallel: false, sink: sink, watch: watch)
            Issue.record("the long run was not stopped")
        } catch { message = "\(error)" }
        try? sink.finish(complete: false)
        #expect(message.hasPrefix("long.yaml seed 1: run stopped: long (seed 1) stopped at simulated "))
        #expect(message.contains("resident memory 2048 MB passed --max-memory 1024 MB"))
        #expect(message.contains("acknowledged writes in the ledger"))
        let store = try ResultsStore(path: path)
        #expect(try store.runs().map(\.scenarioName) == ["short"])
        #expect(try store.incompleteInvocations().first?.written == 1)
        try store.close()
        // The flip: under the budget the same long run finishes.
        let roomy = RunWatch(memoryBudget: 4 << 30, residentBytes: { 2 << 30 })
        #expect(try Runner.run([RunJob(scenario: try Self.scenario("long", duration: "2m"), seed: 1)], parallel: false, watch: roomy).count == 1)
    }

    /// A run whose ledger alone cannot fit is refused before anything is built (the mutation run
    /// found a ten-year Galera run at 200 writes/s that looked like a hang: 6e10 writes).
    @Test func aRunTooLargeForTheBudgetIsRefusedBeforeItStarts() throws {
        let decade = try Self.scenario("decade", duration: "87840h")
        var message = ""
        do {
            _ = try Runner.run([RunJob(scenario: decade, seed: 1)], parallel: false,
                               watch: RunWatch(memoryBudget: 1 << 30, residentBytes: { 0 }))
            Issue.record("the ten-year run was not refused")
        } catch { message = "\(error)" }
        #expect(message.contains("decade (seed 1) refused: in 87840 h"), "\(message)")
        #expect(message.contains("66.4 billion writes") && message.contains("over --max-memory 1024 MB"), "\(message)")
        #expect(message.contains("needs 1.2 TB") && message.contains("hasim fleet"), "\(message)")
        // The flip: a budget that holds the ledger lets it start; the resident-memory watch then
        // stops it at its first look (given 4 EB resident), not the preflight.
        do {
            _ = try Runner.run([RunJob(scenario: decade, seed: 1)], parallel: false,
                               watch: RunWatch(memoryBudget: 1 << 62, residentBytes: { UInt64(1) << 63 }))
        } catch { message = "\(error)" }
        #expect(message.contains("stopped at simulated") && !message.contains("refused"), "\(message)")
    }

    /// The watch sees each run in flight advance in simulated time (the progress line of
    /// a long run), and forgets it when it ends.
    @Test func theWatchFollowsARunInSimulatedTime() throws {
        final class Seen: @unchecked Sendable { var times: [SimTime] = []; var watch: RunWatch? }
        let seen = Seen()
        let watch = RunWatch(memoryBudget: 1 << 40, residentBytes: {
            if let w = seen.watch { seen.times += w.runsInFlight.map(\.now) }
            return 0
        })
        seen.watch = watch
        _ = try ScenarioRunner.run(try Self.scenario("long", duration: "10m"), seed: 1, watch: watch)
        #expect(seen.times.count > 3)
        #expect(seen.times == seen.times.sorted() && seen.times.last! > Time.minute)
        #expect(watch.runsInFlight.isEmpty)
    }

    @Test func sizesParseAsAUserWritesThem() throws {
        #expect(try MemoryBudget.bytes("4G") == 4 << 30)
        #expect(try MemoryBudget.bytes("512M") == 512 << 20)
        #expect(try MemoryBudget.bytes("1.5g") == 3 << 29)
        #expect(try MemoryBudget.bytes("2GB") == 2 << 30)
        #expect(try MemoryBudget.bytes("0") == nil)
        #expect(throws: CLIError.self) { try MemoryBudget.bytes("lots") }
        #expect(throws: CLIError.self) { try MemoryBudget.bytes("-1G") }
        // The default: half of MemTotal.
        if let total = RunWatch.machineMemoryBytes() { #expect(try MemoryBudget.bytes(nil) == total / 2) }
    }
}
