/// The simulation's pending events, in two heaps: the near ones (due within `horizon` of the
/// moment they are scheduled: a segment on the wire, a commit's fsync, the next write's
/// arrival) and the far ones (timers: a pool connection's socketTimeout 10 s ahead, a manager's
/// next check, a retransmission). Popped in (time, seq) order across both, exactly as one heap
/// would: the split only decides which heap an event waits in.
///
/// Why: most events are scheduled a fraction of a millisecond ahead, yet they sifted through a
/// heap kept deep by the timers waiting seconds ahead (an MHA incident holds ~70 pending
/// events, ~60 of them socket timers: six levels for every push and pop, where the near
/// events alone need two or three). A pop compares the two heaps' minimums: one comparison.
public struct PendingEvents: ~Copyable, @unchecked Sendable {
    @usableFromInline var near: EventQueue
    @usableFromInline var far: EventQueue
    /// An event due later than this after the moment it is scheduled waits in `far`.
    /// Computed and inlinable, not a stored `static let`: read from another module (every
    /// `schedule`) a stored one was a call to its addressor per event scheduled.
    @inlinable public static var horizon: SimTime { 50 * 1_000_000 }

    public init(capacity: Int = 0) {
        near = EventQueue(capacity: capacity)
        far = EventQueue(capacity: capacity)
    }

    @inlinable public var count: Int { near.count + far.count }
    @inlinable public var isEmpty: Bool { near.isEmpty && far.isEmpty }

    /// Whether the earliest event is in `far`.
    @inlinable @inline(__always)
    var farFirst: Bool {
        far._count > 0 && (near._count == 0 || far.slots[1].precedes(near.slots[1]))
    }

    /// Time of the earliest event, or nil if none is pending.
    @inlinable public var minTime: SimTime? { farFirst ? far.slots[1].time : near.minTime }

    /// Adds an event scheduled at `now`. Always inlined: the choice of heap is two
    /// instructions, and as a call of its own it inlined both heaps' pushes (a larger frame).
    @inlinable @inline(__always)
    public mutating func push(_ event: Event, now: SimTime) {
        if event.time &- now > Self.horizon { far.push(event) } else { near.push(event) }
    }

    /// Removes and returns the earliest event; there must be one.
    @inlinable
    public mutating func popMin() -> Event {
        farFirst ? far.popMin() : near.popMin()
    }

    /// Removes and returns the earliest event if it is due at or before `limit`, else nil: the
    /// run loop's step, choosing the heap once (a `minTime` then a `popMin` compared the two
    /// heads twice per event).
    @inlinable @inline(__always)
    public mutating func popMin(notAfter limit: SimTime) -> Event? {
        if farFirst {
            return far.slots[1].time <= limit ? far.popMin() : nil
        }
        return near._count > 0 && near.slots[1].time <= limit ? near.popMin() : nil
    }
}
