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

/// Array-backed binary min-heap of events. Sift with a moving hole rather than
/// swaps: half the writes of a swap-based heap on both push and pop.
public struct EventQueue: Sendable {
    @usableFromInline var items: ContiguousArray<Event> = []

    public init(capacity: Int = 0) {
        items.reserveCapacity(capacity)
    }

    @inlinable public var count: Int { items.count }
    @inlinable public var isEmpty: Bool { items.isEmpty }
    @inlinable public var first: Event? { items.first }

    @inlinable
    public mutating func push(_ event: Event) {
        items.append(event)
        var hole = items.count - 1
        while hole > 0 {
            let parent = (hole - 1) >> 1
            let p = items[parent]
            if !event.precedes(p) { break }
            items[hole] = p
            hole = parent
        }
        items[hole] = event
    }

    @inlinable
    public mutating func pop() -> Event? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        let n = items.count
        if n > 0 {
            var hole = 0
            while true {
                var child = 2 * hole + 1
                if child >= n { break }
                if child + 1 < n && items[child + 1].precedes(items[child]) { child += 1 }
                let c = items[child]
                if !c.precedes(last) { break }
                items[hole] = c
                hole = child
            }
            items[hole] = last
        }
        return top
    }
}
