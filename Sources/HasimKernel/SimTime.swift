/// Simulated time: integer nanoseconds since the start of a run.
///
/// Never a `Double`: integer time makes a run reproducible bit for bit and keeps
/// the order of simultaneous events decided by the sequence number alone.
public typealias SimTime = Int64

/// Constructors and formatting for simulated durations (also `SimTime`, in ns).
public enum Time {
    public static let nanosecond: SimTime = 1
    public static let microsecond: SimTime = 1_000
    public static let millisecond: SimTime = 1_000_000
    public static let second: SimTime = 1_000_000_000
    public static let minute: SimTime = 60 * second
    public static let hour: SimTime = 60 * minute

    @inlinable public static func us(_ v: Int64) -> SimTime { v * microsecond }
    @inlinable public static func ms(_ v: Int64) -> SimTime { v * millisecond }
    @inlinable public static func s(_ v: Int64) -> SimTime { v * second }

    /// Converts seconds given as a floating value (e.g. a sampled latency) to ns,
    /// rounding to the nearest nanosecond so the conversion is deterministic.
    @inlinable public static func fromSeconds(_ v: Double) -> SimTime {
        SimTime((v * 1e9).rounded())
    }

    @inlinable public static func seconds(_ t: SimTime) -> Double { Double(t) / 1e9 }

    /// Human form used in tables and timelines: "1m 05.250s", "12.004s", "850ms".
    public static func format(_ t: SimTime) -> String {
        let negative = t < 0
        let v = negative ? -t : t
        let s: String
        if v < second {
            let ms = Double(v) / 1e6
            s = ms == ms.rounded() ? "\(Int64(ms))ms" : formatFixed(ms, 3) + "ms"
        } else if v < minute {
            s = formatFixed(Double(v) / 1e9, 3) + "s"
        } else {
            let m = v / minute
            let rest = Double(v % minute) / 1e9
            let restStr = formatFixed(rest, 3)
            s = "\(m)m " + (rest < 10 ? "0" : "") + restStr + "s"
        }
        return negative ? "-" + s : s
    }

    /// Fixed-point formatting without Foundation's locale-dependent formatters.
    public static func formatFixed(_ x: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let negative = x < 0
        let n = Int64((abs(x) * scale).rounded())
        let whole = n / Int64(scale)
        var frac = String(n % Int64(scale))
        while frac.count < digits { frac = "0" + frac }
        let body = digits > 0 ? "\(whole).\(frac)" : "\(whole)"
        return negative && n != 0 ? "-" + body : body
    }
}
