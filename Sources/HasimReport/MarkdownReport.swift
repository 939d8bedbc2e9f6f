import HasimKernel
import HasimStore

/// `report.md`: the comparison tables, the parameters that differ, the re-run
/// commands and each architecture's key events, as plain Markdown (for a ticket,
/// a wiki page or a diff between two reports).
public enum MarkdownReport {
    public static func render(_ data: ComparisonData, details: [Int64: RunDetails], scorecard: Scorecard? = nil) -> String {
        var out: [String] = ["# hasim comparison report", ""]
        let archs = data.architectureCount
        out.append("Results database `\(data.databasePath)` · hasim \(data.versions.joined(separator: ", ")) · "
                   + "\(data.runs.count) runs · \(archs) architectures in \(data.groups.count) group\(data.groups.count == 1 ? "" : "s")")
        for inv in data.invocations { out += ["", "Produced by `hasim \(HTMLReport.argumentsText(inv.argumentsJSON))`"] }
        if data.replacedRuns > 0 {
            out += ["", "\(data.replacedRuns) older runs of the same scenario and seed were superseded by later ones and are not counted."]
        }
        if data.groups.isEmpty { out += ["", "The database holds no complete run."] }
        if let scorecard { out += ["", scorecard.markdown()] }
        for g in data.groups { out += group(g, details: details) }
        out += ["", "## What the figures mean", ""]
        for m in ReportMetric.comparison { out.append("- **\(m.title)**: \(m.help)") }
        out.append("")
        return out.joined(separator: "\n")
    }

    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    static func group(_ g: GroupSummary, details: [Int64: RunDetails]) -> [String] {
        var out: [String] = ["", "## \(g.name) — \(g.architectures.count) architecture\(g.architectures.count == 1 ? "" : "s"), seeds \(g.seeds.map(String.init).joined(separator: ", "))", ""]
        if g.faultsAreShared {
            let same = g.architectures.count > 1 ? " (the same for every architecture)" : ""
            out.append("**Faults\(same):** " + (g.architectures.first?.faultsText ?? "none"))
        } else {
            out.append("**Warning:** these scenarios do not face the same faults, so their figures are not directly comparable:")
            out.append("")
            for a in g.architectures {
                out.append("- \(a.scenarioName): " + a.faultsText)
            }
        }
        out.append("")

        out += table(g, ReportMetric.comparison)
        out += ["", "Mean over seeds, range min–max in brackets. **Bold**: lowest mean of the group. "
                + "— : not measured by these runs (not zero); never: writes did not come back before the end of the run. Charts and timelines: report.html.", ""]
        out += SweepSection.markdown(g)
        if g.architectures.contains(where: { $0.stats("http_requests") != nil }) {
            out += ["### What the users saw (web tier)", ""]
            out += table(g, ReportMetric.web)
            out += ["", ReportMetric.web.map { "\($0.title): \($0.help)." }.joined(separator: " "), ""]
            if g.architectures.contains(where: { $0.stats("l4_bytes_out") != nil }) {
                out += ["#### The L4 director's load", ""]
                out += table(g, ReportMetric.l4)
                out += ["", ReportMetric.l4.map { "\($0.title): \($0.help)." }.joined(separator: " ") + " Per run: table l4_load.", ""]
            }
        }
        return out + parametersAndRuns(g, details: details)
    }

    static func table(_ g: GroupSummary, _ metrics: [ReportMetric]) -> [String] {
        var out: [String] = []
        var header = "| Architecture | Strategy | Runs |"
        var rule = "|---|---|--:|"
        for m in metrics { header += " \(m.title) |"; rule += "--:|" }
        out += [header, rule]
        for (i, a) in g.architectures.enumerated() {
            var row = "| \(cell(a.scenarioName)) | \(cell(a.strategy)) | \(a.runs.count) |"
            for m in metrics {
                let never = a.never(m.name)
                guard let st = a.stats(m.name) else { row += never > 0 ? " never |" : " — |"; continue }
                let t = StatsText(st, m)
                var text = t.inline
                if never > 0 { text += " [\(never)/\(st.runs) runs never recovered]" }
                else if st.measured < st.runs { text += " [\(st.measured)/\(st.runs) runs]" }
                row += m.lowerIsBetter && g.best(m.name) == i ? " **\(cell(text))** |" : " \(cell(text)) |"
            }
            out.append(row)
        }
        return out
    }

    static func parametersAndRuns(_ g: GroupSummary, details: [Int64: RunDetails]) -> [String] {
        var out: [String] = []

        // Parameters.
        let (differ, _) = Parameters.comparison(g.architectures)
        if g.architectures.count > 1 && !differ.isEmpty {
            out += ["### Parameters that differ", ""]
            out.append("| parameter |" + g.architectures.map { " \(cell($0.scenarioName)) |" }.joined())
            out.append("|---|" + String(repeating: "---|", count: g.architectures.count))
            for r in differ { out.append("| `\(r.key)` |" + r.values.map { " \(cell($0)) |" }.joined()) }
            out.append("")
        }

        out += ["### Runs", ""]
        var rh = "| run | architecture | seed |", rr = "|--:|---|--:|"
        for m in ReportMetric.comparison { rh += " \(m.short) |"; rr += "--:|" }
        out += [rh + " re-run |", rr + "---|"]
        for a in g.architectures {
            for r in a.runs {
                var row = "| \(r.id) | \(cell(a.scenarioName)) | \(r.seed) |"
                for m in ReportMetric.comparison { row += " " + r.display(m) + " |" }
                out.append(row + " `\(r.rerunCommand)` |")
            }
        }
        out.append("")

        // Key events of each architecture's first seed.
        for a in g.architectures {
            guard let r = a.runs.first, let d = details[r.id] else { continue }
            out += ["### Key events: \(a.scenarioName), seed \(r.seed)", ""]
            if d.model.keyEvents.isEmpty { out += ["(none)", ""]; continue }
            out += ["| # | time | node | event | detail |", "|--:|---|---|---|---|"]
            for k in d.model.keyEvents {
                out.append("| \(k.number) | \(Units.clock(k.row.time, fractionDigits: 2)) | \(cell(k.row.node)) | \(k.row.kind) | \(cell(k.row.detail)) |")
            }
            out.append("")
        }
        return out
    }
}

/// The comparison `hasim compare` prints: per group, one row per architecture
/// with mean (min–max) over seeds.
public enum ComparisonText {
    public static func render(_ data: ComparisonData) -> String {
        var blocks: [String] = []
        for g in data.groups {
            var lines: [String] = []
            let faults = g.architectures.first?.faultsText ?? "none"
            lines.append("\(g.name): \(g.architectures.count) architectures, seeds \(g.seeds.map(String.init).joined(separator: " "))"
                         + (g.faultsAreShared ? "; faults: \(faults)" : "; WARNING: the faults differ between these scenarios"))
            var rows: [[String]] = [["architecture", "strategy", "runs"] + ReportMetric.comparison.map(\.short)]
            for a in g.architectures {
                var row = [a.scenarioName, a.strategy, String(a.runs.count)]
                for m in ReportMetric.comparison {
                    row.append(a.stats(m.name).map { StatsText($0, m).inline } ?? (a.never(m.name) > 0 ? "never" : "—"))
                }
                rows.append(row)
            }
            lines.append(SummaryTable.table(rows))
            if g.architectures.contains(where: { $0.stats("http_requests") != nil }) {
                var web: [[String]] = [["what the users saw", "strategy", "runs"] + ReportMetric.web.map(\.short)]
                for a in g.architectures {
                    web.append([a.scenarioName, a.strategy, String(a.runs.count)]
                               + ReportMetric.web.map { m in a.stats(m.name).map { StatsText($0, m).inline } ?? "—" })
                }
                lines.append(SummaryTable.table(web))
            }
            blocks.append(lines.joined(separator: "\n"))
        }
        return blocks.joined(separator: "\n\n") + "\n(mean over seeds, min–max in brackets; — = not measured)"
    }
}
