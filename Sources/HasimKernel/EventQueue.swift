/// One pending event: a value type, 32 bytes, no reference counting.
///
/// `target` picks the handler registered with the simulation, `tag` says what
/// happened (each handler defines its own tags), `arg` carries a small payload
/// (an index into the handler's own table, an incarnation number, ...).
public struct Event: Sendable {
    public var time: SimTime
    public var seq: UInt64
    public var target: UInt32
    public var tag: UInt32
    public var arg: Int64

    @inlinable
    public init(time: SimTime, seq: UInt64, target: UInt32, tag: UInt32, arg: Int64) {
        self.time = time
        self.seq = seq
        self.target = target
        self.tag = tag
        self.arg = arg
    }

    /// Strict order on (time, seq): keys are unique, so pop order does not depend
    /// on how the heap arranges equal times (FIFO among simultaneous events).
    @inlinable @inline(__always)
    func precedes(_ other: Event) -> Bool {
        time < other.time || (time == other.time && seq < other.seq)
    }
}

/// Binary min-heap of events on (time, seq), in a buffer of its own.
///
/// Layout: the root is at slot 1 and the children of slot i are slots 2i and
/// 2i + 1. Events are 32 bytes and the buffer is 64-byte aligned, so the two
/// children of any node share one cache line: a sift-down touches one line per
/// level (with the root at slot 0, every pair would straddle two lines).
///
/// Sift with a moving hole rather than swaps: half the writes of a swap-based
/// heap. Noncopyable: the queue owns its buffer, so there is no copy-on-write
/// check on push and pop, and no array bounds checks (every index is guarded
/// by the sift loops themselves).
public struct EventQueue: ~Copyable, @unchecked Sendable {
    /// Slot 0 is unused; events live in slots 1...count.
    @usableFromInline var slots: UnsafeMutablePointer<Event>
    @usableFromInline var _count: Int
    /// Events the buffer can hold (it has `capacity + 1` slots).
    @usableFromInline var capacity: Int

    @usableFromInline static let alignment = 64

    public init(capacity: Int = 0) {
        let c = Swift.max(capacity, 15)
        slots = Self.allocate(c)
        _count = 0
        self.capacity = c
    }

    deinit { UnsafeMutableRawPointer(slots).deallocate() }

    @usableFromInline
    static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Event> {
        UnsafeMutableRawPointer.allocate(byteCount: (capacity + 1) * MemoryLayout<Event>.stride,
                                         alignment: alignment)
            .bindMemory(to: Event.self, capacity: capacity + 1)
    }

    /// Doubles the buffer (rare: call sites are out of the hot path).
    @usableFromInline @inline(never)
    mutating func grow() {
        let c = capacity * 2 + 1
        let new = Self.allocate(c)
        new.advanced(by: 1).update(from: slots.advanced(by: 1), count: _count)
        UnsafeMutableRawPointer(slots).deallocate()
        slots = new
        capacity = c
    }

    @inlinable public var count: Int { _count }
    @inlinable public var isEmpty: Bool { _count == 0 }
    @inlinable public var first: Event? { _count > 0 ? slots[1] : nil }

    /// Time of the earliest event, or nil if the queue is empty.
    @inlinable public var minTime: SimTime? { _count > 0 ? slots[1].time : nil }

    @inlinable
    public mutating func push(_ event: Event) {
        if _count == capacity { grow() }
        _count &+= 1
        let a = slots
        var hole = _count
        while hole > 1 {
            let parent = hole >> 1
            let p = a[parent]
            if !event.precedes(p) { break }
            a[hole] = p
            hole = parent
        }
        a[hole] = event
    }

    @inlinable
    public mutating func pop() -> Event? {
        _count == 0 ? nil : popMin()
    }

    /// Removes and returns the earliest event; the queue must not be empty.
    ///
    /// Bottom-up (Floyd): the hole goes down along the smaller children to a leaf without
    /// comparing with the last event, which then climbs back to its place on that path. The
    /// children on the path increase downwards, so it lands where the classic sift-down
    /// (two comparisons per level) would put it: the same layout, one comparison per level
    /// on the way down and a short climb (the last event is a leaf's, seldom early).
    @inlinable
    public mutating func popMin() -> Event {
        precondition(_count > 0, "popMin on an empty EventQueue")
        let a = slots
        let top = a[1]
        let last = a[_count]
        _count &-= 1
        let n = _count
        var hole = 1
        var child = 2
        while child < n {
            if a[child &+ 1].precedes(a[child]) { child &+= 1 }
            a[hole] = a[child]
            hole = child
            child = hole &<< 1
        }
        if child == n {
            a[hole] = a[child]
            hole = child
        }
        while hole > 1 {
            let parent = hole &>> 1
            let p = a[parent]
            if !last.precedes(p) { break }
            a[hole] = p
            hole = parent
        }
        a[hole] = last
        return top
    }
}
