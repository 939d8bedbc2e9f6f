import HasimKernel

/// The values a numeric or duration option accepts (issue 17). Every option has one:
/// `standard` gives each kind a safe range, so an option added without thinking about
/// it is still bounded, and an option narrows it to the real tool's own range.
///
/// Why the standard ranges are what they are:
/// - durations: more than 0 (a timeout of 0 fails every step at once, a cost of 0 is a
///   step that takes no time, which no real tool does) and at most the 10-year horizon
///   (`Time.horizon`), so sums of a few of them fit Int64 nanoseconds. An option whose
///   real default is 0 means "none" by 0 (no delay, no wait) and accepts it; a human
///   delay (`delays`) may be 0 too. A repeating check is an `interval`: at least 1 ms.
/// - integers: 0 to 1,000,000 — counts of checks, retries, megabytes; a product with a
///   duration is computed saturating (`Time.scaled`).
/// - numbers: 0 to 1,000,000, finite.
public enum OptionRange: Sendable, Equatable, CustomStringConvertible {
    /// `orOff`: 0 is accepted besides the range (an interval whose 0 turns the check off).
    case durations(ClosedRange<SimTime>, orOff: Bool = false)
    case integers(ClosedRange<Int>)
    /// `lowerOpen`: the lower bound itself is refused (a rate > 0); `upperOpen`: the
    /// upper bound is refused (a probability < 1).
    case numbers(ClosedRange<Double>, lowerOpen: Bool = false, upperOpen: Bool = false)
    /// Booleans and strings (their `choices` bound them).
    case any

    public static let standardCount: ClosedRange<Int> = 0...1_000_000
    public static let standardNumber: ClosedRange<Double> = 0...1_000_000

    public static func standard(_ kind: OptionKind, default value: OptionValue) -> OptionRange {
        switch kind {
        case .duration: return value == .duration(0) ? .durations(0...Time.horizon) : .positiveDurations
        case .int: return .integers(standardCount)
        case .double: return .numbers(standardNumber)
        case .bool, .string: return .any
        }
    }

    /// More than 0, at most the horizon: timeouts and costs.
    public static let positiveDurations = OptionRange.durations(1...Time.horizon)
    /// 0 to the horizon: a delay where 0 means none (a DBA already at the console).
    public static let delays = OptionRange.durations(0...Time.horizon)
    /// A check that repeats: at least 1 ms. At 0 it repeats at one instant forever (the
    /// watchdog's case); below a millisecond no real tool checks (keepalived's advert_int,
    /// heartbeat's keepalive and Galera's evs periods are milliseconds at the finest, DRBD's
    /// and MHA's whole seconds) and every check is an event, so a run's cost explodes.
    public static let interval = OptionRange.durations(Time.millisecond...Time.horizon)
    /// An interval whose 0 turns the check off.
    public static let intervalOrOff = OptionRange.durations(Time.millisecond...Time.horizon, orOff: true)
    /// A rate or size the model divides by: more than 0.
    public static func positive(upTo upper: Double) -> OptionRange { .numbers(0...upper, lowerOpen: true) }
    /// The lognormal spread of a cost: e^(4σ) is the ratio of the 99.997th percentile to
    /// the median, already 160,000× at 3 (the same bound as the scenario keys' sigma).
    public static let sigma = OptionRange.numbers(0...3)

    public func contains(_ value: OptionValue) -> Bool {
        switch (self, value) {
        case (.any, _): return true
        case (.durations(let r, let orOff), .duration(let t)): return r.contains(t) || (orOff && t == 0)
        case (.integers(let r), .int(let i)): return r.contains(i)
        case (.numbers(let r, let lo, let hi), .double(let d)): return Self.inside(d, r, lo, hi)
        case (.numbers(let r, let lo, let hi), .int(let i)): return Self.inside(Double(i), r, lo, hi)
        default: return false
        }
    }

    private static func inside(_ d: Double, _ r: ClosedRange<Double>, _ lowerOpen: Bool, _ upperOpen: Bool) -> Bool {
        d.isFinite && r.contains(d) && !(lowerOpen && d == r.lowerBound) && !(upperOpen && d == r.upperBound)
    }

    /// As `hasim list` and the errors show it: "> 0 and ≤ 87840h", "1 to 254", "0 to < 1".
    public var description: String {
        switch self {
        case .any: return "any"
        case .durations(let r, let orOff):
            let upper = Self.written(r.upperBound)
            let body = r.lowerBound == 1 ? "> 0 and ≤ \(upper)" : "\(Self.written(r.lowerBound)) to \(upper)"
            return orOff ? "0 (off) or \(body)" : body
        case .integers(let r): return "\(r.lowerBound) to \(r.upperBound)"
        case .numbers(let r, let lo, let hi):
            let a = Self.plain(r.lowerBound), b = Self.plain(r.upperBound)
            switch (lo, hi) {
            case (false, false): return "\(a) to \(b)"
            case (true, false): return "> \(a) and ≤ \(b)"
            case (false, true): return "≥ \(a) and < \(b)"
            case (true, true): return "> \(a) and < \(b)"
            }
        }
    }

    /// Durations in the unit a scenario would write them in: "87840h", "0s", "500ms".
    public static func written(_ t: SimTime) -> String {
        if t == 0 { return "0s" }
        for (unit, ns) in [("h", Time.hour), ("m", Time.minute), ("s", Time.second), ("ms", Time.millisecond), ("us", Time.microsecond)]
        where t % ns == 0 { return "\(t / ns)\(unit)" }
        return "\(t)ns"
    }

    static func plain(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}

extension OptionRange {
    /// The hint beside a refused value: why the bound exists where the reason is common
    /// to a kind (a 0 interval), and where every range is listed.
    public static func hint(_ spec: OptionSpec) -> String {
        switch spec.range {
        case .durations(let r, _) where r.lowerBound >= Time.millisecond:
            return "a check that repeats more often than every millisecond (at 0: forever at one instant) is no real tool's; durations are limited to the 10-year horizon"
        case .durations(let r, _) where r.lowerBound > 0:
            return "no step of a real tool takes no time; durations are limited to the 10-year horizon (`hasim list` shows every option's range)"
        default:
            return "`hasim list` shows every option's range and where it comes from"
        }
    }
}
