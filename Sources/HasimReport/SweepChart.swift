import HasimKernel
import HasimScenario

/// A sweep's results against the swept values (issue 15, item 4): `--set KEY=V1,V2` names each
/// variant after the values it sets (`mha [ping_interval=1s]`), so the variants of one scenario
/// that differ in one key are a line over that key's values. Runs and fleet studies are both
/// read this way, from their stored names alone.
public struct SweepAxis<Item> {
    /// The swept key as the variant names carry it (`ping_interval`).
    public var key: String
    /// One line per scenario and values of the other swept keys, points in the key's order.
    public var lines: [(name: String, points: [(value: String, item: Item)])]
    /// Every value reads as a number or a duration: the x axis is to scale and points are sorted
    /// by it; otherwise they are evenly spaced in the order the sweep gave them.
    public var numeric: Bool
}

public enum SweepModel {
    /// The swept keys of these named items, each with the lines over its values. A key whose
    /// every line has a single value (nothing was swept along it) gives no axis.
    public static func axes<Item>(_ items: [(name: String, item: Item)]) -> [SweepAxis<Item>] {
        let parsed = items.compactMap { i in Sweep.settings(of: i.name).map { (base: $0.base, settings: $0.settings, item: i.item) } }
        var keys: [String] = []
        for p in parsed { for s in p.settings where !keys.contains(s.key) { keys.append(s.key) } }
        var out: [SweepAxis<Item>] = []
        for key in keys {
            var lines: [(name: String, points: [(value: String, item: Item)])] = []
            for p in parsed {
                guard let value = p.settings.first(where: { $0.key == key })?.value else { continue }
                let others = p.settings.filter { $0.key != key }
                let name = others.isEmpty ? p.base : Sweep.name(p.base, others)
                if let li = lines.firstIndex(where: { $0.name == name }) {
                    if !lines[li].points.contains(where: { $0.value == value }) { lines[li].points.append((value, p.item)) }
                } else {
                    lines.append((name, [(value, p.item)]))
                }
            }
            lines.removeAll { $0.points.count < 2 }
            guard !lines.isEmpty else { continue }
            let numeric = lines.allSatisfy { $0.points.allSatisfy { x($0.value) != nil } }
            if numeric {
                for i in lines.indices { lines[i].points.sort { x($0.value)! < x($1.value)! } }
            }
            out.append(SweepAxis(key: key, lines: lines, numeric: numeric))
        }
        return out
    }

    /// A swept value on a numeric axis: a number, or a duration in seconds.
    public static func x(_ value: String) -> Double? {
        if let v = Double(value), v.isFinite { return v }
        if case .success(let t) = DurationParser.parse(value) { return Double(t) / 1e9 }
        return nil
    }
}

/// One metric against one swept key: a line per scenario, each point the mean with a whisker over
/// its spread (min–max over seeds for runs, the 95 % confidence interval for fleet studies).
public enum SweepChartSVG {
    public struct Point: Sendable, Equatable {
        public var value: String
        public var mean: Double
        public var low: Double
        public var high: Double
        public init(value: String, mean: Double, low: Double, high: Double) {
            self.value = value
            self.mean = mean
            self.low = low
            self.high = high
        }
    }

    public struct Line: Sendable, Equatable {
        public var name: String
        public var points: [Point]
        public init(name: String, points: [Point]) {
            self.name = name
            self.points = points
        }
    }

    /// `durations`: values are seconds, drawn in one unit for the whole axis; else `format`
    /// writes them (counts, yearly figures).
    public static func render(title: String, key: String, lines: [Line], numeric: Bool, durations: Bool,
                              format: (Double) -> String) -> String {
        let width = 560.0, left = 64.0, right = 18.0, top = 28.0, plotH = 150.0
        let plotW = width - left - right
        let keyRows = lines.count > 1 ? Double(lines.count) : 0
        let height = top + plotH + 44 + 16 * keyRows
        // x: to scale between the smallest and largest value, or the values evenly spaced.
        var values: [String] = []
        for l in lines { for p in l.points where !values.contains(p.value) { values.append(p.value) } }
        let xs = values.map { SweepModel.x($0) ?? 0 }
        let lo = xs.min() ?? 0, hi = xs.max() ?? 0
        func x(_ value: String) -> Double {
            let pad = 18.0
            if numeric && hi > lo { return left + pad + (plotW - 2 * pad) * ((SweepModel.x(value) ?? lo) - lo) / (hi - lo) }
            let i = Double(values.firstIndex(of: value) ?? 0)
            return values.count < 2 ? left + plotW / 2 : left + pad + (plotW - 2 * pad) * i / Double(values.count - 1)
        }
        let maxV = lines.flatMap(\.points).map { max($0.high, $0.mean) }.max() ?? 0
        let unit = durations ? Units.unit(forSeconds: maxV) : Units.DurationUnit(symbol: "", seconds: 1)
        let scaleMax = LinearScale.niceMax(maxV / unit.seconds)
        func y(_ v: Double) -> Double { top + plotH * (1 - min(max(v / unit.seconds / scaleMax, 0), 1)) }

        var out: [String] = []
        out.append("<text class=\"ch-title\" x=\"0\" y=\"15\">\(HTMLText.escape(title))</text>")
        for i in 0...4 {
            let v = scaleMax * Double(i) / 4, gy = top + plotH * (1 - Double(i) / 4)
            out.append("<line class=\"grid\" x1=\"\(HTMLText.px(left))\" x2=\"\(HTMLText.px(width - right))\" y1=\"\(HTMLText.px(gy))\" y2=\"\(HTMLText.px(gy))\"/>")
            let label = Units.trimmed(v) + (unit.symbol.isEmpty ? "" : " " + unit.symbol)
            out.append("<text class=\"tl-small\" x=\"\(HTMLText.px(left - 6))\" y=\"\(HTMLText.px(gy + 4))\" text-anchor=\"end\">\(HTMLText.escape(label))</text>")
        }
        for v in values {
            out.append("<text class=\"tl-small\" x=\"\(HTMLText.px(x(v)))\" y=\"\(HTMLText.px(top + plotH + 15))\" text-anchor=\"middle\">\(HTMLText.escape(v))</text>")
        }
        out.append("<text class=\"tl-small muted\" x=\"\(HTMLText.px(left + plotW / 2))\" y=\"\(HTMLText.px(top + plotH + 32))\" text-anchor=\"middle\">\(HTMLText.escape(key))\(numeric ? "" : " (in the order swept)")</text>")
        func text(_ v: Double) -> String { durations ? Time.text(seconds: v) : format(v) }
        for (i, l) in lines.enumerated() {
            var g = "<g class=\"ln c\(i % 8)\"><title>\(HTMLText.escape(l.name))</title>"
            if l.points.count > 1 {
                g += "<polyline points=\"" + l.points.map { "\(HTMLText.px(x($0.value))),\(HTMLText.px(y($0.mean)))" }.joined(separator: " ") + "\"/>"
            }
            for p in l.points {
                let px = x(p.value)
                if p.high > p.low {
                    let a = y(p.low), b = y(p.high)
                    g += "<path class=\"whisker\" d=\"M\(HTMLText.px(px)) \(HTMLText.px(a))V\(HTMLText.px(b))M\(HTMLText.px(px - 4)) \(HTMLText.px(a))H\(HTMLText.px(px + 4))M\(HTMLText.px(px - 4)) \(HTMLText.px(b))H\(HTMLText.px(px + 4))\"/>"
                }
                let spread = p.high > p.low ? " [\(text(p.low))–\(text(p.high))]" : ""
                g += "<circle cx=\"\(HTMLText.px(px))\" cy=\"\(HTMLText.px(y(p.mean)))\" r=\"3.2\"><title>\(HTMLText.escape("\(l.name), \(key)=\(p.value): \(text(p.mean))\(spread)"))</title></circle>"
            }
            out.append(g + "</g>")
        }
        if lines.count > 1 {
            for (i, l) in lines.enumerated() {
                let ky = top + plotH + 44 + 16 * Double(i)
                out.append("<rect class=\"key c\(i % 8)\" x=\"\(HTMLText.px(left))\" y=\"\(HTMLText.px(ky - 9))\" width=\"10\" height=\"10\"/>")
                out.append("<text class=\"tl-small\" x=\"\(HTMLText.px(left + 15))\" y=\"\(HTMLText.px(ky))\">\(HTMLText.escape(l.name))</text>")
            }
        }
        return "<svg class=\"chart\" viewBox=\"0 0 \(HTMLText.px(width)) \(HTMLText.px(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
            + out.joined() + "</svg>"
    }
}
