/// Values kept by slot number until taken: the messages of data segments and the in-flight
/// records of segments (`Network`), a machine's CPU bursts (`Machine`), a Galera node's ordered
/// commits during their burst (`GaleraNode.commitBursts`). A slot is reused once taken (a free
/// list). In the kernel, public and inlinable, so every layer uses this one (Galera had grown a
/// copy of its own, `PlainSlots`, session 17).
///
/// In a buffer of its own rather than an array of optionals: an empty slot is uninitialized
/// memory, so storing initializes it and taking moves out (bitwise: every element type is
/// bitwise takable, and an existential container always is). With `[T?]`, the assignment into
/// a free slot destroyed the nil there, and `take()` wrote a nil back, each through Optional's
/// generic value witnesses (60 to 120 instructions a call, four calls per segment delivered:
/// 27 M instructions of 612 M in the MHA profile of issue 15).
///
/// The free slots form a stack threaded through `nextFree` (last freed, first reused, as the
/// array of free slots was): an array's `popLast` and `append` were a call and a uniqueness
/// check each per segment (7.5 M instructions in the 40-second MHA cut, session 14).
public struct SlotTable<Element>: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<Element>
    /// Whether each slot holds a value: a slot is taken once, so a stale number finds nothing.
    @usableFromInline var occupied: UnsafeMutablePointer<Bool>
    /// For a free slot, the free slot freed before it (-1: none).
    @usableFromInline var nextFree: UnsafeMutablePointer<Int>
    @usableFromInline var capacity: Int
    /// Slots ever used: [0, count), some of them free.
    @usableFromInline var used = 0
    public var count: Int { used }
    /// The free slot freed last (-1: none), and how many are free.
    @usableFromInline var freeTop = -1
    @usableFromInline var freeCount = 0

    public init() {
        capacity = 16
        base = .allocate(capacity: capacity)
        occupied = .allocate(capacity: capacity)
        nextFree = .allocate(capacity: capacity)
    }

    deinit {
        for s in 0..<used where occupied[s] { (base + s).deinitialize(count: 1) }
        base.deallocate()
        occupied.deallocate()
        nextFree.deallocate()
    }

    /// Slots holding a value.
    @inlinable public var liveCount: Int { used - freeCount }

    /// Keeps `value` and returns its slot.
    ///
    /// The slot is found first (`reserve`), then the value consumed into it (`put`): written as
    /// one body (the slot's search, then `initialize(to: value)`), an existential argument was
    /// moved to a local and then into the slot, two outlined moves of five words per message
    /// sent (`Network.send`), where this order moves it once.
    @inlinable @inline(__always)
    public mutating func store(_ value: consuming Element) -> Int {
        let s = reserve()
        put(value, at: s)
        return s
    }

    /// A free slot, to be filled by `put` before anything else uses the table.
    @inlinable @inline(__always)
    public mutating func reserve() -> Int {
        let s: Int
        if freeTop >= 0 {
            s = freeTop
            freeTop = nextFree[s]
            freeCount &-= 1
        } else {
            if used == capacity { grow() }
            s = used
            used += 1
        }
        return s
    }

    /// Fills the slot `reserve` returned.
    @inlinable @inline(__always)
    public mutating func put(_ value: consuming Element, at s: Int) {
        (base + s).initialize(to: value)
        occupied[s] = true
    }

    /// Moves the value out of its slot and frees the slot; nil if the slot holds none.
    @inlinable @inline(__always)
    public mutating func take(_ s: Int) -> Element? {
        guard s < used, occupied[s] else { return nil }
        occupied[s] = false
        nextFree[s] = freeTop
        freeTop = s
        freeCount &+= 1
        return (base + s).move()
    }

    /// A copy of the value in a slot, or nil.
    @inlinable public subscript(s: Int) -> Element? {
        s < used && occupied[s] ? base[s] : nil
    }

    /// Drops every value (the end of a run), each handed to `last` first.
    public mutating func removeAll(_ last: (inout Element) -> Void = { _ in }) {
        for s in 0..<used where occupied[s] {
            last(&base[s])
            (base + s).deinitialize(count: 1)
            occupied[s] = false
        }
        used = 0
        freeTop = -1
        freeCount = 0
    }

    /// Doubles the buffers (rare). Elements move bitwise, free slots' garbage with them.
    @usableFromInline @inline(never)
    mutating func grow() {
        let c = capacity * 2
        let b = UnsafeMutablePointer<Element>.allocate(capacity: c)
        UnsafeMutableRawPointer(b).copyMemory(from: base, byteCount: used * MemoryLayout<Element>.stride)
        base.deallocate()
        base = b
        let o = UnsafeMutablePointer<Bool>.allocate(capacity: c)
        o.update(from: occupied, count: used)
        occupied.deallocate()
        occupied = o
        let f = UnsafeMutablePointer<Int>.allocate(capacity: c)
        f.update(from: nextFree, count: used)
        nextFree.deallocate()
        nextFree = f
        capacity = c
    }
}
