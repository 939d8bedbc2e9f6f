import HasimKernel
import Yams

/// The documented range of every numeric scenario key that the model could not honour
/// beyond it (issue 17): values past these either overflow Int64 nanoseconds, allocate
/// without bound, or describe something no real system does. Each limit says why, and
/// scenarios/README.md lists them. Durations are bounded by `DurationParser.horizon`.
public enum Limits {
    /// Rates (writes, reads per second): below one per 1000 s the interval between two
    /// writes leaves any run; above 200,000/s one simulated second needs ~100 MB.
    public static let rate: ClosedRange<Double> = 0.001...200_000
    /// Rows kept hot by updates: each is allocated up front on every server and compared
    /// at the end (10,000,000 took 443 s and 1 GB for a 35 s run of two servers in a debug
    /// build; a million hot rows is already far more than any workload updates).
    public static let hotRows: ClosedRange<Int> = 1...1_000_000
    /// Connections in one pool, application threads of one group.
    public static let connections: ClosedRange<Int> = 1...100_000
    /// Consecutive checks (HAProxy rise / fall).
    public static let checkCount: ClosedRange<Int> = 1...1_000_000
    /// Driver retries per write, HAProxy retries per connection.
    public static let retries: ClosedRange<Int> = 0...1_000
    /// The SQL thread's apply rate, transactions per second.
    public static let applyRate: ClosedRange<Double> = 0.001...10_000_000
    /// Lognormal sigma: e^(4σ) is the ratio of the 99.997th percentile to the median;
    /// at 3 it is already 160,000× (a 0.2 ms LAN with 30 s outliers).
    public static let sigma: ClosedRange<Double> = 0...3
    /// MySQL's own range for auto_increment_increment and auto_increment_offset.
    public static let autoIncrement: ClosedRange<Int> = 1...65_535
}

extension ScenarioBuilder {
    /// A positive rate within `Limits.rate`, or 0 (that kind of traffic is off).
    func rate(_ node: Node, path: String) -> Double? {
        guard let v = nonNegativeNumber(node, path: path) else { return nil }
        if v == 0 || Limits.rate.contains(v) { return v }
        r.error(node, "\(path) is \(v.plainDescription), outside \(Self.describe(Limits.rate)) per second",
                hint: v < Limits.rate.lowerBound ? "use 0 to turn it off" : "at most \(Limits.rate.upperBound.plainDescription) per second")
        return nil
    }

    func int(in range: ClosedRange<Int>, _ node: Node, path: String, hint: String? = nil) -> Int? {
        guard let v = r.int(node, path: path) else { return nil }
        guard range.contains(v) else {
            r.error(node, "\(path) is \(v), outside \(range.lowerBound)...\(range.upperBound)",
                    hint: hint ?? "use a whole number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return v
    }

    func number(in range: ClosedRange<Double>, _ node: Node, path: String, hint: String? = nil) -> Double? {
        guard let v = r.number(node, path: path) else { return nil }
        guard range.contains(v) else {
            r.error(node, "\(path) is \(v.plainDescription), outside \(Self.describe(range))",
                    hint: hint ?? "use a number from \(range.lowerBound.plainDescription) to \(range.upperBound.plainDescription)")
            return nil
        }
        return v
    }

    /// Packet loss of a link: below 1. A link that drops everything is a partition.
    func loss(_ node: Node, path: String) -> Double? {
        guard let p = r.probability(node, path: path) else { return nil }
        guard p < 1 else {
            r.error(node, "\(path) is 1: every packet lost", hint: "a link that drops everything is a partition: use a partition fault")
            return nil
        }
        return p
    }

    static func describe(_ range: ClosedRange<Double>) -> String {
        "\(range.lowerBound.plainDescription)...\(range.upperBound.plainDescription)"
    }
}
