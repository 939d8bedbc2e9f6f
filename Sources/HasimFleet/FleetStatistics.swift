import Foundation

/// Mean and 95 % confidence interval over independent replications (Student's t).
public struct Estimate: Sendable, Equatable {
    public var mean: Double
    public var low: Double
    public var high: Double
    public var samples: Int

    public init(_ xs: [Double]) {
        samples = xs.count
        guard !xs.isEmpty else { mean = 0; low = 0; high = 0; return }
        let m = xs.reduce(0, +) / Double(xs.count)
        mean = m
        guard xs.count > 1 else { low = m; high = m; return }
        let variance = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
        let half = Self.t975(xs.count - 1) * (variance / Double(xs.count)).squareRoot()
        low = m - half
        high = m + half
    }

    public var halfWidth: Double { (high - low) / 2 }

    /// Two-sided 95 % quantile of Student's t with `df` degrees of freedom.
    static func t975(_ df: Int) -> Double {
        let table: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        if df >= 1 && df <= table.count { return table[df - 1] }
        if df <= 60 { return 2.00 }
        if df <= 120 { return 1.98 }
        return 1.96
    }
}
