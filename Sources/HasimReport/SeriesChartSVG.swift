import Foundation
import HasimKernel
import HasimStore

/// Charts over time under a timeline, on the same horizontal scale (`TimelineSVG`'s
/// width, label column and window): commit latency p50/p99 (log scale: a failover takes
/// it from milliseconds to seconds), throughput per client, replication lag per replica
/// (seconds and transactions) and failed probe writes per second by error code, with the
/// faults and failover spans of the timeline above. A strip with nothing stored in the
/// window is left out: nothing is drawn that was not measured.
public enum SeriesChartSVG {
    static var width: Double { TimelineSVG.width }
    static var labelWidth: Double { TimelineSVG.labelWidth }
    static var plotWidth: Double { TimelineSVG.plotWidth }
    static let stripHeight = 74.0
    static let plotTop = 8.0
    static let plotHeight = 54.0

    public static func render(_ s: RunSeries, _ m: TimelineModel, title: String) -> String {
        let from = m.start, to = m.end
        let shown = Double(max(to - from, 1))
        func x(_ t: SimTime) -> Double { labelWidth + plotWidth * min(max(Double(t - from) / shown, 0), 1) }
        let bin = SeriesBins.width(span: to - from, interval: s.interval)
        func inWindow(_ t: SimTime) -> Bool { t + s.interval > from && t < to }
        var body: [String] = []
        var y = 0.0
        let binNote = bin > s.interval ? " · max per \(Time.text(bin))" : ""

        // Commit latency.
        let lat = s.latency.filter { ($0.bucketStart.map(inWindow)) ?? false }
        if !lat.isEmpty {
            let p50 = SeriesBins.bin(lat.map { .init(time: $0.bucketStart!, value: Double($0.p50)) }, width: bin, .max)
            let p99 = SeriesBins.bin(lat.map { .init(time: $0.bucketStart!, value: Double($0.p99)) }, width: bin, .max)
            let scale = LogScale(values: (p50 + p99).map(\.value))
            body.append(label(y, "commit latency", "acknowledged writes, log scale" + binNote,
                              legend: [("p50", 0), ("p99", 1)]))
            body += scale.ticks.map { v in
                gridLine(y + scale.y(v, top: plotTop, height: plotHeight)) + axisLabel(y + scale.y(v, top: plotTop, height: plotHeight) + 4, Time.text(SimTime(v)))
            }
            body.append(polyline(p50, bin: bin, x: x, y: { y + scale.y($0, top: plotTop, height: plotHeight) }, color: 0,
                                 title: "commit latency p50, peak \(Time.text(Int64(p50.map(\.value).max() ?? 0)))"))
            body.append(polyline(p99, bin: bin, x: x, y: { y + scale.y($0, top: plotTop, height: plotHeight) }, color: 1,
                                 title: "commit latency p99, peak \(Time.text(Int64(p99.map(\.value).max() ?? 0)))"))
            y += stripHeight
        }

        // Throughput, lag: linear scales from 0.
        func linear(_ lines: [RunSeries.Line], _ name: String, _ sub: String, _ reduce: SeriesBins.Reduce,
                    integer: Bool = false, format: (Double) -> String) {
            let shownLines = lines.map { l in (l.subject, SeriesBins.bin(l.points.filter { inWindow($0.time) }, width: bin, reduce)) }
                .filter { !$0.1.isEmpty }
            guard !shownLines.isEmpty else { return }
            let top = LinearScale.niceMax(shownLines.flatMap { $0.1.map(\.value) }.filter { !$0.isNaN }.max() ?? 0)
            func yv(_ v: Double) -> Double { y + plotTop + plotHeight * (1 - v / top) }
            body.append(label(y, name, sub, legend: shownLines.enumerated().map { ($0.element.0, $0.offset) }))
            // A count axis gets no half-way tick that is not a whole number.
            for v in [0, top / 2, top] where !integer || v == v.rounded() { body.append(gridLine(yv(v)) + axisLabel(yv(v) + 4, format(v))) }
            for (i, l) in shownLines.enumerated() {
                let peak = l.1.map(\.value).filter { !$0.isNaN }.max()
                body.append(polyline(l.1, bin: bin, x: x, y: yv, color: i,
                                     title: "\(name) of \(l.0)" + (peak.map { ", peak \(format($0))" } ?? "")))
                // NULL samples (Seconds_Behind_Source while a thread is stopped) as a band on the axis.
                for p in l.1 where p.value.isNaN {
                    body.append(TimelineSVG.rect(x(p.time), y + plotTop + plotHeight - 3 - Double(i) * 4, max(x(p.time + bin) - x(p.time), 0.8), 3,
                                                 cls: "ln-null c\(i % 8)", title: "\(l.0): NULL (a replication thread stopped)"))
                }
            }
            y += stripHeight
        }
        let perSecond = bin > s.interval ? " · mean per \(Time.text(bin))" : ""
        linear(s.throughput, "throughput", "writes acknowledged per second" + perSecond, .mean) { Units.count(($0 * 10).rounded() / 10) + "/s" }
        linear(s.lagSeconds, "replication lag", "Seconds_Behind_Source" + binNote, .max) { Time.text(seconds: $0) }
        linear(s.lagTransactions, "relay log", "backlog: transactions received, not applied" + binNote, .max, integer: true) { Units.count($0) }

        // Failed probe writes, stacked by error code.
        let failed = s.failedProbes.filter { inWindow($0.start) }
        if !failed.isEmpty {
            let codes = Array(Set(failed.map(\.code))).sorted()
            var stacks: [SimTime: [Int: Int]] = [:]
            for f in failed { stacks[f.start / bin * bin, default: [:]][f.code, default: 0] += f.count }
            let binSeconds = Time.seconds(bin)
            let top = LinearScale.niceMax(stacks.values.map { Double($0.values.reduce(0, +)) / binSeconds }.max() ?? 0)
            func yv(_ v: Double) -> Double { y + plotTop + plotHeight * (1 - v / top) }
            body.append(label(y, "failed writes", "probe writes per second, by error code",
                              legend: codes.map { (ErrorCodes.short($0), ErrorCodes.colorIndex($0)) }))
            for v in [0, top / 2, top] { body.append(gridLine(yv(v)) + axisLabel(yv(v) + 4, Units.count(v) + "/s")) }
            for t in stacks.keys.sorted() {
                var base = 0.0
                for code in codes {
                    guard let n = stacks[t]?[code] else { continue }
                    let v = Double(n) / binSeconds
                    body.append(TimelineSVG.rect(x(t), yv(base + v), max(x(t + bin) - x(t), 0.8), yv(base) - yv(base + v),
                                                 cls: "err c\(ErrorCodes.colorIndex(code))",
                                                 title: "\(Units.clock(t))–\(Units.clock(t + bin)): \(n) probe\(n == 1 ? "" : "s") failed with \(ErrorCodes.describe(code))"))
                    base += v
                }
            }
            y += stripHeight
        }
        guard y > 0 else { return "" }

        // Faults and failover spans across the strips, as in the timeline above.
        var overlay: [String] = []
        for f in m.failovers {
            let x0 = x(f.start), x1 = x(f.end ?? m.end)
            overlay.append(TimelineSVG.rect(x0, 0, max(x1 - x0, 1), y, cls: "ch-fo", title: "failover span"))
        }
        for f in m.faults where f.start >= from && f.start <= to {
            overlay.append("<line class=\"fault-line\" x1=\"\(HTMLText.px(x(f.start)))\" x2=\"\(HTMLText.px(x(f.start)))\" y1=\"0\" y2=\"\(HTMLText.px(y))\"><title>\(HTMLText.escape("fault at \(Units.clock(f.start)): \(f.label)"))</title></line>")
        }
        // Time axis, the same ticks as the timeline's.
        let axisY = y + 2
        body.append("<line class=\"axis\" x1=\"\(HTMLText.px(labelWidth))\" x2=\"\(HTMLText.px(width - TimelineSVG.rightPad))\" y1=\"\(HTMLText.px(axisY))\" y2=\"\(HTMLText.px(axisY))\"/>")
        let step = TimelineSVG.tickStep(to - from)
        var t: SimTime = (from + step - 1) / step * step
        while t <= to {
            body.append(TimelineSVG.text(x(t), axisY + 15, TimelineSVG.tickLabel(t, step: step), cls: "tl-small", anchor: "middle"))
            t += step
        }
        let height = axisY + 22
        return "<svg class=\"tl charts-over-time\" viewBox=\"0 0 \(HTMLText.px(width)) \(HTMLText.px(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
            + "<title>\(HTMLText.escape(title))</title>" + (overlay + body).joined() + "</svg>"
    }

    // MARK: - Pieces

    static func label(_ y: Double, _ name: String, _ sub: String, legend: [(String, Int)]) -> String {
        var s = "<line class=\"lane-sep\" x1=\"0\" x2=\"\(HTMLText.px(width))\" y1=\"\(HTMLText.px(y))\" y2=\"\(HTMLText.px(y))\"/>"
        s += TimelineSVG.text(8, y + 16, name, cls: "tl-node")
        // The subtitle wraps onto up to three short lines so it stays left of the axis labels.
        let words = sub.split(separator: " ")
        var lines = [""]
        for w in words {
            if lines[lines.count - 1].count + w.count + 1 > 17 && !lines[lines.count - 1].isEmpty { lines.append("") }
            lines[lines.count - 1] += (lines[lines.count - 1].isEmpty ? "" : " ") + w
        }
        for (i, l) in lines.prefix(3).enumerated() { s += TimelineSVG.text(8, y + 29 + Double(i) * 12, l, cls: "tl-small muted") }
        // Legend along the top of the plot, right-aligned.
        var lx = width - TimelineSVG.rightPad
        for (text, color) in legend.reversed() {
            s += TimelineSVG.text(lx, y + 11, text, cls: "tl-small", anchor: "end")
            lx -= Double(text.count) * 6.3 + 6
            s += "<rect class=\"key c\(color % 8)\" x=\"\(HTMLText.px(lx - 12))\" y=\"\(HTMLText.px(y + 4))\" width=\"12\" height=\"8\"/>"
            lx -= 22
        }
        return s
    }

    static func gridLine(_ y: Double) -> String {
        "<line class=\"grid\" x1=\"\(HTMLText.px(labelWidth))\" x2=\"\(HTMLText.px(width - TimelineSVG.rightPad))\" y1=\"\(HTMLText.px(y))\" y2=\"\(HTMLText.px(y))\"/>"
    }

    static func axisLabel(_ y: Double, _ s: String) -> String {
        TimelineSVG.text(labelWidth - 4, y, s, cls: "tl-small muted", anchor: "end")
    }

    /// A line through bucket centres, broken where a bucket has no row or a NULL value.
    static func polyline(_ points: [RunSeries.Point], bin: SimTime, x: (SimTime) -> Double, y: (Double) -> Double,
                         color: Int, title: String) -> String {
        var runs: [[String]] = []
        var last: SimTime? = nil
        for p in points {
            guard !p.value.isNaN else { last = nil; continue }
            let xy = "\(HTMLText.px(x(p.time + bin / 2))),\(HTMLText.px(y(p.value)))"
            if let l = last, p.time - l <= bin { runs[runs.count - 1].append(xy) } else { runs.append([xy]) }
            last = p.time
        }
        var s = "<g class=\"ln c\(color % 8)\"><title>\(HTMLText.escape(title))</title>"
        for r in runs {
            if r.count == 1 {
                let c = r[0].split(separator: ",")
                s += "<circle cx=\"\(c[0])\" cy=\"\(c[1])\" r=\"1.6\"/>"
            } else {
                s += "<polyline points=\"\(r.joined(separator: " "))\"/>"
            }
        }
        return s + "</g>"
    }
}

/// A log scale over whole decades covering the values (ns).
struct LogScale {
    var low: Double
    var high: Double
    init(values: [Double]) {
        let v = values.filter { $0 > 0 && !$0.isNaN }
        let lo = floor(log10(v.min() ?? 1e6)), hi = ceil(log10(v.max() ?? 1e6))
        low = lo
        high = hi > lo ? hi : lo + 1
    }
    func y(_ v: Double, top: Double, height: Double) -> Double {
        let l = log10(max(v, pow(10, low)))
        return top + height * (1 - (l - low) / (high - low))
    }
    /// Every decade, or every other one past four.
    var ticks: [Double] {
        let step = high - low > 4 ? 2.0 : 1.0
        return stride(from: low, through: high, by: step).map { pow(10, $0) }
    }
}

enum LinearScale {
    /// The smallest 1-2-5 number at or above `v` (1 when nothing was above zero).
    static func niceMax(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 2, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }
}

/// The error codes a probe write fails with, as a DBA reads them.
public enum ErrorCodes {
    static let names: [Int: String] = [
        -1: "no answer within the probe timeout", 0: "rejected: no application thread free",
        1047: "WSREP has not yet prepared node", 1205: "lock wait timeout", 1213: "deadlock",
        1290: "read-only", 2003: "can't connect", 2006: "server has gone away", 2013: "lost connection during query",
    ]
    /// Fixed colours for the usual codes so charts of every run read alike.
    static let colors: [Int: Int] = [2003: 1, 2013: 4, 2006: 7, 1290: 0, 1213: 3, 1047: 5, 0: 6, -1: 2]

    static func short(_ code: Int) -> String {
        switch code {
        case -1: return "timeout"
        case 0: return "rejected (0)"
        default: return names[code].map { "\(code) \($0)" } ?? "\(code)"
        }
    }
    public static func describe(_ code: Int) -> String {
        switch code {
        case -1: return "no answer within the probe timeout"
        case 0: return "error 0 (rejected: no application thread free)"
        default: return "error \(code)" + (names[code].map { " (\($0))" } ?? "")
        }
    }
    static func colorIndex(_ code: Int) -> Int { colors[code] ?? (abs(code) % 8) }
}
