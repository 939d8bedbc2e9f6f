import HasimKernel

/// How report figures are written: durations in the unit a DBA reads at a glance
/// (ms, s, min, h) with about three significant digits, counts as integers when
/// they are integers. Locale-independent, so a report is the same on every machine.
public enum Units {
    /// A unit for durations given in seconds.
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

    /// Decimals for about three significant digits: 2 below 10, 1 below 100, else 0.
    public static func decimals(for value: Double) -> Int {
        let v = abs(value)
        if v < 10 { return 2 }
        if v < 100 { return 1 }
        return 0
    }

    /// "0 s", "12.9 ms", "4.25 s", "45.3 s", "19.2 min", "2.50 h".
    public static func duration(seconds: Double) -> String {
        if seconds == 0 { return "0 s" }
        let u = unit(forSeconds: seconds)
        let x = seconds / u.seconds
        return number(x, decimals(for: x)) + " " + u.symbol
    }

    /// A count: "14", "14.3", "1.5", "0.67".
    public static func count(_ v: Double) -> String {
        if v == v.rounded() { return number(v, 0) }
        return number(v, abs(v) < 1 ? 2 : 1)
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

    /// A duration given in ns, for parameters: "30 min", "5 min 30 s", "800 µs", "1.5 s".
    public static func span(_ t: SimTime) -> String {
        if t == 0 { return "0 s" }
        let v = abs(t)
        let sign = t < 0 ? "-" : ""
        if v % Time.hour == 0 { return sign + "\(v / Time.hour) h" }
        if v % Time.minute == 0 { return sign + "\(v / Time.minute) min" }
        if v >= Time.minute && v % Time.second == 0 {
            return sign + "\(v / Time.minute) min \(v % Time.minute / Time.second) s"
        }
        if v % Time.second == 0 { return sign + "\(v / Time.second) s" }
        if v >= Time.second { return sign + trimmed(Double(v) / 1e9) + " s" }
        if v % Time.millisecond == 0 { return sign + "\(v / Time.millisecond) ms" }
        if v >= Time.millisecond { return sign + trimmed(Double(v) / 1e6) + " ms" }
        if v % Time.microsecond == 0 { return sign + "\(v / Time.microsecond) µs" }
        return sign + "\(v) ns"
    }

    /// Up to 3 decimals, trailing zeros removed.
    static func trimmed(_ x: Double) -> String {
        var s = Time.formatFixed(x, 3)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
