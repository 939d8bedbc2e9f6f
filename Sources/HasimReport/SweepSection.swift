import HasimKernel
import HasimStore

/// "Against the swept values": the report's plot of a metric against each swept key, for the
/// runs of a group (`hasim run/compare --set`) and for fleet studies (`hasim fleet --set`).
enum SweepSection {
    // MARK: - Runs

    /// The comparison metrics drawn against a key: write downtime and lost transactions always,
    /// then any other whose mean is not the same at every point (a flat zero line says nothing).
    static func metrics(_ axis: SweepAxis<ArchitectureSummary>) -> [ReportMetric] {
        let headline = [ReportMetric.downtime, ReportMetric.lostTransactions]
        let others = (ReportMetric.comparison + ReportMetric.web).filter { m in
            guard !headline.contains(m) else { return false }
            let means = axis.lines.flatMap(\.points).compactMap { $0.item.stats(m.name)?.mean }
            return Set(means).count > 1
        }
        return headline + others.prefix(4)
    }

    static func lines(_ axis: SweepAxis<ArchitectureSummary>, _ m: ReportMetric) -> [SweepChartSVG.Line] {
        axis.lines.map { l in
            SweepChartSVG.Line(name: l.name, points: l.points.compactMap { p in
                p.item.stats(m.name).map { .init(value: p.value, mean: $0.mean, low: $0.min, high: $0.max) }
            })
        }.filter { !$0.points.isEmpty }
    }

    /// A chart of nothing but zeros tells nothing a sentence does not.
    static func allZero(_ ls: [SweepChartSVG.Line]) -> Bool {
        ls.allSatisfy { $0.points.allSatisfy { $0.mean == 0 && $0.high == 0 } }
    }

    static func axes(_ g: GroupSummary) -> [SweepAxis<ArchitectureSummary>] {
        SweepModel.axes(g.architectures.map { ($0.scenarioName, $0) })
    }

    static func html(_ g: GroupSummary) -> String {
        axes(g).map { axis in
            block(axis.key, numeric: axis.numeric, note: "Mean over seeds; whisker min–max.", charts: metrics(axis).map { m in
                Chart(title: m.title, lines: lines(axis, m), durations: m.kind == .duration, format: m.format)
            })
        }.joined()
    }

    static func markdown(_ g: GroupSummary) -> [String] {
        axes(g).flatMap { axis in
            let ms = metrics(axis)
            return table(axis, titles: ms.map(\.title)) { item in
                ms.map { m in item.stats(m.name).map { StatsText($0, m).inline } ?? "—" }
            } + ["", "Mean over seeds, range min–max in brackets; report.html draws each metric against `\(axis.key)`.", ""]
        }
    }

    // MARK: - Fleet studies

    /// The operator's figures drawn against a key for fleet studies, with their 95 % CIs.
    static let fleetMetrics: [(metric: String, title: String, digits: Int)] = [
        ("write_downtime_minutes_per_database_year", "Write downtime, min per database-year", 1),
        ("lost_transactions_per_year", "Lost transactions per year", 0),
        ("pages_per_year", "Pages per year", 1),
        ("dba_hours_per_year", "DBA hours per year", 0),
    ]

    static func fleetHTML(_ studies: [FleetStudyRow]) -> String {
        SweepModel.axes(studies.map { ($0.scenarioName, $0) }).map { axis in
            let charts = fleetMetrics.map { c in
                Chart(title: c.title, lines: axis.lines.map { l in
                    SweepChartSVG.Line(name: l.name, points: l.points.compactMap { p in
                        p.item.metric(c.metric).map { .init(value: p.value, mean: $0.mean, low: $0.low, high: $0.high) }
                    })
                }.filter { !$0.points.isEmpty }, durations: false, format: { FleetSection.format($0, c.digits) })
            }
            return block(axis.key, numeric: axis.numeric, note: "Mean over replications; whisker: the 95 % confidence interval.",
                         charts: charts)
        }.joined()
    }

    static func fleetMarkdown(_ studies: [FleetStudyRow]) -> [String] {
        SweepModel.axes(studies.map { ($0.scenarioName, $0) }).flatMap { axis in
            [""] + table(axis, titles: fleetMetrics.map(\.title)) { item in
                fleetMetrics.map { c in
                    item.metric(c.metric).map {
                        "\(FleetSection.format($0.mean, c.digits)) [\(FleetSection.format($0.low, c.digits))–\(FleetSection.format($0.high, c.digits))]"
                    } ?? "—"
                }
            }
        }
    }

    // MARK: - Shared

    /// One metric's chart against a swept key.
    struct Chart {
        var title: String
        var lines: [SweepChartSVG.Line]
        var durations: Bool
        var format: (Double) -> String
    }

    /// A swept key's charts, and under them the note; a metric that is 0 at every value is
    /// named in the note instead of drawn.
    static func block(_ key: String, numeric: Bool, note: String, charts: [Chart]) -> String {
        var s = "<h3>Against the swept value: <code>\(HTMLText.escape(key))</code></h3><div class=\"charts\">"
        var zero: [String] = []
        for c in charts where !c.lines.isEmpty {
            if allZero(c.lines) { zero.append(c.title); continue }
            s += SweepChartSVG.render(title: "\(c.title) against \(key)", key: key, lines: c.lines, numeric: numeric,
                                      durations: c.durations, format: c.format)
        }
        return s + "</div><p class=\"note\">\(note)"
            + (zero.isEmpty ? "" : " \(HTMLText.escape(zero.joined(separator: ", "))): 0 at every value.") + "</p>"
    }

    /// A swept key's figures as a Markdown table: a row per line and value.
    static func table<Item>(_ axis: SweepAxis<Item>, titles: [String], cells: (Item) -> [String]) -> [String] {
        var out = ["### Against the swept value `\(axis.key)`", ""]
        out.append("| Scenario | \(axis.key) | " + titles.joined(separator: " | ") + " |")
        out.append("|---|---|" + titles.map { _ in "--:" }.joined(separator: "|") + "|")
        for l in axis.lines {
            for p in l.points {
                out.append("| \(MarkdownReport.cell(l.name)) | \(MarkdownReport.cell(p.value)) | "
                           + cells(p.item).map(MarkdownReport.cell).joined(separator: " | ") + " |")
            }
        }
        return out
    }
}
