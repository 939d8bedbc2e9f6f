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
        if !readLocked { releaseStalledApplies() }
    }

    /// Writes take `factor` times as long (a degraded RAID, a noisy neighbour); 1 restores.
    public func setDiskSlowdown(_ factor: Double) {
        diskSlowdown = max(1, factor)
        sim.record(name, .diskStall, factor > 1 ? "disk \(factor)x slower" : "disk back to normal speed")
    }
}

extension MySQLServer {
    /// kill -STOP: every thread of mysqld stops where it is. Clients, managers and replicas
    /// see connections that stay open and answer nothing; a commit whose fsync was under way
    /// completes in the kernel but is acknowledged only at SIGCONT.
    public func pause() { if state != .down { network.pauseProcess(process, as: name) } }
    /// kill -CONT: the queued connections, requests and timers are served in order.
    public func resume() { network.resumeProcess(process, as: name) }
    /// A timer of this mysqld (see Network.timer(of:)).
    func afterRunnable(_ delay: SimTime, _ body: @escaping () -> Void) { network.timer(of: process, after: delay, body) }
    func atRunnable(_ time: SimTime, _ body: @escaping () -> Void) { network.timer(of: process, at: time, body) }
}

extension TraceKind {
    public static let diskStall = TraceKind("disk_stall")
}
