import HasimKernel

/// The disk under a machine's filesystem, as the sync requests of every program on it meet it:
/// the kernel batches them. A flush (ext4's jbd2 journal commit, or the block layer's cache
/// flush for an in-place fdatasync) covers every sync request that arrived before it started,
/// from any file or thread; a request that arrives while one runs waits for the next, which
/// covers all that queued meanwhile (blk-flush.c merges pending flushes the same way; jbd2's
/// `max_batch_time` lets the sync writers of other threads join a running transaction).
///
/// Each request brings the time its own fsync would take alone (drawn by its log from its own
/// stream), so a lone writer sees exactly the flushes it saw without the device. A flush takes
/// the time drawn by the first request of the costliest kind it covers (an append needs the
/// journal commit, an overwrite only the cache flush), plus `perRequest` for each further
/// request, and when it starts right at
/// the end of the previous one because requests were already queued (the device kept busy), a
/// busy flush's time: `busy` (a median; the request's own draw scaled to it) or else `streaming`
/// x the lone time. This machine's virtual disk hides a lone fsync's tail under concurrency:
/// alone an append's fdatasync is mostly fast with a long tail (p50 0.34 ms, p90 8 ms, mean
/// 3.2 ms), with 4 threads at once p50 0.56-0.70 ms and p90 0.9-1.8 ms in most runs, so 4 threads
/// sync 8.5x as often as one (validation/results/fsync-concurrency.json; DiskConcurrencyTests
/// replays it with `busy` 0.8 ms). A busy flush costs about the same whatever its kind, which a
/// fraction of the lone time cannot give: a replica's binlog fsync alone takes ~5 ms, its redo
/// fsync ~3.3 ms, and 4 apply workers flushed both at ~1,830/s (replica-capacity-*.json).
///
/// One device per machine: hosts of their own each have one; hosts placed on one machine
/// (`topology.machines`) share one, as servers whose datadirs are on one filesystem do.
public final class DiskDevice {
    let sim: Simulation
    /// Fraction of a flush's time paid when it starts back to back with the previous one.
    public var streaming: Double = 1
    /// Time added to a flush for each request it covers beyond the first.
    public var perRequest: SimTime = 0
    /// The median time of a busy flush (one that starts back to back), whatever its kind (see
    /// the type's comment for the measurement); nil: `streaming` x the lone time.
    public var busy: SimTime?
    private struct Request {
        var cost: SimTime
        /// The typical time of its kind of fsync (an append's, an overwrite's).
        var typical: SimTime
        /// When the oldest write this sync covers started waiting for the disk.
        var since: SimTime
        var done: () -> Void
    }
    private var waiting: [Request] = []
    private var inFlight = false
    /// Flushes done and requests they covered (requests / flushes = the device's batch size).
    public private(set) var flushes = 0
    public private(set) var requests = 0

    public init(sim: Simulation) { self.sim = sim }

    /// Calls `done` once a flush that started after this call has ended. `cost`: how long this
    /// request's fsync would take on an idle device; `since`: when the oldest write it covers
    /// began to wait (a log's group commit queues writes while its previous fsync runs, and its
    /// leader asks for the next fsync the moment that one returns).
    public func sync(cost: SimTime, typical: SimTime, since: SimTime, _ done: @escaping () -> Void) {
        requests += 1
        waiting.append(Request(cost: cost, typical: typical, since: since, done: done))
        if !inFlight { start(atFlushEnd: false) }
    }

    private func start(atFlushEnd: Bool) {
        // Back to back: writes were already waiting when the previous flush ended, so the device
        // never went idle. A lone writer that syncs again only after its own sync returned (a
        // replica's SQL thread: redo, then binlog, then the next transaction) always starts one
        // from idle and sees the lone fsync's time.
        let now = sim.now
        let streaming = atFlushEnd && waiting.contains { $0.since < now }
        inFlight = true
        flushes += 1
        let group = waiting
        waiting.removeAll(keepingCapacity: true)
        // One flush, one draw: that of the costliest kind it covers (an append's journal commit
        // covers an overwrite's cache flush), the first such request's.
        var heaviest = group[0]
        for r in group.dropFirst() where r.typical > heaviest.typical { heaviest = r }
        // A busy flush keeps the request's draw (its own stream: no new random numbers), at the
        // busy median instead of its kind's typical time.
        var t = heaviest.cost
        if streaming {
            let factor = busy.map { heaviest.typical > 0 ? Double($0) / Double(heaviest.typical) : self.streaming }
            t = Time.scaled(t, by: factor ?? self.streaming)
        }
        t = Time.sum(t, Time.scaled(perRequest, Int64(group.count - 1)))
        sim.after(t) { [unowned(unsafe) self] in self.finished(group) }
    }

    private func finished(_ group: [Request]) {
        // Requests the completions make at this instant (the next log of the same commit, a
        // log's next group) are there when the next flush starts: they join it.
        for r in group { r.done() }
        inFlight = false
        if !waiting.isEmpty { start(atFlushEnd: true) }
    }
}
