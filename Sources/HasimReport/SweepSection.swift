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
        var s = ""
        for axis in axes(g) {
            s += "<h3>Against the swept value: <code>\(HTMLText.escape(axis.key))</code></h3><div class=\"charts\">"
            var zero: [String] = []
            for m in metrics(axis) {
                let ls = lines(axis, m)
                guard !ls.isEmpty else { continue }
                if allZero(ls) { zero.append(m.title); continue }
                s += SweepChartSVG.render(title: "\(m.title) against \(axis.key)", key: axis.key,
                                          lines: ls, numeric: axis.numeric, durations: m.kind == .duration, format: m.format)
            }
            s += "</div><p class=\"note\">Mean over seeds; whisker min–max."
                + (zero.isEmpty ? "" : " \(HTMLText.escape(zero.joined(separator: ", "))): 0 at every value.") + "</p>"
        }
        return s
    }

    static func markdown(_ g: GroupSummary) -> [String] {
        var out: [String] = []
        for axis in axes(g) {
            let ms = metrics(axis)
            out += ["### Against the swept value `\(axis.key)`", ""]
            out.append("| Scenario | \(axis.key) | " + ms.map(\.title).joined(separator: " | ") + " |")
            out.append("|---|---|" + ms.map { _ in "--:" }.joined(separator: "|") + "|")
            for l in axis.lines {
                for p in l.points {
                    let cells = ms.map { m in p.item.stats(m.name).map { StatsText($0, m).inline } ?? "—" }
                    out.append("| \(MarkdownReport.cell(l.name)) | \(MarkdownReport.cell(p.value)) | "
                               + cells.map(MarkdownReport.cell).joined(separator: " | ") + " |")
                }
            }
            out += ["", "Mean over seeds, range min–max in brackets; report.html draws each metric against `\(axis.key)`.", ""]
        }
        return out
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
        var s = ""
        for axis in SweepModel.axes(studies.map { ($0.scenarioName, $0) }) {
            s += "<h3>Against the swept value: <code>\(HTMLText.escape(axis.key))</code></h3><div class=\"charts\">"
            var zero: [String] = []
            for c in fleetMetrics {
                let ls = axis.lines.map { l in
                    SweepChartSVG.Line(name: l.name, points: l.points.compactMap { p in
                        p.item.metric(c.metric).map { .init(value: p.value, mean: $0.mean, low: $0.low, high: $0.high) }
                    })
                }.filter { !$0.points.isEmpty }
                guard !ls.isEmpty else { continue }
                if allZero(ls) { zero.append(c.title); continue }
                s += SweepChartSVG.render(title: "\(c.title) against \(axis.key)", key: axis.key, lines: ls,
                                          numeric: axis.numeric, durations: false, format: { FleetSection.format($0, c.digits) })
            }
            s += "</div><p class=\"note\">Mean over replications; whisker: the 95 % confidence interval."
                + (zero.isEmpty ? "" : " \(HTMLText.escape(zero.joined(separator: ", "))): 0 at every value.") + "</p>"
        }
        return s
    }

    static func fleetMarkdown(_ studies: [FleetStudyRow]) -> [String] {
        var out: [String] = []
        for axis in SweepModel.axes(studies.map { ($0.scenarioName, $0) }) {
            out += ["", "### Against the swept value `\(axis.key)`", ""]
            out.append("| Scenario | \(axis.key) | " + fleetMetrics.map(\.title).joined(separator: " | ") + " |")
            out.append("|---|---|" + fleetMetrics.map { _ in "--:" }.joined(separator: "|") + "|")
            for l in axis.lines {
                for p in l.points {
                    let cells = fleetMetrics.map { c in
                        p.item.metric(c.metric).map {
                            "\(FleetSection.format($0.mean, c.digits)) [\(FleetSection.format($0.low, c.digits))–\(FleetSection.format($0.high, c.digits))]"
                        } ?? "—"
                    }
                    out.append("| \(MarkdownReport.cell(l.name)) | \(MarkdownReport.cell(p.value)) | " + cells.joined(separator: " | ") + " |")
                }
            }
        }
        return out
    }
}
