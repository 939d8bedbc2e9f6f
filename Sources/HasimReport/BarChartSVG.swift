import HasimKernel

/// A horizontal bar chart of one metric per architecture: the bar is the mean
/// over seeds, the whisker spans min to max, the value is written at the end.
public enum BarChartSVG {
    public struct Bar: Sendable {
        public var label: String
        public var stats: MetricStats?
        public var colorIndex: Int
        public init(label: String, stats: MetricStats?, colorIndex: Int) {
            self.label = label
            self.stats = stats
            self.colorIndex = colorIndex
        }
    }

    public static func render(title: String, metric: ReportMetric, bars: [Bar]) -> String {
        let width = 560.0, labelW = 200.0, valueW = 120.0
        let plotW = width - labelW - valueW
        let rowH = 26.0, top = 26.0
        let maxV = bars.compactMap { $0.stats?.max }.max() ?? 0
        // Durations are drawn in one unit for the whole chart.
        let unit = metric.kind == .duration ? Units.unit(forSeconds: maxV) : Units.DurationUnit(symbol: "", seconds: 1)
        let tickStep = max(niceStep(maxV / unit.seconds / 4), metric.kind == .count ? 1 : 0)
        let ticks = tickStep > 0 ? max(Int((maxV / unit.seconds / tickStep).rounded(.up)), 1) : 1
        let scaleMax = tickStep * Double(ticks)
        func x(_ v: Double) -> Double { labelW + (scaleMax > 0 ? plotW * (v / unit.seconds) / scaleMax : 0) }

        var out: [String] = []
        out.append("<text class=\"ch-title\" x=\"0\" y=\"15\">\(HTMLText.escape(title))</text>")
        let height = top + rowH * Double(bars.count) + 26
        // Grid.
        for i in 0...ticks {
            let v = scaleMax * Double(i) / Double(ticks)
            let gx = labelW + plotW * Double(i) / Double(ticks)
            out.append("<line class=\"grid\" x1=\"\(HTMLText.px(gx))\" x2=\"\(HTMLText.px(gx))\" y1=\"\(HTMLText.px(top - 4))\" y2=\"\(HTMLText.px(top + rowH * Double(bars.count)))\"/>")
            let label = Units.trimmed(v) + (unit.symbol.isEmpty || i < ticks ? "" : " " + unit.symbol)
            out.append("<text class=\"tl-small\" x=\"\(HTMLText.px(gx))\" y=\"\(HTMLText.px(top + rowH * Double(bars.count) + 14))\" text-anchor=\"middle\">\(HTMLText.escape(label))</text>")
        }
        for (i, b) in bars.enumerated() {
            let y = top + rowH * Double(i)
            out.append("<text class=\"ch-label\" x=\"\(HTMLText.px(labelW - 8))\" y=\"\(HTMLText.px(y + 17))\" text-anchor=\"end\"><title>\(HTMLText.escape(b.label))</title>\(HTMLText.escape(shorten(b.label, 30)))</text>")
            guard let s = b.stats else {
                out.append("<text class=\"ch-value na\" x=\"\(HTMLText.px(labelW + 4))\" y=\"\(HTMLText.px(y + 17))\">— not measured</text>")
                continue
            }
            let txt = StatsText(s, metric)
            let x1 = x(s.mean)
            out.append("<rect class=\"bar c\(b.colorIndex % 8)\" x=\"\(HTMLText.px(labelW))\" y=\"\(HTMLText.px(y + 5))\" width=\"\(HTMLText.px(max(x1 - labelW, s.mean > 0 ? 1.5 : 0)))\" height=\"16\"><title>\(HTMLText.escape("\(b.label): mean \(txt.inline)"))</title></rect>")
            if s.min != s.max {
                let a = x(s.min), c = x(s.max), cy = y + 13
                out.append("<path class=\"whisker\" d=\"M\(HTMLText.px(a)) \(HTMLText.px(cy))H\(HTMLText.px(c))M\(HTMLText.px(a)) \(HTMLText.px(cy - 5))V\(HTMLText.px(cy + 5))M\(HTMLText.px(c)) \(HTMLText.px(cy - 5))V\(HTMLText.px(cy + 5))\"/>")
            }
            let vx = max(x1, x(s.max)) + 6
            out.append("<text class=\"ch-value\" x=\"\(HTMLText.px(vx))\" y=\"\(HTMLText.px(y + 17))\">\(HTMLText.escape(txt.mean))</text>")
        }
        return "<svg class=\"chart\" viewBox=\"0 0 \(HTMLText.px(width)) \(HTMLText.px(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
            + out.joined() + "</svg>"
    }

    /// 1, 2, 2.5, 5 x 10^k at or above v (0 stays 0, so an all-zero chart has no bars).
    static func niceStep(_ v: Double) -> Double {
        guard v > 0 else { return 0 }
        var p = 1.0
        while p * 10 <= v { p *= 10 }
        while p > v { p /= 10 }
        for m in [1.0, 2, 2.5, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    static func shorten(_ s: String, _ n: Int) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }
}
