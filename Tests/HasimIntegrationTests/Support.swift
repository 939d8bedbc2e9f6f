import Foundation
import GRDB
import Testing
import HasimScenario

/// The repository root, found from this file's path.
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hasim-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}

/// Every row of every user table, as text, in a stable order: what "identical
/// results databases row for row" compares.
func allRows(of path: String) throws -> [String: [String]] {
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(30)  // parallel readers of one WAL database: see ReportTests' query()
    let db = try DatabaseQueue(path: path, configuration: config)
    return try db.read { db in
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        var out: [String: [String]] = [:]
        for t in tables {
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(t)\" ORDER BY rowid")
            out[t] = rows.map { $0.description }
        }
        return out
    }
}

/// A regression scenario file loaded with some of its text replaced (its cause flipped);
/// each replaced text must still be in the file, so a flip never silently does nothing.
func editedScenario(_ path: String, _ edits: [(String, String)] = [],
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Scenario {
    var text = try String(contentsOfFile: path, encoding: .utf8)
    let file = (path as NSString).lastPathComponent
    for (old, new) in edits {
        #expect(text.contains(old), "\(file) no longer contains \(old)", sourceLocation: sourceLocation)
        text = text.replacingOccurrences(of: old, with: new)
    }
    return try ScenarioLoader.load(text: text, file: file)
}
