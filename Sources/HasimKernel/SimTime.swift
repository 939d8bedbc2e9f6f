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

    /// The longest duration a scenario may give: ten years. Int64 nanoseconds reach
    /// 292 years, so a handful of durations each within this horizon add up without
    /// overflow; products of a duration and a user count go through `scaled` instead.
    public static let horizon: SimTime = 10 * 366 * 24 * hour

    /// "Never": what a saturated sum or product becomes. Half of Int64's range, so that
    /// `now + never` (a timer that cannot fire within any run) still fits.
    public static let never: SimTime = Int64.max / 2

    /// Converts seconds given as a floating value (e.g. a sampled latency) to ns,
    /// rounding to the nearest nanosecond so the conversion is deterministic. A sample
    /// past `never` (a lognormal tail with a large sigma, 1/rate of a tiny rate) is
    /// `never` instead of a trapping conversion; NaN and negatives are 0.
    ///
    /// Rounded without libm's `round` (a call per sampled latency, with the conversion itself
    /// not inlined: 7 M instructions of 491 M in the 40-second MHA cut): for 0 < x < 2^62 the
    /// truncation `Int64(x)` is exact, `x - trunc(x)` is exact too (the fraction of a double),
    /// and adding one when it is at least one half is `rounded()`'s half-away-from-zero rule.
    /// At or past 2^62 (`Double(never)`: no double lies in [2^62 − 0.5, 2^62)) both give
    /// `never`; NaN and x ≤ 0 (whose rounding is ≤ 0) both give 0. `TimeTests` checks it.
    @inlinable @inline(__always) public static func fromSeconds(_ v: Double) -> SimTime {
        let x = v * 1e9
        guard x > 0 else { return 0 }  // also NaN
        guard x < Double(never) else { return never }
        let t = Int64(x)
        let ns = x - Double(t) >= 0.5 ? t &+ 1 : t
        return ns > 0 ? ns : 0
    }

    /// `a + b` for durations built from user values (a timeout plus a delay ...):
    /// saturates at `never` instead of trapping (issue 17).
    @inlinable public static func sum(_ a: SimTime, _ b: SimTime) -> SimTime {
        let (v, o) = a.addingReportingOverflow(b)
        return o || v > never ? never : v
    }

    /// `t × n` for a duration multiplied by a user count (a per-row cost × rows, minutes ×
    /// 60 s ...): saturates at `never` instead of trapping (issue 17).
    @inlinable public static func scaled(_ t: SimTime, _ n: Int64) -> SimTime {
        let (v, o) = t.multipliedReportingOverflow(by: n)
        if o { return (t < 0) != (n < 0) ? -never : never }
        return min(v, never)
    }

    /// `t × n / d` exactly, in 128 bits (a share of an interval: inter × i / servers,
    /// advert_int × (256 − priority) / 256), for 0 ≤ n ≤ d; a 10-year t times thousands
    /// overflows 64 bits even though the result is below t.
    @inlinable public static func fraction(_ t: SimTime, _ n: Int64, of d: Int64) -> SimTime {
        precondition(d > 0 && n >= 0 && n <= d, "a fraction n/d with 0 <= n <= d")
        return d.dividingFullWidth(t.multipliedFullWidth(by: n)).quotient
    }

    /// `t × factor` for a duration scaled by a real factor (a slowdown, a fraction),
    /// truncated to the nanosecond; saturates at `never`.
    @inlinable public static func scaled(_ t: SimTime, by factor: Double) -> SimTime {
        let v = Double(t) * factor
        guard !v.isNaN, v > 0 else { return 0 }
        return v < Double(never) ? SimTime(v) : never
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
