/// Receives the events scheduled for it. Model components (a network, a MySQL
/// server, a client) register once and switch on `tag`: no closure per event.
public protocol EventHandler: AnyObject {
    func handle(_ event: Event, in sim: Simulation)
    /// The run is over (`Simulation.close`): let go of what ties this component to the rest
    /// of the world (connections, listeners, callbacks), so the finished world can be freed.
    /// Called once, in registration order, before the simulation drops its handlers.
    func simulationDidClose()
}

extension EventHandler {
    public func simulationDidClose() {}
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

/// The run loop's hot state. It lives in memory the simulation allocates itself
/// (`Simulation.core`), not in stored class properties: Swift checks exclusive
/// access to a class's `var`s at run time (`swift_beginAccess` on every push, pop
/// and clock update: about half the cost of an event), but not to a pointer's
/// `pointee`. The simulation is single-threaded, so nothing can overlap.
@usableFromInline
struct SimulationCore: ~Copyable {
    @usableFromInline var now: SimTime = 0
    @usableFromInline var nextSeq: UInt64 = 0
    @usableFromInline var eventsProcessed: UInt64 = 0
    /// Sequence number of the event being (or last) handled; `UInt64.max` before any.
    @usableFromInline var currentSeq: UInt64 = .max
    @usableFromInline var stopRequested = false
    /// Events handled since the clock last moved: a model that reschedules itself at
    /// the same instant forever (a zero interval) never lets time advance.
    @usableFromInline var sameInstant: UInt64 = 0
    @usableFromInline var watchdogLimit: UInt64 = 2_000_000
    @usableFromInline var queue: PendingEvents
    /// Tombstones: the (time, seq) keys of cancelled events still in the queue, in a min-heap
    /// of their own. Events pop in (time, seq) order, so a popped event is cancelled exactly
    /// when it equals the heap's minimum: one comparison per event instead of hashing its
    /// seq into a set (the set was non-empty most of the run, since a cancelled connect
    /// timer waits out its timeout in the queue: 3 % of an MHA incident's CPU).
    @usableFromInline var cancelled = EventQueue(capacity: 0)
    /// Registered handlers, unretained (`Simulation.handlers` keeps the boxes
    /// alive), so dispatching an event costs no reference counting.
    @usableFromInline var targets: ContiguousArray<Unmanaged<HandlerBox>> = []

    @usableFromInline init(capacity: Int) { queue = PendingEvents(capacity: capacity) }

    /// Whether `event` (just popped) was cancelled; takes its tombstones off the heap.
    /// A tombstone older than the event (an id that named no pending event) is dropped too.
    @inlinable @inline(__always)
    mutating func takeTombstone(_ event: Event) -> Bool {
        // Most events precede every tombstone (a cancelled connect timer waits out its timeout):
        // one comparison with the heap's minimum here, no call.
        guard !cancelled.isEmpty, !event.precedes(cancelled.slots[1]) else { return false }
        return takeTombstoneSlow(event)
    }

    @usableFromInline
    mutating func takeTombstoneSlow(_ event: Event) -> Bool {
        var hit = false
        while let t = cancelled.first, !event.precedes(t) {
            // t <= event: either the event itself (cancelled, maybe more than once) or stale.
            if t.time == event.time && t.seq == event.seq { hit = true }
            _ = cancelled.popMin()
        }
        return hit
    }
}

/// Holds a registered handler in an immutable field. Reached through
/// `Unmanaged._withUnsafeGuaranteedRef`, a `let` field can be called at +0: a
/// handler read from a mutable array (or an `unowned(unsafe)` slot) would be
/// retained and released around every event (two atomic operations).
@usableFromInline
final class HandlerBox {
    @usableFromInline let handler: any EventHandler
    init(_ handler: any EventHandler) { self.handler = handler }
}

/// One run of the simulation: an instance, never a global, so runs (seeds,
/// parameter grids, tests) can proceed side by side in one process.
///
/// Single-threaded by construction: nothing inside a run reads the wall clock,
/// an unseeded RNG, or the iteration order of a `Dictionary`/`Set`.
public final class Simulation {
    /// The simulated clock.
    @inlinable public var now: SimTime { core.pointee.now }
    public let seeds: SeedTree
    public var trace = Trace()
    /// Events handled so far (for benchmarks and progress).
    @inlinable public var eventsProcessed: UInt64 { core.pointee.eventsProcessed }

    /// Owned by this instance: allocated in `init`, freed in `deinit`.
    @usableFromInline let core: UnsafeMutablePointer<SimulationCore>
    /// Keeps the registered handlers alive (`core.targets` does not retain them).
    private var handlers: [HandlerBox] = []
    private var closed = false
    let closures = ClosureHandler()
    /// The closure handler is registered first, in `init`.
    private static let closureTarget = HandlerID(raw: 0)

    public init(seed: UInt64, expectedPending: Int = 1024) {
        // Every process that simulates gets the allocator's fixed mmap threshold (once).
        ProcessHeap.configure()
        seeds = SeedTree(seed: seed)
        core = .allocate(capacity: 1)
        core.initialize(to: SimulationCore(capacity: expectedPending))
        let id = register(closures)
        assert(id == Self.closureTarget)
    }

    deinit {
        core.deinitialize(count: 1)
        core.deallocate()
    }

    /// Registers a handler; the returned id is used to schedule events for it.
    public func register(_ handler: any EventHandler) -> HandlerID {
        let box = HandlerBox(handler)
        handlers.append(box)
        core.pointee.targets.append(Unmanaged.passUnretained(box))
        return HandlerID(raw: UInt32(handlers.count - 1))
    }

    /// Ends the run for good: tells every handler (`simulationDidClose`), then lets go of
    /// every registered handler and pending closure. Model components keep `sim` strongly (a
    /// daemon schedules on it all its life) and the simulation keeps them; the model objects
    /// also hold each other (a host its processes, a process its listeners, a connection its
    /// ends' delegates, a server its host): each handler breaks its own part when told, so a
    /// finished run frees its whole world (issue 15: peak memory flat across seeds). Events
    /// still queued are dropped; nothing may be scheduled or run afterwards. Idempotent.
    public func close() {
        guard !closed else { return }
        closed = true
        for box in handlers { box.handler.simulationDidClose() }
        core.pointee.targets.removeAll()
        while !core.pointee.cancelled.isEmpty { _ = core.pointee.cancelled.popMin() }
        while !core.pointee.queue.isEmpty { _ = core.pointee.queue.popMin() }
        closures.removeAll()
        handlers.removeAll()
        monitor = nil
    }

    /// A random stream for one component, independent of every other stream.
    public func random(_ name: String) -> SimRandom { seeds.stream(name) }

    @inlinable @discardableResult
    public func schedule(at time: SimTime, _ target: HandlerID, tag: UInt32, arg: Int64 = 0) -> EventID {
        let c = core
        precondition(time >= c.pointee.now, "cannot schedule in the past")
        let seq = c.pointee.nextSeq
        c.pointee.nextSeq = seq &+ 1
        c.pointee.queue.push(Event(time: time, seq: seq, target: target.raw, tag: tag, arg: arg), now: c.pointee.now)
        return EventID(time: time, seq: seq)
    }

    @inlinable @discardableResult
    public func schedule(after delay: SimTime, _ target: HandlerID, tag: UInt32, arg: Int64 = 0) -> EventID {
        // Saturating: a delay built from user values (a 10-year timeout times a count)
        // becomes "never" rather than an overflow trap (issue 17).
        schedule(at: Time.sum(core.pointee.now, max(0, delay)), target, tag: tag, arg: arg)
    }

    /// Schedules a closure: convenient for scripted steps and strategies, not for
    /// hot paths (each closure is a heap allocation).
    @discardableResult
    public func after(_ delay: SimTime, _ action: @escaping () -> Void) -> EventID {
        let slot = closures.store(action)
        return schedule(after: delay, Self.closureTarget, tag: 0, arg: Int64(slot))
    }

    @discardableResult
    public func at(_ time: SimTime, _ action: @escaping () -> Void) -> EventID {
        let slot = closures.store(action)
        return schedule(at: max(time, now), Self.closureTarget, tag: 0, arg: Int64(slot))
    }

    /// Cancels by tombstone: the event stays in the heap and is skipped when popped.
    /// Cancelling an event that already fired (or was never scheduled) is harmless.
    public func cancel(_ id: EventID) {
        let c = core
        // Events pop in (time, seq) order, so an event is still pending only if it
        // lies after the one being handled; an older id leaves no stale tombstone.
        let pending = id.time > c.pointee.now
            || (id.time == c.pointee.now && (c.pointee.currentSeq == .max || id.seq > c.pointee.currentSeq))
        if pending && id.seq < c.pointee.nextSeq {
            c.pointee.cancelled.push(Event(time: id.time, seq: id.seq, target: 0, tag: 0, arg: 0))
        }
    }

    /// Stops `run` after the current event.
    public func stop() { core.pointee.stopRequested = true }

    /// How many events may be handled at one simulated instant before the run is
    /// declared stuck. Real models handle at most thousands at one instant (a burst of
    /// simultaneous arrivals); a zero-length timer loop handles millions per second.
    public var watchdogLimit: UInt64 {
        get { core.pointee.watchdogLimit }
        set { core.pointee.watchdogLimit = max(1, newValue) }
    }
    /// Set when the watchdog stopped the run: the instant and the component that kept
    /// rescheduling itself there.
    public private(set) var stall: Stall?

    public struct Stall: Sendable, Equatable, CustomStringConvertible {
        public var time: SimTime
        public var events: UInt64
        public var component: String
        public var description: String {
            "simulated time stopped advancing at \(Time.format(time)): \(events) events at that instant, "
                + "most of them for \(component) (a zero or negative interval?)"
        }
    }

    /// Names the handler that dominates a stuck instant: the watchdog samples the next
    /// events at that instant before stopping.
    private func diagnoseStall() {
        let c = core
        var counts: [UInt32: Int] = [:]
        var sampled = 0
        // Nothing pending lies before `now`: the events due by `now` are those at `now`.
        while sampled < 10_000, let event = c.pointee.queue.popMin(notAfter: c.pointee.now) {
            if c.pointee.takeTombstone(event) { continue }
            counts[event.target, default: 0] += 1
            sampled += 1
            c.pointee.currentSeq = event.seq
            c.pointee.eventsProcessed &+= 1
            c.pointee.targets[Int(event.target)]._withUnsafeGuaranteedRef { $0.handler.handle(event, in: self) }
        }
        // Ties broken by handler id so the message is deterministic.
        let top = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }
        let name = top.map { target -> String in
            let h = c.pointee.targets[Int(target.key)].takeUnretainedValue().handler
            if let named = h as? NamedComponent { return named.componentName }
            if h is ClosureHandler {
                // Scheduled steps carry no name; the last trace record says who was acting.
                let last = trace.records.last.map { " (last trace: \($0.node) \($0.kind))" } ?? ""
                return "scheduled steps" + last
            }
            return String(describing: type(of: h))
        } ?? "unknown"
        stall = Stall(time: c.pointee.now, events: c.pointee.sameInstant + UInt64(sampled), component: name)
        c.pointee.stopRequested = true
    }

    public var pendingCount: Int { core.pointee.queue.count }

    /// Watches a run from outside the model (the progress line, the memory budget) on the
    /// simulation's own thread, every `monitorEvery` events, so nothing reads the run's
    /// state from another thread. It returns a reason to stop the run, or nil. It sees the
    /// run, decides nothing in it: a run it does not stop is the same with or without it.
    public var monitor: ((Simulation) -> String?)?
    /// Events between two calls of `monitor` (a power of two).
    public static let monitorEvery: UInt64 = 1 << 16
    /// Set when `monitor` stopped the run: its reason.
    public private(set) var interruption: String?

    private func callMonitor() {
        guard let monitor, let why = monitor(self) else { return }
        interruption = why
        core.pointee.stopRequested = true
    }

    /// Runs events in (time, seq) order until the queue is empty, `stop()` is
    /// called, or the next event lies beyond `limit`; the clock then rests at
    /// `limit` (or at the last event if the queue ran dry).
    @discardableResult
    public func run(until limit: SimTime = .max) -> UInt64 {
        let c = core
        c.pointee.stopRequested = false
        let start = c.pointee.eventsProcessed
        while let event = c.pointee.queue.popMin(notAfter: limit) {
            if c.pointee.takeTombstone(event) {
                // A cancelled closure is released here and its slot reused.
                if event.target == Self.closureTarget.raw { closures.discard(Int(event.arg)) }
                continue
            }
            if event.time != c.pointee.now {
                c.pointee.now = event.time
                c.pointee.sameInstant = 0
            }
            c.pointee.sameInstant &+= 1
            c.pointee.currentSeq = event.seq
            c.pointee.eventsProcessed &+= 1
            c.pointee.targets[Int(event.target)]._withUnsafeGuaranteedRef {
                $0.handler.handle(event, in: self)
            }
            if c.pointee.sameInstant > c.pointee.watchdogLimit { diagnoseStall() }
            if c.pointee.eventsProcessed & (Self.monitorEvery - 1) == 0 { callMonitor() }
            if c.pointee.stopRequested { break }
        }
        if !c.pointee.stopRequested, limit != .max, c.pointee.now < limit { c.pointee.now = limit }
        return c.pointee.eventsProcessed - start
    }

    /// Appends to the trace at the current time.
    public func record(_ node: String, _ kind: TraceKind, _ detail: String = "") {
        trace.append(TraceRecord(time: now, node: node, kind: kind, detail: detail))
    }
}

/// A handler that can name itself in diagnostics (the watchdog's message).
public protocol NamedComponent {
    var componentName: String { get }
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
        discard(i)
        action?()
    }

    /// Frees a slot whose event fired or was cancelled.
    func discard(_ i: Int) {
        slots[i] = nil
        free.append(i)
    }

    /// Drops every stored closure (and what it captured): `Simulation.close`.
    func removeAll() {
        slots.removeAll()
        free.removeAll()
    }

    /// Closures waiting for their event (for tests).
    var liveCount: Int { slots.count - free.count }
}
