import HasimKernel
import HasimStore

/// `report.html`: one self-contained page (inline CSS and SVG; no script, font,
/// image or link to anything outside it) with, per scenario group, the
/// comparison table, bar charts, the parameters that differ and a timeline per run.
public enum HTMLReport {
    public static func render(_ data: ComparisonData, details: [Int64: RunDetails], scorecard: Scorecard? = nil,
                              fleet: [FleetStudyRow] = []) -> String {
        var h: [String] = []
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        h.append("<title>hasim comparison report</title>\n<style>\n\(css)\n</style>\n</head>\n<body>")
        h.append(header(data))
        if data.groups.isEmpty && fleet.isEmpty {
            h.append("<p class=\"warn\">The database holds no complete run.</p>")
        }
        // The fleet view (hasim fleet): the operator's question first, the incidents after.
        h.append(FleetSection.html(fleet))
        if let scorecard { h.append(scorecard.html()) }
        // With a scorecard, a group's lowest figure is not marked best: the design may lose elsewhere.
        for (gi, g) in data.groups.enumerated() { h.append(group(g, index: gi, details: details, markBest: scorecard == nil)) }
        h.append(allRuns(data))
        h.append(definitions())
        h.append("<footer>Written by <code>hasim report</code> from the results database alone: the same database gives the same page.</footer>")
        h.append("</body>\n</html>\n")
        return h.joined(separator: "\n")
    }

    static func e(_ s: String) -> String { HTMLText.escape(s) }

    // MARK: - Header

    static func header(_ d: ComparisonData) -> String {
        let runs = d.runs
        let archs = d.architectureCount
        var s = "<header><h1>hasim comparison report</h1>"
        s += "<p class=\"meta\">Results database <code>\(e(d.databasePath))</code> · hasim \(e(d.versions.joined(separator: ", ")))"
        s += " · \(runs.count) run\(runs.count == 1 ? "" : "s") · \(archs) architecture\(archs == 1 ? "" : "s") in \(d.groups.count) group\(d.groups.count == 1 ? "" : "s")</p>"
        let commands = d.invocations.map { "hasim " + argumentsText($0.argumentsJSON) }
        if !commands.isEmpty {
            s += "<p class=\"meta\">Produced by " + commands.map { "<code>\(e($0))</code>" }.joined(separator: ", ") + "</p>"
        }
        if d.replacedRuns > 0 {
            s += "<p class=\"meta\">\(d.replacedRuns) older run\(d.replacedRuns == 1 ? "" : "s") of the same scenario and seed were superseded by later ones and are not counted.</p>"
        }
        if d.groups.count > 1 {
            s += "<nav><b>Groups:</b> " + d.groups.enumerated().map { i, g in "<a href=\"#group-\(i + 1)\">\(e(g.name))</a>" }.joined(separator: " · ") + "</nav>"
        }
        return s + "</header>"
    }

    /// The invocation's arguments (JSON array of strings) as a shell line.
    static func argumentsText(_ json: String) -> String {
        (JSONValue.parse(json).array ?? []).compactMap(\.string).map(ReportRun.shellQuote).joined(separator: " ")
    }

    // MARK: - Group

    /// Timelines drawn in one report at most; the rest are listed (with their re-run
    /// commands) under "All runs".
    public static let timelineCap = 40

    /// The runs whose timelines are drawn: the first seed of each architecture of each group,
    /// then other seeds of single-group reports, up to `timelineCap`.
    public static func drawnTimelines(_ data: ComparisonData) -> Set<Int64> {
        var ids: [Int64] = []
        for g in data.groups { for a in g.architectures { if let r = a.runs.first { ids.append(r.id) } } }
        if data.groups.count == 1 {
            for g in data.groups { for a in g.architectures { ids += a.runs.dropFirst().map(\.id) } }
        }
        return Set(ids.prefix(timelineCap))
    }

    static func group(_ g: GroupSummary, index: Int, details: [Int64: RunDetails], markBest: Bool = true) -> String {
        var s = "<section class=\"group\" id=\"group-\(index + 1)\">"
        s += "<h2>\(e(g.name)) <span class=\"muted\">— \(g.architectures.count) architecture\(g.architectures.count == 1 ? "" : "s"), seeds \(e(g.seeds.map(String.init).joined(separator: ", ")))</span></h2>"
        s += faultsLine(g)
        s += comparisonTable(g, markBest: markBest)
        let down = g.architectures.map { $0.stats("write_downtime") }, lost = g.architectures.map { $0.stats("lost_transactions") }
        // Bars of nothing but zeros tell nothing a sentence does not.
        // Only when every run measured both and none left writes down until the end.
        let nothing = (down + lost).allSatisfy { $0 != nil && $0!.measured == $0!.runs && $0!.max == 0 }
            && g.architectures.allSatisfy { a in a.runs.allSatisfy { !$0.neverRecovered } }
        if nothing {
            s += "<p class=\"note\">No write downtime and no lost transaction in any architecture of this group.</p>"
        } else {
            s += "<div class=\"charts\">"
            s += BarChartSVG.render(title: "Write downtime (mean over seeds, whisker min–max)", metric: .downtime,
                                    bars: g.architectures.enumerated().map { i, a in .init(label: a.scenarioName, stats: down[i], colorIndex: i) })
            s += BarChartSVG.render(title: "Lost transactions (mean over seeds, whisker min–max)", metric: .lostTransactions,
                                    bars: g.architectures.enumerated().map { i, a in .init(label: a.scenarioName, stats: lost[i], colorIndex: i) })
            s += "</div>"
        }
        s += SweepSection.html(g)
        s += parameters(g)
        s += "<h3>Timelines</h3>" + legend()
        let notDrawn = g.runs.filter { details[$0.id] == nil }.count
        for (ai, a) in g.architectures.enumerated() {
            for (ri, r) in a.runs.enumerated() {
                guard let d = details[r.id] else { continue }
                let body = runTimeline(a, r, d, anchor: "g\(index + 1)-a\(ai + 1)-s\(r.seed)")
                if ri == 0 {
                    s += body
                } else {
                    s += "<details class=\"run\"><summary>\(e(a.scenarioName)) — seed \(r.seed) (\(e(summaryLine(r))))</summary>\(body)</details>"
                }
            }
        }
        if notDrawn > 0 {
            s += "<p class=\"note\">\(notDrawn) more run\(notDrawn == 1 ? "" : "s") of this group not drawn (at most \(timelineCap) timelines per report): "
                + "their figures and re-run commands are in <a href=\"#all-runs\">All runs</a>.</p>"
        }
        return s + "</section>"
    }

    static func faultsLine(_ g: GroupSummary) -> String {
        if g.faultsAreShared {
            let text = g.architectures.first?.faultsText ?? "none"
            let same = g.architectures.count > 1 ? " (the same for every architecture)" : ""
            return "<p><b>Faults\(same):</b> \(e(text))</p>"
        }
        var s = "<p class=\"warn\"><b>Warning:</b> these scenarios do not face the same faults, so their figures are not directly comparable:</p><ul>"
        for a in g.architectures {
            s += "<li>\(e(a.scenarioName)): \(e(a.faultsText))</li>"
        }
        return s + "</ul>"
    }

    static func comparisonTable(_ g: GroupSummary, markBest: Bool = true) -> String {
        var s = "<table class=\"cmp\"><thead><tr><th>Architecture</th><th>Strategy</th><th class=\"num\">Runs</th>"
        for m in ReportMetric.comparison { s += "<th class=\"num\" title=\"\(e(m.help))\">\(e(m.title))</th>" }
        s += "</tr></thead><tbody>"
        let best = Dictionary(uniqueKeysWithValues: ReportMetric.comparison.map { ($0.name, markBest ? g.best($0.name) : nil) })
        for (i, a) in g.architectures.enumerated() {
            s += "<tr><td><span class=\"dot c\(i % 8)\"></span>\(e(a.scenarioName))<br><span class=\"small muted\">\(e(a.scenarioFile))</span></td>"
            s += "<td class=\"nowrap\">\(e(a.strategy))</td><td class=\"num\">\(a.runs.count)</td>"
            for m in ReportMetric.comparison {
                s += cell(a.stats(m.name), m, best: best[m.name] == i, never: a.never(m.name))
            }
            s += "</tr>"
        }
        s += "</tbody></table>"
        s += "<p class=\"note\">Mean over seeds; below it the range min–max and the standard deviation. "
            + (markBest ? "<b class=\"best\">Bold green</b>: lowest mean of the group. " : "No lowest figure is marked: see the scorecard for what each design loses elsewhere. ")
            + "<span class=\"na\">—</span>: not measured by these runs (not zero). "
            + "<b class=\"never\">never</b>: writes did not come back before the end of the run. "
            + "Hover a column title for its definition.</p>"
        return s
    }

    static func cell(_ stats: MetricStats?, _ m: ReportMetric, best: Bool, never: Int) -> String {
        guard let st = stats else {
            if never > 0 {
                return "<td class=\"num never\" data-metric=\"\(m.name)\" data-never=\"\(never)\" title=\"writes never succeeded again before the end of the run\"><span class=\"mean\">never</span></td>"
            }
            return "<td class=\"num na\" data-metric=\"\(m.name)\" title=\"not measured\">—</td>"
        }
        let t = StatsText(st, m)
        var attrs = "data-metric=\"\(m.name)\" data-mean=\"\(HTMLText.number(st.mean))\" data-min=\"\(HTMLText.number(st.min))\" data-max=\"\(HTMLText.number(st.max))\" data-n=\"\(st.measured)\""
        if best { attrs += " data-best=\"1\"" }
        var s = "<td class=\"num\(best ? " best" : "")\" \(attrs)><span class=\"mean\">\(e(t.mean))</span>"
        var sub: [String] = []
        if let r = t.range { sub.append(r) }
        if let sd = t.sd { sub.append(sd) }
        if never > 0 { sub.append("\(never) of \(st.runs) runs never recovered") }
        else if st.measured < st.runs { sub.append("\(st.measured) of \(st.runs) runs") }
        if !sub.isEmpty { s += "<span class=\"spread\">\(e(sub.joined(separator: " · ")))</span>" }
        return s + "</td>"
    }

    static func parameters(_ g: GroupSummary) -> String {
        let (differ, shared) = Parameters.comparison(g.architectures)
        var s = "<h3>Parameters</h3>"
        if g.architectures.count > 1 {
            if differ.isEmpty {
                s += "<p>All architectures of this group have the same parameters.</p>"
            } else {
                // A long table (twelve architectures differ in a hundred options) is folded, so the
                // timelines stay within reach; a short one stays open.
                s += "<details class=\"differ\"\(differ.count <= 15 ? " open" : "")><summary>What differs between the architectures (\(differ.count) parameters)</summary>"
                s += "<table class=\"params\"><thead><tr><th>parameter</th>"
                for (i, a) in g.architectures.enumerated() { s += "<th><span class=\"dot c\(i % 8)\"></span>\(e(a.scenarioName))</th>" }
                s += "</tr></thead><tbody>"
                for r in differ {
                    s += "<tr><td><code>\(e(r.key))</code></td>" + r.values.map { "<td>\(e($0))</td>" }.joined() + "</tr>"
                }
                s += "</tbody></table></details>"
            }
        }
        s += "<details><summary>\(g.architectures.count > 1 ? "Shared parameters" : "All parameters") (\(shared.count))</summary><table class=\"params\"><tbody>"
        for r in shared { s += "<tr><td><code>\(e(r.key))</code></td><td>\(e(r.value))</td></tr>" }
        s += "</tbody></table></details>"
        s += "<p class=\"note\">Re-run any architecture and seed: "
        s += g.architectures.map { a in "<code>\(e(a.runs.first?.rerunCommand ?? ""))</code>" }.joined(separator: " ")
        s += " (each run's own command is under its timeline and in the list of all runs).</p>"
        s += "<p class=\"note\">Defaults held against the real tools on a real machine (docs/validation.md): "
        var seen: [String] = []
        for a in g.architectures where !seen.contains(a.strategy) {
            seen.append(a.strategy)
            let door = a.parameters["front_door"]?.object?.first?.key
            s += (seen.count > 1 ? "; " : "") + ValidationLinks.html(strategy: a.strategy, frontDoor: door, escape: e)
        }
        s += ".</p>"
        return s
    }

    static func summaryLine(_ r: ReportRun) -> String {
        var parts: [String] = []
        if let d = r.metrics["write_downtime"] { parts.append("downtime " + Time.text(seconds: d)) }
        if let l = r.metrics["lost_transactions"] { parts.append("lost " + Units.count(l)) }
        if r.neverRecovered && r.metrics["rto"] == nil { parts.append("writes never came back") }
        return parts.joined(separator: ", ")
    }

    // MARK: - Timelines

    static func legend() -> String {
        let items: [(String, String)] = [
            ("rw", "mysqld up, writable"), ("ro", "up, read_only"), ("starting", "starting / crash recovery"),
            ("down", "down"), ("repl-run", "replica threads running"), ("repl-io", "IO thread retrying"),
            ("repl-err", "SQL thread stopped by error"), ("holder", "holds VIP / DNS name"),
            ("pr-ok", "client writes succeed"), ("pr-mixed", "some fail"), ("pr-fail", "all fail"),
        ]
        return "<p class=\"legend\">" + items.map { "<span><i class=\"sw \($0.0)\"></i>\(e($0.1))</span>" }.joined()
            + "<span><i class=\"sw fault-sw\"></i>fault</span><span><i class=\"sw fo\"></i>failover</span>"
            + "<span><i class=\"sw quiesce\"></i>quiesce (no workload)</span></p>"
            + "<p class=\"note\">Numbered badges are the key events listed under each timeline (\"6–10\": events 6 to 10, too close together to draw apart); thin ticks are other events. Hover anything for details.</p>"
    }

    static func runTimeline(_ a: ArchitectureSummary, _ r: ReportRun, _ d: RunDetails, anchor: String) -> String {
        var s = "<div class=\"run\" id=\"\(anchor)\" data-run=\"\(r.id)\">"
        s += "<h4>\(e(a.scenarioName)) — seed \(r.seed) <span class=\"muted\">· \(e(a.strategy)) · run \(r.id) · hasim \(e(r.info.hasimVersion))</span></h4>"
        var facts: [String] = []
        for m in ReportMetric.comparison {
            facts.append("\(m.title.lowercased()): " + r.display(m))
        }
        s += "<p class=\"facts\">\(e(facts.joined(separator: " · ")))</p>"
        s += "<p class=\"small\">Re-run: <code>\(e(r.rerunCommand))</code></p>"
        for (n, i) in d.incidents.enumerated() { s += incidentZoom(a, r, d, i, number: n + 1, of: d.incidents.count) }
        if !d.incidents.isEmpty { s += "<p class=\"zoom-title\"><b>The whole run</b></p>" }
        s += TimelineSVG.render(d.model, title: "Timeline of \(a.scenarioName), seed \(r.seed)")
        s += charts(d, d.model, title: "Latency, throughput, lag and failed writes of \(a.scenarioName), seed \(r.seed)")
        s += eventTable(d)
        return s + "</div>"
    }

    /// An incident on its own scale: 10 s before the fault to 60 s after writes came back,
    /// then each key event as a step lasting until the next one.
    static func incidentZoom(_ a: ArchitectureSummary, _ r: ReportRun, _ d: RunDetails, _ i: IncidentRow, number: Int, of total: Int) -> String {
        let (from, to) = d.model.incidentWindow(i)
        let m = d.model.window(from: from, to: to)
        let rto = i.rto.map { "RTO " + Time.text(seconds: Time.seconds($0)) } ?? "writes never came back"
        var s = "<div class=\"zoom\"><p class=\"zoom-title\"><b>Incident\(total > 1 ? " \(number)" : ""): \(e(i.kind)) \(e(i.target))</b> at \(Units.clock(i.start)) · \(e(rto))"
        s += " <span class=\"muted small\">(shown \(Units.clock(from)) to \(Units.clock(to)))</span></p>"
        s += TimelineSVG.render(m, title: "Incident \(number) of \(a.scenarioName), seed \(r.seed)")
        s += charts(d, m, title: "Latency, throughput, lag and failed writes around incident \(number) of \(a.scenarioName), seed \(r.seed)")
        let steps = IncidentStep.steps(m)
        if !steps.isEmpty {
            s += "<table class=\"events steps\"><thead><tr><th>#</th><th>since the fault</th><th>node</th><th>step</th><th class=\"num\">until the next</th></tr></thead><tbody>"
            for st in steps {
                let since = st.time - i.start
                let sinceText = (since < 0 ? "−" : "+") + Time.text(seconds: Time.seconds(abs(since)))
                s += "<tr><td><span class=\"num-badge b-\(st.category)\">\(st.number)</span></td><td class=\"t\">\(sinceText)</td>"
                s += "<td>\(e(st.node))</td><td>\(e(st.what))</td><td class=\"num t\">\(st.took.map { e(Time.text(seconds: Time.seconds($0))) } ?? "")</td></tr>"
            }
            s += "</tbody></table>"
        }
        return s + "</div>"
    }

    /// The charts over time for the window of `m`, on the timeline's time axis.
    static func charts(_ d: RunDetails, _ m: TimelineModel, title: String) -> String {
        guard let series = d.series, !series.isEmpty else { return "" }
        let svg = SeriesChartSVG.render(series, m, title: title)
        return svg.isEmpty ? "" : "<p class=\"chart-caption small muted\">Measured over time (same time axis): commit latency of acknowledged writes, "
            + "throughput, replication lag per replica as SHOW REPLICA STATUS gives it, and the client's failed probe writes by error code. "
            + "A gap is a bucket with nothing measured.</p>" + svg
    }

    static func eventTable(_ d: RunDetails) -> String {
        let numbers = Dictionary(d.model.keyEvents.map { ($0.index, $0) }, uniquingKeysWith: { a, _ in a })
        let folded = FoldedEvent.fold(d.timeline)
        let limit = 150
        var s = "<details class=\"events\"\(folded.count <= 40 ? " open" : "")><summary>Events (\(d.timeline.count))</summary>"
        s += "<table class=\"events\"><thead><tr><th>#</th><th>time</th><th>node</th><th>event</th><th>detail</th></tr></thead><tbody>"
        for f in folded.prefix(limit) {
            let key = numbers[f.index]
            let num = key.map { "<span class=\"num-badge b-\($0.category)\">\($0.number)</span>" } ?? ""
            let time = f.count > 1 ? "\(Units.clock(f.first.time, fractionDigits: 2))–\(Units.clock(f.last, fractionDigits: 2))" : Units.clock(f.first.time, fractionDigits: 2)
            let kind = f.count > 1 ? "\(f.first.kind) ×\(f.count)" : f.first.kind
            s += "<tr\(key != nil ? " class=\"key\"" : "")><td>\(num)</td><td class=\"t\">\(time)</td><td>\(e(f.first.node))</td><td>\(e(kind))</td><td>\(e(f.first.detail))</td></tr>"
        }
        s += "</tbody></table>"
        if folded.count > limit { s += "<p class=\"note\">\(folded.count - limit) more rows in the database's <code>timeline</code> table.</p>" }
        return s + "</details>"
    }

    // MARK: - All runs, definitions

    static func allRuns(_ d: ComparisonData) -> String {
        let groups = d.groups.count > 1
        var s = "<section id=\"all-runs\"><h2>All runs</h2><table class=\"cmp runs\"><thead><tr><th class=\"num\">run</th><th>architecture and the command that re-runs it</th>"
        if groups { s += "<th>group</th>" }
        s += "<th class=\"num\">seed</th>"
        for m in ReportMetric.comparison { s += "<th class=\"num\">\(e(m.title))</th>" }
        s += "</tr></thead><tbody>"
        for g in d.groups {
            for a in g.architectures {
                for r in a.runs {
                    s += "<tr data-run=\"\(r.id)\"><td class=\"num\">\(r.id)</td><td>\(e(a.scenarioName))<br><code class=\"small\">\(e(r.rerunCommand))</code></td>"
                    if groups { s += "<td>\(e(g.name))</td>" }
                    s += "<td class=\"num\">\(r.seed)</td>"
                    for m in ReportMetric.comparison {
                        if let v = r.metrics[m.name] {
                            s += "<td class=\"num\" data-metric=\"\(m.name)\" data-value=\"\(HTMLText.number(v))\">\(e(m.format(v)))</td>"
                        } else {
                            let text = r.display(m)
                            s += "<td class=\"num \(text == "never" ? "never" : "na")\" data-metric=\"\(m.name)\">\(text)</td>"
                        }
                    }
                    s += "</tr>"
                }
            }
        }
        return s + "</tbody></table></section>"
    }

    static func definitions() -> String {
        var s = "<section><h2>What the figures mean</h2><dl class=\"defs\">"
        for m in ReportMetric.comparison { s += "<dt>\(e(m.title))</dt><dd>\(e(m.help))</dd>" }
        return s + "</dl></section>"
    }

    // MARK: - Style

    static let palette = ["#3b6fd4", "#e8590c", "#2b8a3e", "#9c36b5", "#c2255c", "#0b7285", "#5f3dc4", "#a27a00"]

    static let stateColors: [(String, String)] = [
        ("rw", "#2f9e44"), ("ro", "#74a9e0"), ("starting", "#f2b33d"), ("down", "#c0392b"), ("off", "#e9ecef"),
        ("repl-run", "#4c6ef5"), ("repl-io", "#f08c00"), ("repl-err", "#e03131"), ("holder", "#9c36b5"),
        ("pr-ok", "#8fd19e"), ("pr-mixed", "#f59f00"), ("pr-fail", "#e03131"),
    ]

    static var css: String {
        var c = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1d2330;max-width:1220px;margin:20px auto;padding:0 18px;background:#fff}
        h1{font-size:24px;margin:0 0 4px}h2{font-size:20px;margin:34px 0 8px;padding-top:10px;border-top:2px solid #dde2ea}
        h3{font-size:16px;margin:22px 0 6px}h4{font-size:14px;margin:22px 0 2px}
        .muted{color:#6b7385;font-weight:normal}.small{font-size:12px}.meta{margin:2px 0;color:#4a5263}
        code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f2f4f8;padding:1px 4px;border-radius:3px}
        table{border-collapse:collapse;margin:6px 0}th,td{padding:5px 9px;border-bottom:1px solid #e3e7ee;vertical-align:top;text-align:left}
        th{background:#f4f6fa;font-weight:600;font-size:13px}td.num,th.num{text-align:right}
        table.cmp td{font-variant-numeric:tabular-nums}.mean{font-size:15px;white-space:nowrap}.nowrap{white-space:nowrap}.spread{display:block;color:#6b7385;font-size:11.5px;white-space:nowrap}
        td.best .mean{font-weight:700;color:#1b7a34}b.best{color:#1b7a34}.na{color:#9aa1ad}td.never,b.never{color:#c0392b;font-weight:600}
        table.cmp{display:block;max-width:100%;overflow-x:auto}table.cmp th{font-size:12px}table.cmp td,table.cmp th{padding:5px 7px}
        table.runs{width:100%}table.runs td{font-size:13px}table.runs td.num{white-space:nowrap}
        .note{color:#5a6275;font-size:12.5px;margin:4px 0 10px}.warn{background:#fff4e5;border-left:4px solid #f08c00;padding:6px 10px}
        .charts{display:flex;flex-wrap:wrap;gap:18px 40px;margin:12px 0}svg.chart{width:560px;max-width:100%;height:auto}
        svg.tl{width:100%;height:auto;display:block;margin:6px 0}
        svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#1d2330}
        .tl-node{font-size:13px;font-weight:600}svg text.in-bar{font-size:10.5px;fill:#fff;font-weight:600;pointer-events:none}.tl-small{font-size:11px}.tl-label{font-size:11.5px}svg .muted{fill:#6b7385}
        .ch-title{font-size:13px;font-weight:600}.ch-label{font-size:12px}.ch-value{font-size:12px;font-weight:600}svg .na{fill:#9aa1ad;font-weight:normal}
        .grid{stroke:#edf0f5;stroke-width:1}.axis{stroke:#8a92a3;stroke-width:1}.lane-sep{stroke:#eef1f5}.host-line{stroke:#c9ced8;stroke-width:1}
        .whisker{stroke:#1d2330;stroke-width:1.3;fill:none}.wrap{overflow-wrap:anywhere}
        .fault-line{stroke:#c92a2a;stroke-width:1.6;stroke-dasharray:5 3}.fault-end{stroke:#c92a2a;stroke-width:1.2;stroke-dasharray:2 3;opacity:.8}
        .guide{stroke:#8a92a3;stroke-width:.8;stroke-dasharray:2 2;opacity:.7}
        .tick{stroke:#8a92a3;stroke-width:1.2}.tick-ops,.tick-failover{stroke:#5f3dc4;stroke-width:2}.tick-error{stroke:#e03131;stroke-width:2}.tick-front{stroke:#9c36b5;stroke-width:2}.tick-fault{stroke:#c92a2a;stroke-width:2}
        .quiesce{fill:#f1f3f5;opacity:.65}rect.pr-none{fill:#f4f5f7}
        .fo{fill:#7048e8;opacity:.8}.fo-open{fill:#7048e8;opacity:.35}
        .badge rect{stroke:#fff;stroke-width:1.2}.badge text{font-size:10px;font-weight:700;fill:#fff;text-anchor:middle}
        .b-fault rect{fill:#c92a2a}.b-failover rect{fill:#7048e8}.b-error rect{fill:#e03131}.b-ops rect{fill:#495057}.b-front rect{fill:#9c36b5}.b-mixed rect{fill:#343a40}
        .num-badge{display:inline-block;min-width:18px;height:18px;border-radius:9px;color:#fff;font-size:11px;font-weight:700;text-align:center;line-height:18px}
        .num-badge.b-fault{background:#c92a2a}.num-badge.b-failover{background:#7048e8}.num-badge.b-error{background:#e03131}.num-badge.b-ops{background:#495057}.num-badge.b-front{background:#9c36b5}
        .legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12.5px;margin:6px 0}.legend span{white-space:nowrap}
        .sw{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:baseline;border-radius:2px}
        .sw.fault-sw{background:repeating-linear-gradient(90deg,#c92a2a 0 4px,transparent 4px 6px);height:3px;vertical-align:middle}
        .sw.fo{background:#7048e8}.sw.quiesce{background:#e3e6ea}
        .dot{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}
        table.events{font-size:12.5px}table.events td{padding:3px 8px}table.events td.t{font-variant-numeric:tabular-nums;white-space:nowrap}
        table.events tr.key td{background:#fafbff}details{margin:4px 0}summary{cursor:pointer;color:#2f4a8a}
        details.run{border:1px solid #e3e7ee;border-radius:6px;padding:4px 10px;margin:8px 0}
        .facts{margin:2px 0;font-size:13px}table.params{display:block;max-width:100%;overflow-x:auto}table.params td{font-size:13px}table.params td:first-child{white-space:nowrap}
        dl.defs dt{font-weight:600;margin-top:6px}dl.defs dd{margin:0 0 0 18px;color:#4a5263}
        .role-tick{stroke:#1d2330;stroke-width:1.2}svg text.role-change{fill:#1d2330;font-weight:600}
        .ln polyline{fill:none;stroke-width:1.6}.ch-fo{fill:#7048e8;opacity:.08}rect.ln-null{opacity:.5}
        .zoom{border-left:3px solid #c92a2a;padding-left:10px;margin:10px 0}.zoom-title{margin:8px 0 2px}
        nav{margin:8px 0}footer{margin:40px 0 20px;color:#6b7385;font-size:12px;border-top:1px solid #e3e7ee;padding-top:8px}
        """
        c += "\n" + Scorecard.css
        for (cls, color) in stateColors {
            c += "\n.tl .\(cls){fill:\(color)}.sw.\(cls){background:\(color)}"
        }
        for (i, color) in palette.enumerated() {
            c += "\n.bar.c\(i){fill:\(color)}.dot.c\(i){background:\(color)}.ln.c\(i) polyline{stroke:\(color)}.ln.c\(i) circle,.key.c\(i),.err.c\(i),.ln-null.c\(i){fill:\(color)}"
        }
        return c
    }
}
