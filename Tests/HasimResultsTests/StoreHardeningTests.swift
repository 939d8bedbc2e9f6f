import Foundation
import GRDB
import Testing
@testable import HasimStore

/// The results database refuses what it must not touch and keeps what it was given
/// (issue 17): another application's SQLite file is never altered, a file that is not
/// SQLite is named in a clear error, and an invocation that did not finish stays visible.
@Suite struct StoreHardeningTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hasim-store-hardening-\(UUID().uuidString)")

    func path(_ name: String) throws -> String {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name).path
    }

    @Test func anotherApplicationsDatabaseIsRefusedAndLeftUnchanged() throws {
        let p = try path("app.sqlite")
        let q = try DatabaseQueue(path: p)
        try q.write { try $0.execute(sql: "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('a')") }
        try q.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: p))
        #expect(throws: ResultsStoreError.notHasimDatabase(path: p, tables: ["customers"])) { try ResultsStore(path: p) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: p)) == before)
        // The flip: an empty SQLite file (no tables) is taken and becomes a results database.
        let empty = try path("empty.sqlite")
        try DatabaseQueue(path: empty).close()
        let store = try ResultsStore(path: empty)
        try store.close()
        try FileManager.default.removeItem(at: folder)
    }

    @Test func aFileThatIsNotSQLiteIsNamed() throws {
        let p = try path("notes.txt")
        try Data(String(repeating: "not a database\n", count: 100).utf8).write(to: URL(fileURLWithPath: p))
        #expect(throws: ResultsStoreError.notSQLite(path: p)) { try ResultsStore(path: p) }
        #expect(throws: ResultsStoreError.emptyPath) { try ResultsStore(path: "") }
        try FileManager.default.removeItem(at: folder)
    }

    @Test func anUnfinishedInvocationIsListedWithItsMissingRuns() throws {
        let p = try path("r.sqlite")
        let store = try ResultsStore(path: p)
        let inv = try store.beginInvocation(command: "compare", arguments: [], hasimVersion: "t", plannedRuns: 3)
        _ = try store.write(tinyReport(1, "a"), invocation: inv)
        #expect(try store.incompleteInvocations() == [.init(id: inv, command: "compare", planned: 3, written: 1)])
        // The flip: the same invocation, finished, is complete.
        try store.finishInvocation(inv)
        #expect(try store.incompleteInvocations().isEmpty)
        // A one-shot writer (no planned count) is complete from the start.
        _ = try store.beginInvocation(command: "run", arguments: [], hasimVersion: "t")
        #expect(try store.incompleteInvocations().isEmpty)
        try store.close()
        try FileManager.default.removeItem(at: folder)
    }

    @Test func twoWritersShareOneDatabase() throws {
        let p = try path("shared.sqlite")
        let a = try ResultsStore(path: p)
        let b = try ResultsStore(path: p)
        let ia = try a.beginInvocation(command: "run", arguments: [], hasimVersion: "t")
        let ib = try b.beginInvocation(command: "run", arguments: [], hasimVersion: "t")
        _ = try a.write(tinyReport(1, "a"), invocation: ia)
        _ = try b.write(tinyReport(2, "b"), invocation: ib)
        #expect(try a.runs().map(\.seed) == [1, 2])
        try a.close(); try b.close()
        try FileManager.default.removeItem(at: folder)
    }
}

private func tinyReport(_ seed: UInt64, _ scenario: String) -> RunReport {
    RunReport(scenarioName: scenario, scenarioFile: "scenarios/\(scenario).yaml", strategy: "single", seed: seed,
              duration: 60_000_000_000, parametersJSON: "{}", hasimVersion: "t",
              metrics: [MetricValue(name: "write_downtime", value: 1, unit: "s")])
}
