import HasimKernel

/// How report figures are written besides durations (those are `Time.text`, the one
/// duration format): counts as integers when they are integers, times on a run's clock,
/// and the unit a chart axis of durations is drawn in. Locale-independent, so a report
/// is the same on every machine.
public enum Units {
    /// A unit for a chart axis of durations given in seconds.
    public struct DurationUnit: Sendable, Equatable {
        public var symbol: String
        /// Seconds per unit.
        public var seconds: Double
        public static let ms = DurationUnit(symbol: "ms", seconds: 0.001)
        public static let s = DurationUnit(symbol: "s", seconds: 1)
        public static let min = DurationUnit(symbol: "min", seconds: 60)
        public static let h = DurationUnit(symbol: "h", seconds: 3600)
        public static let all: [DurationUnit] = [.ms, .s, .min, .h]
    }

    /// The unit a duration of `seconds` reads best in: below 1 s in ms, below
    /// 2 min in s, below 2 h in min, else h.
    public static func unit(forSeconds seconds: Double) -> DurationUnit {
        let v = abs(seconds)
        if v == 0 { return .s }
        if v < 1 { return .ms }
        if v < 120 { return .s }
        if v < 7200 { return .min }
        return .h
    }

    /// A count: "14", "14.3", "1.5", "0.67".
    public static func count(_ v: Double) -> String {
        if v == v.rounded() { return number(v, 0) }
        return number(v, abs(v) < 1 ? 2 : 1)
    }

    /// Bytes in decimal units: "820 B", "14.2 kB", "3.4 MB", "1.20 GB".
    public static func bytes(_ v: Int64) -> String {
        let d = Double(v)
        if d < 1_000 { return "\(v) B" }
        if d < 1_000_000 { return number(d / 1_000, 1) + " kB" }
        if d < 1_000_000_000 { return number(d / 1_000_000, 1) + " MB" }
        return number(d / 1_000_000_000, 2) + " GB"
    }

    /// A link's capacity: "50 Mbit/s", "1 Gbit/s".
    public static func bitRate(_ bps: Int64) -> String {
        let d = Double(bps)
        if d >= 1e9 { return trimmed(d / 1e9) + " Gbit/s" }
        if d >= 1e6 { return trimmed(d / 1e6) + " Mbit/s" }
        if d >= 1e3 { return trimmed(d / 1e3) + " kbit/s" }
        return "\(bps) bit/s"
    }

    /// Fixed decimals without trailing-zero trimming ("5.10"), "-0" written as "0".
    public static func number(_ v: Double, _ decimals: Int) -> String {
        Time.formatFixed(v, decimals)
    }

    /// A time on a run's clock: "0:00", "5:00.0", "14:10.32", "1:02:03.5" (h:mm:ss),
    /// with tenths (or hundredths when asked) of a second.
    public static func clock(_ t: SimTime, fractionDigits: Int = 1) -> String {
        let negative = t < 0
        let v = negative ? -t : t
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        let unitNs = Time.second / scale
        let ticks = (v + unitNs / 2) / unitNs
        let totalSeconds = ticks / scale
        let frac = ticks % scale
        let h = totalSeconds / 3600, m = (totalSeconds / 60) % 60, s = totalSeconds % 60
        func two(_ x: Int64) -> String { x < 10 ? "0\(x)" : "\(x)" }
        var out = h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
        if fractionDigits > 0 {
            var f = String(frac)
            while f.count < fractionDigits { f = "0" + f }
            out += "." + f
        }
        return (negative ? "-" : "") + out
    }

    /// Up to 3 decimals, trailing zeros removed.
    static func trimmed(_ x: Double) -> String {
        var s = Time.formatFixed(x, 3)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
