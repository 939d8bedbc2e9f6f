import Foundation
import Testing
import GRDB
import HasimKernel
import HasimStore
@testable import HasimReport
@testable import HasimCLI

/// The report as a user gets it from `hasim compare --report`, checked against the
/// database it was written from.
@Suite struct ReportTests {
    let f = ComparedFixtures.shared

    @Test func compareWritesOneDatabaseWithAllRuns() throws {
        let (runs, invocations, command, scenarios) = try query(f.database) { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE status = 'complete'")!,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invocations")!,
             try String.fetchOne(db, sql: "SELECT command FROM invocations")!,
             try String.fetchAll(db, sql: "SELECT DISTINCT scenario_file FROM runs ORDER BY 1"))
        }
        // Two scenario files x their two seeds, one invocation.
        #expect(runs == 4)
        #expect(invocations == 1)
        #expect(command == "compare")
        #expect(scenarios.map { ($0 as NSString).lastPathComponent } == ["manual.yaml", "single.yaml"])
        #expect(FileManager.default.fileExists(atPath: f.folder + "/report.html"))
        #expect(FileManager.default.fileExists(atPath: f.folder + "/report.md"))
    }

    /// Every mean and range in report.md's comparison table equals what SQL computes
    /// from the metrics table, to the precision printed.
    @Test func markdownNumbersEqualTheDatabase() throws {
        let lines = f.markdown.components(separatedBy: "\n")
        let headerIndex = try #require(lines.firstIndex { $0.hasPrefix("| Architecture | Strategy | Runs |") })
        let titles = cells(lines[headerIndex])
        var rowsChecked = 0
        for line in lines[(headerIndex + 2)...] {
            guard line.hasPrefix("|") else { break }
            let c = cells(line)
            let arch = c[0]
            let runs = try query(f.database) { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs WHERE scenario_name = ?", arguments: [arch])!
            }
            #expect(Int(c[2]) == runs)
            for (title, text) in zip(titles.dropFirst(3), c.dropFirst(3)) {
                let metric = try #require(ReportMetric.comparison.first { $0.title == title }, "column \(title)")
                let (avg, lo, hi, n) = try sqlStats(arch, metric.name)
                let shown = text.replacingOccurrences(of: "**", with: "")
                if n == 0 {
                    #expect(shown == "—" || shown == "never", "\(arch) \(metric.name): \(shown)")
                    continue
                }
                let parsed = try #require(parse(shown), "\(arch) \(metric.name): cannot read '\(shown)'")
                #expect(abs(parsed.mean - avg) <= parsed.tolerance, "\(arch) \(metric.name): shown \(shown), database mean \(avg)")
                if let (a, b) = parsed.range {
                    #expect(abs(a - lo) <= parsed.tolerance && abs(b - hi) <= parsed.tolerance, "\(arch) \(metric.name) range \(shown) vs \(lo)–\(hi)")
                } else if lo != hi {
                    // No range printed: the spread is below the printed precision.
                    #expect(hi - lo <= 2 * parsed.tolerance, "\(arch) \(metric.name): spread \(lo)–\(hi) not shown")
                }
            }
            rowsChecked += 1
        }
        #expect(rowsChecked == 2)
    }

    /// The exact values behind the HTML tables (data- attributes) equal the database's.
    @Test func htmlValuesEqualTheDatabase() throws {
        // Comparison table: one row per architecture, data-mean/min/max per metric.
        let rows = f.html.components(separatedBy: "<tr><td><span class=\"dot c").dropFirst()
        var checked = 0
        for row in rows {
            let body = row.components(separatedBy: "</tr>")[0]
            guard body.contains("data-metric") else { continue }   // parameter table headers
            let arch = try #require(body.captures(#"^\d+"></span>([^<]+)<br>"#).first)
            let name = arch.replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
            for m in ReportMetric.comparison {
                let (avg, lo, hi, n) = try sqlStats(name, m.name)
                let mean = body.captures(#"data-metric="\#(m.name)" data-mean="([^"]+)""#)
                if n == 0 {
                    #expect(mean.isEmpty)
                    continue
                }
                let v = try #require(Double(mean.first ?? ""), "\(name) \(m.name)")
                #expect(abs(v - avg) <= 1e-9 * max(1, abs(avg)))
                #expect(Double(body.captures(#"data-metric="\#(m.name)"[^>]* data-min="([^"]+)""#).first ?? "") == lo)
                #expect(Double(body.captures(#"data-metric="\#(m.name)"[^>]* data-max="([^"]+)""#).first ?? "") == hi)
            }
            checked += 1
        }
        #expect(checked == 2)

        // All runs: every metric cell carries the stored value exactly.
        let runRows = f.html.components(separatedBy: "<tr data-run=\"").dropFirst()
        #expect(runRows.count == 4)
        for row in runRows {
            let id = try #require(Int64(row.prefix { $0.isNumber }))
            let body = row.components(separatedBy: "</tr>")[0]
            for m in ReportMetric.comparison {
                let stored = try query(f.database) { db in
                    try Double?.fetchOne(db, sql: "SELECT value FROM metrics WHERE run_id = ? AND name = ?", arguments: [id, m.name])
                }
                let shown = body.captures(#"data-metric="\#(m.name)" data-value="([^"]+)""#).first.flatMap(Double.init)
                #expect(shown == stored.flatMap { $0 }, "run \(id) \(m.name)")
            }
        }
    }

    @Test func htmlReferencesNothingOutsideItself() throws {
        let lower = f.html.lowercased()
        for bad in ["http:", "https:", "//", "src=", "@import", "url(", "<script", "<link", "<img", "<iframe",
                    "<object", "<embed", "xlink:href", "@font-face"] {
            #expect(!lower.contains(bad), "report.html contains \(bad)")
        }
        // Links only to places in the page, and to the repository's own validation page (what a
        // link says about an architecture's defaults; nothing the page needs to render).
        for target in lower.captures(#"href="([^"]*)""#) {
            #expect(target.hasPrefix("#") || target.hasPrefix("../docs/validation.md#"), "href to \(target)")
        }
        #expect(!"../docs/other.md".hasPrefix("../docs/validation.md#"))
        #expect(lower.contains("<style>"))
        #expect(lower.contains("<svg"))
    }

    @Test func timelineHasALaneForEveryNode() throws {
        let store = try ResultsStore(path: f.database)
        defer { try? store.close() }
        let data = try ComparisonData.load(store)
        #expect(data.runs.count == 4)
        for run in data.runs {
            let details = try RunDetails.load(run, from: store)
            var nodes = Set(details.timeline.flatMap { TimelineModel.nodes($0.node) })
            for db in run.parameters["topology"]?["databases"]?.array ?? [] { nodes.insert(db["host"]!.string!) }
            let lanes = Set(details.model.lanes.map(\.node))
            #expect(nodes.isSubset(of: lanes), "run \(run.id): no lane for \(nodes.subtracting(lanes))")
            // And each lane is drawn in that run's timeline.
            let section = try #require(f.html.components(separatedBy: "data-run=\"\(run.id)\">").dropFirst().first)
            let svg = section.components(separatedBy: "</svg>")[0]
            for n in lanes { #expect(svg.contains("<text class=\"tl-node\" x=\"8\"") && svg.contains(">\(n)</text>"), "lane \(n)") }
            #expect(svg.contains("client writes"))
        }
    }

    @Test func reportShowsHowToRerunEachRun() throws {
        let runs = try query(f.database) { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM runs WHERE scenario_yaml IS NOT NULL")
        }
        #expect(!runs.isEmpty)
        // Every run keeps its resolved scenario: the report gives `hasim rerun DB RUN_ID`.
        for id in runs {
            let command = "hasim rerun \(ReportRun.shellQuote(f.database)) \(id)"
            #expect(f.markdown.contains("`\(command)`"))
            #expect(f.html.contains(HTMLText.escape(command)))
        }
        #expect(f.html.contains("hasim 0.1.0") || f.html.contains("hasim \(HasimVersion.string)"))
        // The parameters that differ are listed (the fixtures differ in strategy).
        #expect(f.markdown.contains("| `strategy` | manual | single |"))
    }

    @Test func sameDatabaseSameReport() throws {
        let store = try ResultsStore(path: f.database)
        defer { try? store.close() }
        let a = try ReportWriter.render(store, databasePath: "x.sqlite")
        let b = try ReportWriter.render(store, databasePath: "x.sqlite")
        #expect(a.html == b.html)
        #expect(a.markdown == b.markdown)
    }

    // MARK: - Helpers

    func sqlStats(_ scenario: String, _ metric: String) throws -> (Double, Double, Double, Int) {
        try query(f.database) { db in
            let r = try Row.fetchOne(db, sql: """
                SELECT AVG(m.value), MIN(m.value), MAX(m.value), COUNT(m.value)
                FROM metrics m JOIN runs r ON r.id = m.run_id
                WHERE r.status = 'complete' AND r.scenario_name = ? AND m.name = ?
                """, arguments: [scenario, metric])!
            return ((r[0] as Double?) ?? .nan, (r[1] as Double?) ?? .nan, (r[2] as Double?) ?? .nan, r[3])
        }
    }

    func cells(_ line: String) -> [String] {
        line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// Reads back "19 min 10 s (19 min 09 s–19 min 11 s)", "1.5 (1–2)", "90.4 s", "0 s", "14" into
/// base units (seconds or a count) with the tolerance of the printed precision.
func parse(_ text: String) -> (mean: Double, range: (Double, Double)?, tolerance: Double)? {
    let body = text.components(separatedBy: " [")[0]
    let parts = body.components(separatedBy: " (")
    guard let mean = quantity(parts[0]) else { return nil }
    var range: (Double, Double)?
    var tolerance = mean.tolerance
    if parts.count > 1 {
        let ends = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: ")")).components(separatedBy: "–")
        guard ends.count == 2, let a = quantity(ends[0]), let b = quantity(ends[1]) else { return nil }
        range = (a.value, b.value)
        tolerance = max(tolerance, a.tolerance, b.tolerance)
    }
    return (mean.value, range, tolerance)
}

/// One figure: a count ("14", "0.67") or a duration in `Time.text`'s form ("850 ms",
/// "4 min 05 s", "2 h 03 min"); the tolerance is half the last printed digit.
func quantity(_ text: String) -> (value: Double, tolerance: Double)? {
    let factors: [String: Double] = ["µs": 1e-6, "ms": 0.001, "s": 1, "min": 60, "h": 3600]
    let words = text.split(separator: " ").map(String.init)
    func half(_ number: String, _ factor: Double) -> Double {
        let decimals = number.split(separator: ".").dropFirst().first?.count ?? 0
        return 0.5 * pow(10, -Double(decimals)) * factor * 1.0001
    }
    if words.count == 1 { return Double(words[0]).map { ($0, half(words[0], 1)) } }
    guard words.count % 2 == 0 else { return nil }
    var value = 0.0, tolerance = 0.0
    for i in stride(from: 0, to: words.count, by: 2) {
        guard let n = Double(words[i]), let f = factors[words[i + 1]] else { return nil }
        value += (n < 0 ? -1 : 1) * abs(n) * f
        tolerance = half(words[i], f)
    }
    return (value, tolerance)
}
