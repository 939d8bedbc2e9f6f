import Foundation
import GRDB
import HasimStore
@testable import HasimCLI

let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

let fixtures = repoRoot + "/Tests/HasimReportTests/Fixtures/compare"

func temporaryFolder(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "hasim-report-tests-\(name)-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.removeItem(atPath: path)
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// `hasim compare` run once on the fixtures (two architectures x two seeds), with
/// its database and report, shared by the tests that read them.
struct ComparedFixtures: Sendable {
    let database: String
    let folder: String
    let html: String
    let markdown: String

    static let shared: ComparedFixtures = {
        let dir = temporaryFolder("compare")
        let db = dir + "/compare.sqlite"
        var command = try! Hasim.parseAsRoot(["compare", fixtures, "--out", db, "--report", dir + "/report", "--quiet"])
        try! command.run()
        return ComparedFixtures(
            database: db, folder: dir + "/report",
            html: try! String(contentsOfFile: dir + "/report/report.html", encoding: .utf8),
            markdown: try! String(contentsOfFile: dir + "/report/report.md", encoding: .utf8))
    }()
}

/// Plain SQL on a results database, independent of ResultsStore's readers.
func query<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    // Tests of one suite read the same WAL database in parallel; the last connection to
    // close checkpoints the log under an exclusive lock, so an open at that instant is
    // SQLITE_BUSY unless it waits (CI failed once on exactly this).
    var config = Configuration()
    config.readonly = true
    config.busyMode = .timeout(30)
    let q = try DatabaseQueue(path: path, configuration: config)
    defer { try? q.close() }
    return try q.read(body)
}

/// A minimal run for a hand-made database.
func syntheticRun(name: String, file: String, strategy: String = "manual", seed: UInt64,
                  metrics: [MetricValue], timeline: [TimelineRow] = [], group: String? = nil,
                  faults: String = #"[{"at_ns":60000000000,"host_crash":"db1","recover_after_ns":null}]"#) -> RunReport {
    let groupPart = group.map { #""group":"\#($0)","# } ?? ""
    let params = #"{"duration_ns":600000000000,"faults":\#(faults),"file":"\#(file)",\#(groupPart)"name":"\#(name)","options":{},"quiesce_ns":30000000000,"strategy":"\#(strategy)","topology":{"databases":[{"host":"db1","role":"primary","source":null},{"host":"db2","role":"replica","source":"db1"}],"sites":[{"hosts":["db1","app1"],"name":"idc1"},{"hosts":["db2"],"name":"idc2"}]},"workload":{"client":"app1","probe_interval_ns":100000000}}"#
    var probes: [ProbeRow] = []
    var t: Int64 = 0
    while t < 600_000_000_000 {
        probes.append(ProbeRow(time: t, ok: t < 60_000_000_000 || t > 200_000_000_000, latency: 1_000_000, error: nil))
        t += 1_000_000_000
    }
    return RunReport(scenarioName: name, scenarioFile: file, strategy: strategy, seed: seed,
                     duration: 600_000_000_000, parametersJSON: params, hasimVersion: "0.1.0",
                     metrics: metrics, incidents: [IncidentRow(faultIndex: 0, kind: "host_crash", target: "db1",
                                                               start: 60_000_000_000, firstFailure: 60_100_000_000,
                                                               recovered: 200_000_000_000, rto: 140_000_000_000)],
                     timeline: timeline, probes: probes)
}

func writeDatabase(_ path: String, _ runs: [RunReport]) throws {
    let store = try ResultsStore(path: path)
    let inv = try store.beginInvocation(command: "test", arguments: ["test"], hasimVersion: "0.1.0")
    for r in runs { _ = try store.write(r, invocation: inv) }
    try store.close()
}

extension String {
    /// Every match of `pattern`'s first capture group.
    func captures(_ pattern: String) -> [String] {
        let re = try! NSRegularExpression(pattern: pattern)
        let ns = self as NSString
        return re.matches(in: self, range: NSRange(location: 0, length: ns.length)).map { m in
            m.range(at: 1).location == NSNotFound ? "" : ns.substring(with: m.range(at: 1))
        }
    }
}
