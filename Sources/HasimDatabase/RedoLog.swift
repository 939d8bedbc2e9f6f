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
public final class RedoLog: EventHandler {
    private let sim: Simulation
    /// How long one fsync takes; nil: no fsync at commit (innodb_flush_log_at_trx_commit=0 or 2,
    /// where the log is flushed once a second and a crash loses up to that second).
    public let fsync: LatencyModel?
    private var rng: SimRandom
    private var flushing = false
    /// Commits waiting for the next fsync, and those the fsync in progress covers. Two arrays
    /// swapped at each flush, so a flush allocates nothing (a copy of the array did).
    private var waiting: [Durable] = []
    private var group: [Durable] = []
    /// The fsync's end is this log's event (no closure per flush) unless a device batches it.
    private var handler: HandlerID!
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
        handler = sim.register(self)
    }

    /// What a commit does once durable: a closure, or a value job (`target.computed(tag, arg,
    /// arg2)`: no closure context per commit, for Galera's acknowledgement of each local commit).
    private struct Durable {
        var action: (() -> Void)?
        // unowned(unsafe): the target is a daemon, alive until Simulation.close.
        unowned(unsafe) var target: (any ComputeTarget)?
        var tag: UInt32
        var arg: Int64
        var arg2: Int64

        func run() {
            if let action { action() } else { target!.computed(tag, arg, arg2) }
        }
    }

    /// The fsync a commit arriving now will be covered by (its group commit), numbered from 1.
    public var nextGroup: Int { flushes + 1 }

    /// Calls `durable` once the log up to this commit is on disk.
    public func commit(_ durable: @escaping () -> Void) {
        commits += 1
        guard fsync != nil else { durable(); return }
        enqueue(Durable(action: durable, target: nil, tag: 0, arg: 0, arg2: 0))
    }

    /// `commit` with a value job: `target.computed(tag, arg, arg2)` once the log is on disk.
    public func commit(_ target: any ComputeTarget, tag: UInt32, _ arg: Int64, _ arg2: Int64) {
        commits += 1
        guard fsync != nil else { target.computed(tag, arg, arg2); return }
        enqueue(Durable(action: nil, target: target, tag: tag, arg: arg, arg2: arg2))
    }

    private func enqueue(_ d: Durable) {
        if waiting.isEmpty { waitingSince = sim.now }
        waiting.append(d)
        if !flushing { flush() }
    }

    private func flush() {
        guard let model = fsync else { return }
        flushing = true
        flushes += 1
        // The group is what waited; `waiting` takes the emptied buffer of the last group.
        swap(&group, &waiting)
        let g = generation
        // The same draw either way: a lone writer on the device sees the flushes it saw without it.
        let cost = model.sample(&rng)
        if let device {
            device.sync(cost: cost, typical: model.typical, since: waitingSince) { [unowned(unsafe) self] in self.synced(g) }
        } else {
            // Scheduled where the closure was (one event, the same sequence number).
            sim.schedule(after: cost, handler, tag: 0, arg: g)
        }
    }

    /// The fsync's end (the event of a flush without a device).
    public func handle(_ event: Event, in sim: Simulation) { synced(event.arg) }

    private func synced(_ g: Int64) {
        if let owner, owner.isPaused {
            owner.whenRunnable { [unowned(unsafe) self] in self.flushed(g) }
        } else {
            flushed(g)
        }
    }

    private func flushed(_ g: Int64) {
        guard generation == g else { return }
        flushing = false
        // Taken out before the callbacks run: one of them may commit again and start the next
        // flush, which swaps `waiting` into `group`.
        var done: [Durable] = []
        swap(&done, &group)
        for d in done { d.run() }
        done.removeAll(keepingCapacity: true)
        if group.isEmpty { swap(&done, &group) }
        // The commits that arrived meanwhile: the next fsync, led by the first of them.
        if !waiting.isEmpty { flush() }
    }

    /// The process died: commits waiting for the disk are never acknowledged.
    public func lose() {
        generation += 1
        flushing = false
        waiting.removeAll()
        group.removeAll()
    }

    public func simulationDidClose() {
        waiting.removeAll()
        group.removeAll()
    }
}
