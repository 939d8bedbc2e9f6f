import HasimKernel
import HasimNetwork
import HasimDatabase

extension ApplicationClient {
    // MARK: workload

    /// Starts an open-loop (Poisson) stream of writes and a probe write every
    /// `probeInterval`, from `start` until `stop`.
    public func startWorkload(writesPerSecond: Double, updateFraction: Double, hotRows: Int,
                              probeInterval: SimTime, start: SimTime, stop: SimTime) {
        writeRate = writesPerSecond
        self.updateFraction = updateFraction
        self.hotRows = max(1, hotRows)
        self.stopAt = stop
        self.probeInterval = probeInterval
        reserveLedger(writesPerSecond: writesPerSecond, probeInterval: probeInterval, span: max(0, stop - start))
        if writeRate > 0 { sim.schedule(at: start + nextGap(), handler, tag: Tag.arrival.rawValue) }
        if readRate > 0 { sim.schedule(at: start + readGap(), handler, tag: Tag.read.rawValue) }
        if probeInterval > 0 { sim.schedule(at: start, handler, tag: Tag.probe.rawValue) }
    }

    /// Sessions that read the newest order at this rate (Poisson), through the same
    /// pool and address as the writes; no retries.
    public func setReads(perSecond: Double) { readRate = perSecond }

    func readGap() -> SimTime {
        max(1, Time.fromSeconds(rng.exponential(mean: 1.0 / readRate)))
    }

    func nextGap() -> SimTime {
        max(1, Time.fromSeconds(rng.exponential(mean: 1.0 / writeRate)))
    }
}
