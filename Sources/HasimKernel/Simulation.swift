/// Receives the events scheduled for it. Model components (a network, a MySQL
/// server, a client) register once and switch on `tag`: no closure per event.
public protocol EventHandler: AnyObject {
    func handle(_ event: Event, in sim: Simulation)
}

/// Names a scheduled event so it can be cancelled.
public struct EventID: Hashable, Sendable {
    public let time: SimTime
    public let seq: UInt64
    @inlinable public init(time: SimTime, seq: UInt64) { self.time = time; self.seq = seq }
}

/// Identifies a registered handler.
public struct HandlerID: Hashable, Sendable {
    public let raw: UInt32
}

/// One run of the simulation: an instance, never a global, so runs (seeds,
/// parameter grids, tests) can proceed side by side in one process.
///
/// Single-threaded by construction: nothing inside a run reads the wall clock,
/// an unseeded RNG, or the iteration order of a `Dictionary`/`Set`.
public final class Simulation {
    public private(set) var now: SimTime = 0
    public let seeds: SeedTree
    public var trace = Trace()
    /// Events handled so far (for benchmarks and progress).
    public private(set) var eventsProcessed: UInt64 = 0

    @usableFromInline var queue: EventQueue
    @usableFromInline var handlers: ContiguousArray<EventHandler> = []
    @usableFromInline var nextSeq: UInt64 = 0
    @usableFromInline var cancelled = Set<UInt64>()
    @usableFromInline var stopRequested = false
    private let closures = ClosureHandler()
    private var closureTarget: HandlerID!

    public init(seed: UInt64, expectedPending: Int = 1024) {
        seeds = SeedTree(seed: seed)
        queue = EventQueue(capacity: expectedPending)
        closureTarget = register(closures)
    }

    /// Registers a handler; the returned id is used to schedule events for it.
    public func register(_ handler: EventHandler) -> HandlerID {
        handlers.append(handler)
        return HandlerID(raw: UInt32(handlers.count - 1))
    }

    /// A random stream for one component, independent of every other stream.
    public func random(_ name: String) -> SimRandom { seeds.stream(name) }

    @inlinable @discardableResult
    public func schedule(at time: SimTime, _ target: HandlerID, tag: UInt32, arg: Int64 = 0) -> EventID {
        precondition(time >= now, "cannot schedule in the past")
        let seq = nextSeq
        nextSeq &+= 1
        queue.push(Event(time: time, seq: seq, target: target.raw, tag: tag, arg: arg))
        return EventID(time: time, seq: seq)
    }

    @inlinable @discardableResult
    public func schedule(after delay: SimTime, _ target: HandlerID, tag: UInt32, arg: Int64 = 0) -> EventID {
        schedule(at: now + max(0, delay), target, tag: tag, arg: arg)
    }

    /// Schedules a closure: convenient for scripted steps and strategies, not for
    /// hot paths (each closure is a heap allocation).
    @discardableResult
    public func after(_ delay: SimTime, _ action: @escaping () -> Void) -> EventID {
        let slot = closures.store(action)
        return schedule(after: delay, closureTarget, tag: 0, arg: Int64(slot))
    }

    @discardableResult
    public func at(_ time: SimTime, _ action: @escaping () -> Void) -> EventID {
        let slot = closures.store(action)
        return schedule(at: max(time, now), closureTarget, tag: 0, arg: Int64(slot))
    }

    /// Cancels by tombstone: the event stays in the heap and is skipped when popped.
    /// Cancelling an event that already fired is harmless.
    public func cancel(_ id: EventID) {
        if id.time >= now { cancelled.insert(id.seq) }
    }

    /// Stops `run` after the current event.
    public func stop() { stopRequested = true }

    public var pendingCount: Int { queue.count }

    /// Runs events in (time, seq) order until the queue is empty, `stop()` is
    /// called, or the next event lies beyond `limit`; the clock then rests at
    /// `limit` (or at the last event if the queue ran dry).
    @discardableResult
    public func run(until limit: SimTime = .max) -> UInt64 {
        stopRequested = false
        let start = eventsProcessed
        while let next = queue.first, next.time <= limit {
            let event = queue.pop().unsafelyUnwrapped
            if !cancelled.isEmpty, cancelled.remove(event.seq) != nil { continue }
            now = event.time
            eventsProcessed &+= 1
            handlers[Int(event.target)].handle(event, in: self)
            if stopRequested { break }
        }
        if !stopRequested, limit != .max, now < limit { now = limit }
        return eventsProcessed - start
    }

    /// Appends to the trace at the current time.
    public func record(_ node: String, _ kind: TraceKind, _ detail: String = "") {
        trace.append(TraceRecord(time: now, node: node, kind: kind, detail: detail))
    }
}

/// Holds scheduled closures in a slab with a free list, so a slot is reused.
final class ClosureHandler: EventHandler {
    private var slots: [(() -> Void)?] = []
    private var free: [Int] = []

    func store(_ action: @escaping () -> Void) -> Int {
        if let i = free.popLast() {
            slots[i] = action
            return i
        }
        slots.append(action)
        return slots.count - 1
    }

    func handle(_ event: Event, in sim: Simulation) {
        let i = Int(event.arg)
        let action = slots[i]
        slots[i] = nil
        free.append(i)
        action?()
    }
}
