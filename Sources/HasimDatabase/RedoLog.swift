import HasimKernel
import HasimNetwork

/// InnoDB's redo log on the host's disk, made durable at commit
/// (`innodb_flush_log_at_trx_commit=1`, the default): a commit is acknowledged only after an
/// fsync of the log that covers it. Group commit (InnoDB `log_write_up_to`): the first commit
/// to arrive starts an fsync; commits that arrive while it runs wait for it to end and share the
/// next one, so under concurrency one fsync serves many commits and a lone commit pays one whole
/// fsync. How long an fsync takes is the disk's property: ~0.1-0.5 ms on a datacenter SSD with
/// power-loss protection, several ms on a shared virtual disk (this machine: fdatasync of 4 KB
/// p50 2-7 ms, validation/results/galera-commit-latency.json).
public final class RedoLog {
    private let sim: Simulation
    /// How long one fsync takes; nil: no fsync at commit (innodb_flush_log_at_trx_commit=0 or 2,
    /// where the log is flushed once a second and a crash loses up to that second).
    public let fsync: LatencyModel?
    private var rng: SimRandom
    private var flushing = false
    private var waiting: [() -> Void] = []
    /// When the first of `waiting` arrived.
    private var waitingSince: SimTime = 0
    /// Bumped when the host or process dies: the flush in progress never completes.
    private var generation: Int64 = 0
    /// fsyncs done, and commits they covered (commits / flushes = the group size).
    public private(set) var flushes = 0
    public private(set) var commits = 0

    /// The program whose log writer waits on the fsync: a stopped one (SIGSTOP) goes on at SIGCONT.
    public var owner: NetProcess?
    /// The disk the file is on: its fsync is one request to the device, which batches the
    /// requests of every log and server on it (Disk.swift). nil: the fsync takes its own time.
    public var device: DiskDevice?

    public init(sim: Simulation, fsync: LatencyModel?, stream: String) {
        self.sim = sim
        self.fsync = fsync
        self.rng = sim.random(stream)
    }

    /// The fsync a commit arriving now will be covered by (its group commit), numbered from 1.
    public var nextGroup: Int { flushes + 1 }

    /// Calls `durable` once the log up to this commit is on disk.
    public func commit(_ durable: @escaping () -> Void) {
        commits += 1
        guard fsync != nil else { durable(); return }
        if waiting.isEmpty { waitingSince = sim.now }
        waiting.append(durable)
        if !flushing { flush() }
    }

    private func flush() {
        guard let model = fsync else { return }
        flushing = true
        flushes += 1
        let group = waiting
        waiting.removeAll(keepingCapacity: true)
        let g = generation
        let owner = self.owner
        let done = { [unowned(unsafe) self] in
            if let owner, owner.isPaused {
                owner.whenRunnable { [unowned(unsafe) self] in self.flushed(g, group) }
            } else {
                self.flushed(g, group)
            }
        }
        // The same draw either way: a lone writer on the device sees the flushes it saw without it.
        let cost = model.sample(&rng)
        if let device { device.sync(cost: cost, typical: model.typical, since: waitingSince, done) } else { sim.after(cost, done) }
    }

    private func flushed(_ g: Int64, _ group: [() -> Void]) {
        guard generation == g else { return }
        flushing = false
        for d in group { d() }
        // The commits that arrived meanwhile: the next fsync, led by the first of them.
        if !waiting.isEmpty { flush() }
    }

    /// The process died: commits waiting for the disk are never acknowledged.
    public func lose() {
        generation += 1
        flushing = false
        waiting.removeAll()
    }
}
