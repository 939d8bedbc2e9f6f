import HasimKernel
import HasimNetwork

// Partial failures of a running mysqld: a disk that stalls or slows down. Connecting and
// SELECT 1 still answer (they touch no disk); commits, which fsync, wait. A health check that
// only connects or pings sees a healthy server.

extension MySQLServer {
    /// The datadir's disk stops completing writes (a SAN path failover, a dying SSD, a full
    /// thin pool): every commit and every replica apply waits until `endDiskStall`.
    public func beginDiskStall() {
        guard !diskStalled else { return }
        diskStalled = true
        sim.record(name, .diskStall, "writes to the datadir hang")
    }

    public func endDiskStall() {
        guard diskStalled else { return }
        diskStalled = false
        sim.record(name, .diskStall, "writes complete again")
        let waiting = stalledCommits
        stalledCommits.removeAll()
        if state == .running { for slot in waiting { finishWrite(slot) } }
        let applied = stalledApplies
        stalledApplies.removeAll()
        if state == .running { for arg in applied { sqlApplied(arg) } }
    }

    /// Writes take `factor` times as long (a degraded RAID, a noisy neighbour); 1 restores.
    public func setDiskSlowdown(_ factor: Double) {
        diskSlowdown = max(1, factor)
        sim.record(name, .diskStall, factor > 1 ? "disk \(factor)x slower" : "disk back to normal speed")
    }
}

extension TraceKind {
    public static let diskStall = TraceKind("disk_stall")
}
