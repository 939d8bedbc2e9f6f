import HasimKernel

/// Parses the durations of scenario files: a number followed by a unit,
/// e.g. "250ms", "1.5s", "10s", "5m", "2h", "100us". Several parts may be
/// chained ("1m30s"). A bare number has no unit and is refused: it is the most
/// common mistake (is `30` seconds or milliseconds?).
public enum DurationParser {
    public enum Failure: Error, Sendable, Equatable {
        case empty
        /// A number without a unit.
        case bareNumber
        case negative
        case unknownUnit(String)
        case malformed
        case tooLarge
    }

    /// Units with their length in nanoseconds, as written in files.
    public static let units: [(name: String, ns: SimTime)] = [
        ("ns", Time.nanosecond), ("us", Time.microsecond), ("µs", Time.microsecond),
        ("ms", Time.millisecond), ("s", Time.second), ("m", Time.minute),
        ("min", Time.minute), ("h", Time.hour),
    ]

    public static let unitList = "ns, us, ms, s, m, h"

    /// The longest duration a scenario may give: ten years (`Time.horizon`). Int64
    /// nanoseconds reach 292 years, so a run's durations and timeouts can be added up
    /// (duration + quiesce + a recovery + a timeout ...) without overflow as long as
    /// each is within this horizon. A fleet-year fits with room to spare.
    public static let horizon: SimTime = Time.horizon
    public static let horizonText = "10 years (87840h)"

    public static func parse(_ text: String) -> Result<SimTime, Failure> {
        let chars = Array(text.trimmingWhitespace())
        if chars.isEmpty { return .failure(.empty) }
        if chars[0] == "-" { return .failure(.negative) }
        var i = 0
        var total: SimTime = 0
        var parts = 0
        while i < chars.count {
            // number: digits [. digits]
            var whole = ""
            var fraction = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { whole.append(chars[i]); i += 1 }
            if i < chars.count, chars[i] == "." {
                i += 1
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { fraction.append(chars[i]); i += 1 }
            }
            if whole.isEmpty && fraction.isEmpty { return .failure(.malformed) }
            while i < chars.count, chars[i] == " " { i += 1 }
            var unit = ""
            while i < chars.count, chars[i].isLetter { unit.append(chars[i]); i += 1 }
            while i < chars.count, chars[i] == " " { i += 1 }
            if unit.isEmpty {
                // "30" is a bare number; "30 x!" or "1.2.3" are malformed.
                return .failure(i >= chars.count && parts == 0 ? .bareNumber : .malformed)
            }
            guard let scale = units.first(where: { $0.name == unit })?.ns else {
                return .failure(.unknownUnit(unit))
            }
            guard let part = value(whole: whole, fraction: fraction, scale: scale) else {
                return .failure(.tooLarge)
            }
            let (sum, overflow) = total.addingReportingOverflow(part)
            if overflow { return .failure(.tooLarge) }
            total = sum
            parts += 1
        }
        return total > horizon ? .failure(.tooLarge) : .success(total)
    }

    /// whole.fraction × scale, in integer nanoseconds (fraction rounded to the
    /// nearest nanosecond); nil on overflow.
    private static func value(whole: String, fraction: String, scale: SimTime) -> SimTime? {
        var w: SimTime = 0
        for c in whole {
            guard let d = c.wholeNumberValue else { return nil }
            let (m, o1) = w.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(SimTime(d))
            if o1 || o2 { return nil }
            w = a
        }
        let (base, overflow) = w.multipliedReportingOverflow(by: scale)
        if overflow { return nil }
        if fraction.isEmpty { return base }
        // At most 18 digits matter below one hour's worth of nanoseconds.
        guard let f = Double("0." + String(fraction.prefix(18))) else { return nil }
        let extra = SimTime((f * Double(scale)).rounded())
        let (sum, o) = base.addingReportingOverflow(extra)
        return o ? nil : sum
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return s
    }
}
