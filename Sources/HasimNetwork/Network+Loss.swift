import HasimKernel

// Packet loss added for a while between hosts (the packet_loss fault, tc netem loss): on top of
// the link's own loss, each packet is dropped with the fault's rate, independently.

extension Network {
    /// Adds a loss of `rate` to every packet between the two sets (both ways) until removed by
    /// `removeLoss` with the same rate. Overlapping faults compound as independent drops.
    public func addLoss(_ a: [HostID], _ b: [HostID], _ rate: Double) {
        forEachDirectedPair(a, b) { key in
            var rates = extraLoss[key]?.rates ?? []
            rates.append(rate)
            extraLoss[key] = (rates, Self.survival(rates))
        }
    }

    /// Ends one loss `addLoss` began.
    public func removeLoss(_ a: [HostID], _ b: [HostID], _ rate: Double) {
        forEachDirectedPair(a, b) { key in
            guard var rates = extraLoss[key]?.rates, let i = rates.firstIndex(of: rate) else { return }
            rates.remove(at: i)
            extraLoss[key] = rates.isEmpty ? nil : (rates, Self.survival(rates))
        }
    }

    /// Recomputed from the rates in force (not divided back out), so a rate of 1 can end.
    private static func survival(_ rates: [Double]) -> Double { rates.reduce(1) { $0 * (1 - $1) } }

    private func forEachDirectedPair(_ a: [HostID], _ b: [HostID], _ body: (UInt64) -> Void) {
        for x in a {
            for y in b where x != y {
                body(Self.pair(x.raw, y.raw))
                body(Self.pair(y.raw, x.raw))
            }
        }
    }
}
