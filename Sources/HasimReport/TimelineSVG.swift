import HasimKernel
import HasimStore

/// Draws a `TimelineModel` as inline SVG: numbered key events on top, the
/// failover span, one lane per node, the client's probe writes and a time axis.
/// Colours come from the page's CSS classes (`HTMLReport.css`).
public enum TimelineSVG {
    static let width = 1160.0
    static let labelWidth = 150.0
    static let rightPad = 18.0
    static var plotWidth: Double { width - labelWidth - rightPad }

    public static func render(_ m: TimelineModel, title: String) -> String {
        let shown = Double(max(m.end - m.start, 1))
        // Clamped: a zoomed window cuts bars that start before it or end after it.
        func x(_ t: SimTime) -> Double { labelWidth + plotWidth * min(max(Double(t - m.start) / shown, 0), 1) }
        var body: [String] = []
        var y = 4.0

        // Numbered badges of key events. Events closer than a badge's width merge
        // into one badge "6–10" (faults excepted); badges that would still overlap
        // stack in rows.
        var clusters: [[TimelineModel.KeyEvent]] = []
        for e in m.keyEvents {
            // A fault keeps a badge of its own.
            if let first = clusters.last?.first, x(e.row.time) - x(first.row.time) < 16,
               first.category != "fault", e.category != "fault" {
                clusters[clusters.count - 1].append(e)
            } else {
                clusters.append([e])
            }
        }
        var rowEnds: [Double] = []
        var placed: [(events: [TimelineModel.KeyEvent], x: Double, width: Double, row: Int)] = []
        for c in clusters {
            let label = c.count == 1 ? "\(c[0].number)" : "\(c[0].number)–\(c.last!.number)"
            let bw = max(16, Double(label.count) * 6 + 8)
            let bx = x(c[0].row.time)
            var row = rowEnds.firstIndex { $0 + 2 <= bx - bw / 2 }
            if row == nil {
                if rowEnds.count < 3 { rowEnds.append(-1e9) }
                row = rowEnds.count - 1
            }
            rowEnds[row!] = max(rowEnds[row!], bx + bw / 2)
            placed.append((c, bx, bw, row!))
        }
        let badgeRows = max(rowEnds.count, 1)
        let badgeTop = y
        y += Double(badgeRows) * 18 + 4
        body.append(text(8, badgeTop + 12, "key events", cls: "tl-label muted"))

        // Failover span(s).
        if !m.failovers.isEmpty {
            body.append(text(8, y + 10, "failover", cls: "tl-label"))
            for f in m.failovers {
                let x0 = x(f.start), x1 = x(f.end ?? m.end)
                let label = f.end.map { "failover " + Time.text(seconds: Time.seconds($0 - f.start)) } ?? "failover never completed"
                body.append(rect(x0, y + 2, max(x1 - x0, 2), 10, cls: f.end == nil ? "fo-open" : "fo",
                                 title: label + " (from \(Units.clock(f.start)) )"))
                let tx = min(x1 + 4, width - rightPad - 150)
                body.append(text(max(tx, x0), y + 11, label, cls: "tl-small"))
            }
            y += 18
        }

        // Lanes.
        let lanesTop = y
        var laneCenter: [String: Double] = [:]
        for lane in m.lanes {
            // A role that changes inside the window gets a line of its own under the lane.
            let changes = lane.roles.filter { $0.start > m.start }
            let h: Double = lane.kind == .database ? (changes.isEmpty ? 38 : 50) : 22
            body.append("<line class=\"lane-sep\" x1=\"0\" x2=\"\(HTMLText.px(width))\" y1=\"\(HTMLText.px(y))\" y2=\"\(HTMLText.px(y))\"/>")
            body.append(text(8, y + 14, lane.node, cls: "tl-node"))
            let role = TimelineModel.role(lane, at: m.start)
            if !role.isEmpty { body.append(text(8, y + 27, role, cls: "tl-small muted")) }
            // Changes closer than a label's width share one label: the role they end in,
            // with every step in its tooltip (a promotion is RESET SLAVE then read_only=OFF).
            var clusters: [[TimelineModel.Segment]] = []
            for c in changes {
                if let last = clusters.last?.last, x(c.start) - x(last.start) < Double(("→ " + last.label).count) * 6 + 8 {
                    clusters[clusters.count - 1].append(c)
                } else {
                    clusters.append([c])
                }
            }
            for cl in clusters {
                let cx = x(cl[0].start), label = "→ " + cl.last!.label
                let tip = cl.map { "\(Units.clock($0.start)) \(lane.node) becomes \($0.label)" }.joined(separator: "\n")
                body.append("<g class=\"role\"><title>\(HTMLText.escape(tip))</title>"
                    + "<line class=\"role-tick\" x1=\"\(HTMLText.px(cx))\" x2=\"\(HTMLText.px(cx))\" y1=\"\(HTMLText.px(y + 34))\" y2=\"\(HTMLText.px(y + 47))\"/>"
                    + text(min(cx + 3, width - rightPad - Double(label.count) * 6), y + 45, label, cls: "tl-small role-change") + "</g>")
            }
            if lane.kind == .database {
                for s in lane.holder { body.append(rect(x(s.start), y + 2, w(x(s.start), x(s.end)), 4, cls: s.state, title: s.label + span(s))) }
                for s in lane.state {
                    body.append(rect(x(s.start), y + 7, w(x(s.start), x(s.end)), 16, cls: s.state, title: s.label + span(s)))
                    body.append(inside(x(s.start), x(s.end), y + 19, Self.shortState[s.state] ?? ""))
                }
                for s in lane.replication { body.append(rect(x(s.start), y + 26, w(x(s.start), x(s.end)), 7, cls: s.state, title: s.label + span(s))) }
                laneCenter[lane.node] = y + 15
            } else {
                for s in lane.holder { body.append(rect(x(s.start), y + 3, w(x(s.start), x(s.end)), 4, cls: s.state, title: s.label + span(s))) }
                body.append("<line class=\"host-line\" x1=\"\(HTMLText.px(labelWidth))\" x2=\"\(HTMLText.px(width - rightPad))\" y1=\"\(HTMLText.px(y + 12))\" y2=\"\(HTMLText.px(y + 12))\"/>")
                laneCenter[lane.node] = y + 12
            }
            for t in lane.ticks {
                let cls = TimelineModel.category(t.kind).map { "tick-" + $0 } ?? "tick"
                let cy = laneCenter[lane.node]!
                body.append("<line class=\"\(cls)\" x1=\"\(HTMLText.px(x(t.time)))\" x2=\"\(HTMLText.px(x(t.time)))\" y1=\"\(HTMLText.px(cy - 7))\" y2=\"\(HTMLText.px(cy + 7))\"><title>\(HTMLText.escape("\(Units.clock(t.time, fractionDigits: 2)) \(t.kind) \(t.detail)"))</title></line>")
            }
            y += h
        }

        // Client probe writes.
        body.append("<line class=\"lane-sep\" x1=\"0\" x2=\"\(HTMLText.px(width))\" y1=\"\(HTMLText.px(y))\" y2=\"\(HTMLText.px(y))\"/>")
        body.append(text(8, y + 14, "client writes", cls: "tl-node"))
        body.append(text(8, y + 27, "probes every 100 ms", cls: "tl-small muted"))
        body.append(rect(labelWidth, y + 6, plotWidth, 16, cls: "pr-none", title: "no probe writes issued"))
        for seg in probeSegments(m) {
            body.append(rect(x(seg.start), y + 6, w(x(seg.start), x(seg.end)), 16, cls: seg.state, title: seg.label + span(seg)))
            if seg.state == "pr-fail" {
                body.append(inside(x(seg.start), x(seg.end), y + 18, "writes fail"))
            }
        }
        y += 32
        let lanesBottom = y

        // Workload end and quiesce.
        if m.workloadEnd > 0 && m.workloadEnd < m.end {
            let xq = x(m.workloadEnd)
            body.append(rect(xq, lanesTop, x(m.end) - xq, lanesBottom - lanesTop, cls: "quiesce",
                             title: "quiesce: workload stopped at \(Units.clock(m.workloadEnd)); replicas drain"))
        }

        // Fault lines across every lane.
        for f in m.faults {
            let fx = x(f.start)
            if f.start >= m.start { body.append("<line class=\"fault-line\" x1=\"\(HTMLText.px(fx))\" x2=\"\(HTMLText.px(fx))\" y1=\"\(HTMLText.px(badgeTop))\" y2=\"\(HTMLText.px(lanesBottom))\"><title>\(HTMLText.escape("fault at \(Units.clock(f.start)): \(f.label)"))</title></line>") }
            if let e = f.end, e <= m.end {
                let ex = x(e)
                body.append("<line class=\"fault-end\" x1=\"\(HTMLText.px(ex))\" x2=\"\(HTMLText.px(ex))\" y1=\"\(HTMLText.px(badgeTop))\" y2=\"\(HTMLText.px(lanesBottom))\"><title>\(HTMLText.escape("fault over at \(Units.clock(e)): \(f.label)"))</title></line>")
            }
        }

        // Badges, with a faint guide down to the node's lane.
        for p in placed {
            let by = badgeTop + Double(p.row) * 18 + 9
            let first = p.events[0]
            let nodes = Set(p.events.filter { $0.category != "fault" }.flatMap { Self.nodes($0.row.node) })
            for ly in Set(nodes.compactMap { laneCenter[$0] }).sorted() {
                body.append("<line class=\"guide\" x1=\"\(HTMLText.px(p.x))\" x2=\"\(HTMLText.px(p.x))\" y1=\"\(HTMLText.px(by + 8))\" y2=\"\(HTMLText.px(ly))\"/>")
            }
            let tip = p.events.map { "\($0.number). \(Units.clock($0.row.time, fractionDigits: 2)) \($0.row.node): \($0.row.kind) \($0.row.detail)" }
                .joined(separator: "\n")
            let label = p.events.count == 1 ? "\(first.number)" : "\(first.number)–\(p.events.last!.number)"
            let category = Set(p.events.map(\.category)).count == 1 ? first.category : "mixed"
            body.append("<g class=\"badge b-\(category)\"><title>\(HTMLText.escape(tip))</title><rect x=\"\(HTMLText.px(p.x - p.width / 2))\" y=\"\(HTMLText.px(by - 8))\" width=\"\(HTMLText.px(p.width))\" height=\"16\" rx=\"8\"/><text x=\"\(HTMLText.px(p.x))\" y=\"\(HTMLText.px(by + 3.5))\">\(label)</text></g>")
        }

        // Axis.
        let axisY = y + 2
        body.append("<line class=\"axis\" x1=\"\(HTMLText.px(labelWidth))\" x2=\"\(HTMLText.px(width - rightPad))\" y1=\"\(HTMLText.px(axisY))\" y2=\"\(HTMLText.px(axisY))\"/>")
        let step = tickStep(m.end - m.start)
        var t: SimTime = (m.start + step - 1) / step * step
        while t <= m.end {
            let tx = x(t)
            body.append("<line class=\"axis\" x1=\"\(HTMLText.px(tx))\" x2=\"\(HTMLText.px(tx))\" y1=\"\(HTMLText.px(axisY))\" y2=\"\(HTMLText.px(axisY + 4))\"/>")
            body.append("<line class=\"grid\" x1=\"\(HTMLText.px(tx))\" x2=\"\(HTMLText.px(tx))\" y1=\"\(HTMLText.px(lanesTop))\" y2=\"\(HTMLText.px(lanesBottom))\"/>")
            body.append(text(tx, axisY + 15, tickLabel(t, step: step), cls: "tl-small", anchor: "middle"))
            t += step
        }
        body.append(text(width - rightPad, axisY + 28, "simulated time since start", cls: "tl-small muted", anchor: "end"))
        let height = axisY + 34
        // Grid lines first so everything else is drawn over them.
        let grid = body.filter { $0.hasPrefix("<line class=\"grid\"") }
        let rest = body.filter { !$0.hasPrefix("<line class=\"grid\"") }
        return "<svg class=\"tl\" viewBox=\"0 0 \(HTMLText.px(width)) \(HTMLText.px(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
            + "<title>\(HTMLText.escape(title))</title>"
            + (grid + rest).joined() + "</svg>"
    }

    static func nodes(_ node: String) -> [String] { TimelineModel.nodes(node) }

    static let shortState = ["rw": "writable", "ro": "read_only", "down": "down", "starting": "starting"]

    /// A label inside a bar, when the bar is wide enough for it (about 6.2 px a character).
    static func inside(_ x0: Double, _ x1: Double, _ y: Double, _ label: String) -> String {
        guard !label.isEmpty, x1 - x0 >= Double(label.count) * 6.2 + 12 else { return "" }
        return "<text class=\"in-bar\" x=\"\(HTMLText.px(x0 + 6))\" y=\"\(HTMLText.px(y))\">\(HTMLText.escape(label))</text>"
    }

    /// Probe buckets merged into runs of the same class: all committed, some
    /// failed, all failed.
    static func probeSegments(_ m: TimelineModel) -> [TimelineModel.Segment] {
        var out: [TimelineModel.Segment] = []
        for b in m.probes {
            let total = b.ok + b.failed
            guard total > 0 else { continue }
            let cls = b.failed == 0 ? "pr-ok" : (b.ok == 0 ? "pr-fail" : "pr-mixed")
            let label = b.failed == 0 ? "writes succeed" : (b.ok == 0 ? "writes fail" : "some writes fail")
            let e = b.start + m.probeBucket
            if var last = out.last, last.state == cls, last.end == b.start {
                last.end = e
                out[out.count - 1] = last
            } else {
                out.append(TimelineModel.Segment(start: b.start, end: e, state: cls, label: label))
            }
        }
        return out
    }

    static func span(_ s: TimelineModel.Segment) -> String {
        " — \(Units.clock(s.start)) to \(Units.clock(s.end)) (\(Time.text(seconds: Time.seconds(s.end - s.start))))"
    }

    static func w(_ a: Double, _ b: Double) -> Double { max(b - a, 0.8) }

    static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, cls: String, title: String) -> String {
        "<rect class=\"\(cls)\" x=\"\(HTMLText.px(x))\" y=\"\(HTMLText.px(y))\" width=\"\(HTMLText.px(w))\" height=\"\(HTMLText.px(h))\"><title>\(HTMLText.escape(title))</title></rect>"
    }

    static func text(_ x: Double, _ y: Double, _ s: String, cls: String, anchor: String = "start") -> String {
        "<text class=\"\(cls)\" x=\"\(HTMLText.px(x))\" y=\"\(HTMLText.px(y))\"" + (anchor == "start" ? "" : " text-anchor=\"\(anchor)\"") + ">\(HTMLText.escape(s))</text>"
    }

    /// A tick interval giving 6 to 15 ticks: 1-2-5 steps of seconds and minutes.
    static func tickStep(_ end: SimTime) -> SimTime {
        let candidates: [SimTime] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400]
            .map { $0 * Time.second }
        for c in candidates where end / c <= 12 { return c }
        var c = candidates.last!
        while end / c > 12 { c *= 2 }
        return c
    }

    static func tickLabel(_ t: SimTime, step: SimTime) -> String {
        if t == 0 { return "0" }
        if step % Time.hour == 0 { return "\(t / Time.hour) h" }
        if step % Time.minute == 0 { return "\(t / Time.minute) min" }
        if t % Time.minute == 0 { return "\(t / Time.minute) min" }
        return t >= Time.minute ? Units.clock(t, fractionDigits: 0) : "\(t / Time.second) s"
    }
}
