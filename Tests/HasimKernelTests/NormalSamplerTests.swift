import Foundation
import Testing
@testable import HasimKernel

/// The ziggurat normal sampler against the normal distribution itself: if a layer's edge,
/// a wedge or the tail were wrong, the shares below would drift by far more than the bounds.
@Suite struct NormalSamplerTests {
    /// Standard normal CDF.
    static func phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    @Test func momentsAndShares() {
        var rng = SimRandom(seed: 17)
        let n = 1_000_000
        var sum = 0.0, sum2 = 0.0, sum4 = 0.0
        // Bins at every half sigma to ±4, counted against Φ.
        let edges = stride(from: -4.0, through: 4.0, by: 0.5).map { $0 }
        var bins = [Int](repeating: 0, count: edges.count + 1)
        var beyondR = 0
        for _ in 0..<n {
            let z = rng.normal()
            sum += z; sum2 += z * z; sum4 += z * z * z * z
            var b = 0
            while b < edges.count && z >= edges[b] { b += 1 }
            bins[b] += 1
            if abs(z) > zigguratX[1] { beyondR += 1 }
        }
        let mean = sum / Double(n), variance = sum2 / Double(n) - mean * mean
        #expect(abs(mean) < 0.005)           // sd of the mean: 0.001
        #expect(abs(variance - 1) < 0.006)   // sd: 0.0014
        #expect(abs(sum4 / Double(n) - 3) < 0.04)  // kurtosis 3; sd ~0.01
        var chi2 = 0.0
        for b in 0..<bins.count {
            let lo = b == 0 ? -Double.infinity : edges[b - 1]
            let hi = b == edges.count ? Double.infinity : edges[b]
            let expected = (Self.phi(hi) - Self.phi(lo)) * Double(n)
            chi2 += (Double(bins[b]) - expected) * (Double(bins[b]) - expected) / expected
        }
        // 17 degrees of freedom: the 99.9th percentile is 40.8.
        #expect(chi2 < 40.8, "chi-square \(chi2)")
        // The tail beyond r = 3.654 (drawn by its own method): 2.58e-4 of draws.
        let tail = 2 * (1 - Self.phi(zigguratX[1])) * Double(n)
        #expect(abs(Double(beyondR) - tail) < 5 * tail.squareRoot(), "tail \(beyondR) vs \(tail)")
    }

    /// The sign and the layer come from other bits than the abscissa: the two halves are
    /// mirror images, and consecutive draws are uncorrelated.
    @Test func symmetricAndIndependent() {
        var rng = SimRandom(seed: 3)
        let n = 400_000
        var positive = 0, product = 0.0
        var previous = rng.normal()
        for _ in 0..<n {
            let z = rng.normal()
            if z > 0 { positive += 1 }
            product += z * previous
            previous = z
        }
        #expect(abs(Double(positive) / Double(n) - 0.5) < 0.004)
        #expect(abs(product / Double(n)) < 0.008)
    }

    /// The tables: equal areas, edges decreasing from r to 0, heights f(x) = exp(-x²/2).
    @Test func tables() {
        #expect(zigguratX.count == 257 && zigguratF.count == 257)
        let r = zigguratX[1]
        let v = r * zigguratF[1] + (Double.pi / 2).squareRoot() * erfc(r / 2.0.squareRoot())
        #expect(abs(zigguratX[0] * zigguratF[1] - v) < 1e-15)
        for i in 1..<256 {
            #expect(zigguratX[i + 1] < zigguratX[i])
            #expect(abs(zigguratF[i] - exp(-0.5 * zigguratX[i] * zigguratX[i])) < 1e-15)
            #expect(abs(zigguratX[i] * (zigguratF[i + 1] - zigguratF[i]) - v) < 1e-12)
        }
        #expect(zigguratX[256] == 0 && zigguratF[256] == 1)
    }
}

/// The ziggurat exponential sampler against Exp(1).
@Suite struct ExponentialSamplerTests {
    @Test func momentsAndShares() {
        var rng = SimRandom(seed: 29)
        let n = 1_000_000
        var sum = 0.0, sum2 = 0.0
        let edges = stride(from: 0.25, through: 8.0, by: 0.25).map { $0 }
        var bins = [Int](repeating: 0, count: edges.count + 1)
        var beyondR = 0
        for _ in 0..<n {
            let z = rng.exponential()
            #expect(z >= 0)
            sum += z; sum2 += z * z
            var b = 0
            while b < edges.count && z >= edges[b] { b += 1 }
            bins[b] += 1
            if z > zigguratExpX[1] { beyondR += 1 }
        }
        let mean = sum / Double(n)
        #expect(abs(mean - 1) < 0.005)                       // sd 0.001
        #expect(abs(sum2 / Double(n) - mean * mean - 1) < 0.012)  // variance 1; sd ~0.003
        var chi2 = 0.0
        for b in 0..<bins.count {
            let lo = b == 0 ? 0 : edges[b - 1]
            let hi = b == edges.count ? Double.infinity : edges[b]
            let expected = (exp(-lo) - exp(-hi)) * Double(n)
            chi2 += (Double(bins[b]) - expected) * (Double(bins[b]) - expected) / expected
        }
        // 32 degrees of freedom: the 99.9th percentile is 62.5.
        #expect(chi2 < 62.5, "chi-square \(chi2)")
        let tail = exp(-zigguratExpX[1]) * Double(n)  // 4.5e-4 of draws
        #expect(abs(Double(beyondR) - tail) < 5 * tail.squareRoot(), "tail \(beyondR) vs \(tail)")
    }

    @Test func tables() {
        let r = zigguratExpX[1]
        let v = r * zigguratExpF[1] + exp(-r)
        #expect(abs(zigguratExpX[0] * zigguratExpF[1] - v) < 1e-15)
        for i in 1..<256 {
            #expect(zigguratExpX[i + 1] < zigguratExpX[i])
            #expect(abs(zigguratExpX[i] * (zigguratExpF[i + 1] - zigguratExpF[i]) - v) < 1e-12)
        }
        #expect(zigguratExpX[256] == 0 && zigguratExpF[256] == 1)
    }
}
