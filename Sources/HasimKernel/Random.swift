import Foundation  // log, exp, sqrt, cos: deterministic on one platform

/// SplitMix64: seeds the other generators and derives child seeds.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256**: the simulation's only source of randomness.
/// Never `SystemRandomNumberGenerator`, which would make runs unrepeatable.
public struct SimRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// Always inlined: a packet's latency draws two (`normal`), and once `normal` was inlined
    /// into `LatencyModel.sample` the compiler stopped inlining this there (a call of about 37
    /// instructions per draw, 7.0 M in the MHA cut). The same operations either way.
    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inlinable @inline(__always)
    func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits. Always inlined, as `next` is (with `next`
    /// inlined into it, the compiler stopped inlining this into `normal`).
    @inlinable @inline(__always)
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// True with probability `p`.
    @inlinable
    public mutating func chance(_ p: Double) -> Bool { p > 0 && unit() < p }

    /// Uniform integer in `0..<n`, without modulo bias.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next(upperBound: UInt64(n)))
    }

    /// Exponential with the given mean.
    @inlinable
    public mutating func exponential(mean: Double) -> Double { mean * exponential() }

    /// Standard exponential (mean 1) by the ziggurat, as `normal` (tables in
    /// ZigguratTables.swift): about 98.9 % of draws are one comparison, where the inversion
    /// -log(1 - U) spent a logarithm on every draw (every write's arrival gap).
    @inlinable
    public mutating func exponential() -> Double {
        while true {
            let u = next()
            let i = Int(truncatingIfNeeded: u & 0xFF)
            let x = Double(u >> 11) * 0x1.0p-53 * zigguratExpX[i]
            if x < zigguratExpX[i &+ 1] { return x }
            let z = exponentialEdge(layer: i, x: x)
            if z >= 0 { return z }
        }
    }

    /// Outside the layer's rectangle: the base layer's tail (memoryless: r plus a fresh draw),
    /// or the wedge, accepted with the density. -1: rejected, draw again.
    @usableFromInline @inline(never)
    mutating func exponentialEdge(layer i: Int, x: Double) -> Double {
        if i == 0 { return zigguratExpX[1] + exponential() }
        let low = zigguratExpF[i], high = zigguratExpF[i &+ 1]
        return low + unit() * (high - low) < exp(-x) ? x : -1
    }

    /// Standard normal by the ziggurat (Marsaglia & Tsang 2000, 256 layers; tables in
    /// ZigguratTables.swift). One 64-bit draw picks the layer (bits 0-7), the sign (bit 8) and the
    /// abscissa (bits 11-63, as `unit` would), independent bits, so the layer and the value are not
    /// correlated (Doornik 2005). About 99 % of draws end at the first comparison: no logarithm,
    /// square root or cosine. Box-Muller spent those on every packet's latency (about 200
    /// instructions of a 360-instruction draw; 8 % of an MHA incident, 11 % of a Galera one).
    /// Exact: the wedges are accepted against the density and the tail (|z| > 3.65) is drawn
    /// by Marsaglia's method, so the distribution is the normal's, not an approximation.
    ///
    /// Not inlinable, always inlined here: a packet's latency draws it inside the kernel
    /// (`logNormalDuration`), where the tables are static data. Inlined into another module, the
    /// body reached them through their lazy initializer (a call and a `swift_once` check per
    /// draw); inlinable, it was called there anyway, not inlined (`LatencyModel.sample` did).
    @inline(__always)
    public mutating func normal() -> Double {
        while true {
            let u = next()
            let i = Int(truncatingIfNeeded: u & 0xFF)
            let x = Double(u >> 11) * 0x1.0p-53 * zigguratX[i]
            let z = x < zigguratX[i &+ 1] ? x : normalEdge(layer: i, x: x)
            if z >= 0 { return u & 0x100 != 0 ? -z : z }
        }
    }

    /// The draws that fall outside the layer's rectangle (about 1 %): the base layer's tail, or
    /// the wedge under the curve, accepted with the density. -1: rejected, draw again.
    @usableFromInline @inline(never)
    mutating func normalEdge(layer i: Int, x: Double) -> Double {
        let r = zigguratX[1]
        if i == 0 {
            // Beyond r: a = Exp(1)/r, accepted when 2b > a^2 with b = Exp(1).
            while true {
                let a = -log(1.0 - unit()) / r
                let b = -log(1.0 - unit())
                if b + b > a * a { return r + a }
            }
        }
        let low = zigguratF[i], high = zigguratF[i &+ 1]
        return low + unit() * (high - low) < exp(-0.5 * x * x) ? x : -1
    }

    /// Log-normal with the given median and shape `sigma`.
    @inlinable
    public mutating func logNormal(median: Double, sigma: Double) -> Double {
        median * exp(sigma * normal())
    }

    /// A log-normal duration (ns, at least 1) of median `medianSeconds`: a packet's latency
    /// (`Network.oneWayDelay`), as `LatencyModel.sample` draws it with the median already in
    /// seconds. One call, with the normal inlined here, where the ziggurat's tables are static
    /// data: `sample` then `normal` were two calls per packet, and `normal` inlined into the
    /// network reached the tables through their lazy initializer (`swift_once`) per draw.
    public mutating func logNormalDuration(medianSeconds: Double, sigma: Double) -> SimTime {
        max(1, Time.fromSeconds(logNormal(median: medianSeconds, sigma: sigma)))
    }
}

/// Derives independent, named random streams from one run seed, so that adding a
/// client does not reshuffle fault times: a stream depends only on (seed, name).
public struct SeedTree: Sendable {
    public let seed: UInt64
    public init(seed: UInt64) { self.seed = seed }

    public func stream(_ name: String) -> SimRandom {
        SimRandom(seed: childSeed(name))
    }

    public func childSeed(_ name: String) -> UInt64 {
        // FNV-1a over the UTF-8 name: stable across processes, unlike `Hasher`.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        var sm = SplitMix64(seed: seed ^ h)
        _ = sm.next()
        return sm.next()
    }
}
