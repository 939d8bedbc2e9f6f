/// The client's operations by slot: what `[Op?]` with a stack of free slot numbers was, in
/// buffers of its own. Every write reads and changes its op five to seven times
/// (`ops[slot]!.awaiting = false`...): through an array held in the client (a class), each
/// change was a uniqueness check of the array and a bounds check, and the free list's
/// `popLast` and `append` were a generic call and another uniqueness check (about 6 M
/// instructions of the 290 M of the 40-second MHA cut, session 18). Here a slot is read and
/// changed in place through an addressor, bounds-checked like the array.
///
/// Slot numbers are exactly those of the array and its free list (timers name ops by slot, so
/// a run depends on them): a new op takes the slot freed last, else a slot past the end; and
/// `forgetAll` empties every slot without freeing any, so slots of a dead JVM's life are
/// never reused.
///
/// Not the kernel's `SlotTable`: that one frees a slot when its value is taken and keeps no
/// value changeable in place, and its `removeAll` reuses slot numbers from 0.
struct OpSlots: ~Copyable {
    typealias Op = ApplicationClient.Op
    /// Slots [0, count), each an op or nil. `Op?` is a plain value (checked at init): the
    /// buffer is moved and freed without deinitializing anything.
    private var base: UnsafeMutablePointer<Op?>
    private var capacity: Int
    private(set) var count = 0
    /// Freed slots, the last freed on top: [0, freeCount).
    private var freed: UnsafeMutablePointer<Int>
    private var freeCapacity: Int
    private var freeCount = 0

    init() {
        precondition(_isPOD(Op?.self), "OpSlots moves ops as plain bytes")
        capacity = 64
        base = .allocate(capacity: capacity)
        freeCapacity = 64
        freed = .allocate(capacity: freeCapacity)
    }

    deinit {
        base.deallocate()
        freed.deallocate()
    }

    var indices: Range<Int> { 0..<count }

    /// The op in a slot, read and changed in place; nil: the slot is empty.
    subscript(slot: Int) -> Op? {
        @inline(__always) unsafeAddress {
            precondition(slot >= 0 && slot < count, "op slot out of range")
            return UnsafePointer(base + slot)
        }
        @inline(__always) unsafeMutableAddress {
            precondition(slot >= 0 && slot < count, "op slot out of range")
            return base + slot
        }
    }

    /// Stores an op in the slot freed last, or in a new slot past the end; returns the slot.
    @inline(__always)
    mutating func store(_ op: Op) -> Int {
        if freeCount > 0 {
            freeCount &-= 1
            let s = freed[freeCount]
            base[s] = op
            return s
        }
        if count == capacity { grow() }
        (base + count).initialize(to: op)
        count += 1
        return count - 1
    }

    /// Empties a slot and makes it the next one `store` takes.
    @inline(__always)
    mutating func free(_ slot: Int) {
        self[slot] = nil
        if freeCount == freeCapacity { growFree() }
        freed[freeCount] = slot
        freeCount &+= 1
    }

    /// Empties every slot and frees none (the JVM died: its slots are not reused).
    mutating func forgetAll() {
        for s in 0..<count { base[s] = nil }
        freeCount = 0
    }

    @inline(never)
    private mutating func grow() {
        let c = capacity * 2
        let b = UnsafeMutablePointer<Op?>.allocate(capacity: c)
        b.moveInitialize(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    @inline(never)
    private mutating func growFree() {
        let c = freeCapacity * 2
        let f = UnsafeMutablePointer<Int>.allocate(capacity: c)
        f.moveInitialize(from: freed, count: freeCount)
        freed.deallocate()
        freed = f
        freeCapacity = c
    }
}
