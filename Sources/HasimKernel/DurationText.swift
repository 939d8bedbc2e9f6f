/// The one way hasim writes a duration for people (tables, reports, parameters, `check`,
/// `explain`, `list`, Markdown): the unit a DBA reads at a glance, about three significant
/// digits below a minute, then whole seconds or minutes with the larger unit first:
/// "0 s", "800 µs", "850 ms", "12.3 ms", "1.5 s", "45.3 s", "4 min 05 s", "30 min",
/// "2 h 03 min", "6 h". Locale-independent, so output is the same on every machine.
/// (Trace details keep `Time.format`: they are the tools' log lines, not figures.)
extension Time {
    public static func text(_ t: SimTime) -> String {
        if t == 0 { return "0 s" }
        let sign = t < 0 ? "-" : ""
        let v = t < 0 ? -t : t
        if v < microsecond { return sign + "\(v) ns" }
        if v < millisecond { return sign + significant(Double(v) / 1e3, "µs", next: "ms") }
        if v < second { return sign + significant(Double(v) / 1e6, "ms", next: "s") }
        if v < minute - 50 * millisecond { return sign + significant(Double(v) / 1e9, "s", next: nil) }
        let seconds = (v + second / 2) / second
        if seconds < 3600 {
            let m = seconds / 60, s = seconds % 60
            return sign + (s == 0 ? "\(m) min" : "\(m) min \(s < 10 ? "0" : "")\(s) s")
        }
        let minutes = (v + minute / 2) / minute
        let h = minutes / 60, m = minutes % 60
        return sign + (m == 0 ? "\(h) h" : "\(h) h \(m < 10 ? "0" : "")\(m) min")
    }

    /// A duration given in seconds (a stored metric), written as `text(_:)` writes it.
    public static func text(seconds: Double) -> String {
        guard seconds.isFinite else { return seconds.isNaN ? "—" : (seconds > 0 ? "∞" : "-∞") }
        return text(fromSeconds(seconds))
    }

    /// About three significant digits, trailing zeros dropped: "12.3", "1.25", "850";
    /// a value that rounds to 1000 is written in the next unit ("1 ms", not "1000 µs").
    static func significant(_ x: Double, _ unit: String, next: String?) -> String {
        let decimals = x < 9.995 ? 2 : (x < 99.95 ? 1 : 0)
        var s = formatFixed(x, decimals)
        if s == "1000", let next { return "1 " + next }
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s + " " + unit
    }
}
