import HasimKernel

/// How long a packet takes along a path, drawn per packet from the path's stream.
public enum LatencyModel: Sendable, Equatable {
    case constant(SimTime)
    case uniform(min: SimTime, max: SimTime)
    /// Median and shape; a long right tail like real network round trips.
    case logNormal(median: SimTime, sigma: Double)

    public func sample(_ rng: inout SimRandom) -> SimTime {
        switch self {
        case .constant(let t):
            return t
        case .uniform(let lo, let hi):
            return hi <= lo ? lo : lo + SimTime(rng.next(upperBound: UInt64(hi - lo + 1)))
        case .logNormal(let median, let sigma):
            // The kernel's one formula, which the network's per-path cache also calls (`PathDraw`).
            return rng.logNormalDuration(medianSeconds: Time.seconds(median), sigma: sigma)
        }
    }

    /// Typical value, for documentation and sanity checks.
    public var typical: SimTime {
        switch self {
        case .constant(let t): return t
        case .uniform(let lo, let hi): return (lo + hi) / 2
        case .logNormal(let m, _): return m
        }
    }
}

/// A path's properties: latency and packet loss. On a TCP connection a lost
/// packet is retransmitted after the retransmission timeout, so loss shows up as
/// delay; a datagram (ping) that is lost is gone.
public struct LinkSpec: Sendable, Equatable {
    public var latency: LatencyModel
    public var loss: Double

    public init(latency: LatencyModel, loss: Double = 0) {
        self.latency = latency
        self.loss = loss
    }

    /// Same rack/L2 domain: ~0.2 ms one way with a modest tail.
    public static let sameSite = LinkSpec(latency: .logNormal(median: Time.us(200), sigma: 0.25))
    /// Between data centres in one metro/region: ~5 ms one way.
    public static let crossSite = LinkSpec(latency: .logNormal(median: Time.ms(5), sigma: 0.1))
}
