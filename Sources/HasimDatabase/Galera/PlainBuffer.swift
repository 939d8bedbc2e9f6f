/// An array of plain values (no references: trivially copied and destroyed) in a buffer the
/// owner holds as a `let`: a Galera node's write-sets received and not delivered (`pending`) and
/// its own write-sets waiting for their place in the total order (`replicating`). As arrays in a
/// class property, every write (an acknowledgement's bit, an insertion, the emptying after the
/// last delivery) checked that the array's buffer was not shared, and inserting, removing or
/// emptying went through the generic `replaceSubrange`: a dozen times per write-set on every
/// member. Here the entries are moved as bytes.
///
/// Indices are as an array's: 0 ..< count (the owner keeps its own head, `pendingHead`,
/// `replicatingHead`).
final class PlainBuffer<Element> {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init() {
        precondition(_isPOD(Element.self), "PlainBuffer holds plain values only")
        capacity = 16
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    var isEmpty: Bool { count == 0 }

    subscript(i: Int) -> Element {
        @inline(__always) get {
            precondition(i >= 0 && i < count, "index out of range")
            return base[i]
        }
    }

    /// Changes entry `i` in place.
    @inline(__always)
    func update<R>(_ i: Int, _ body: (inout Element) -> R) -> R {
        precondition(i >= 0 && i < count, "index out of range")
        return body(&base[i])
    }

    /// Inserts `e` before entry `i` (the later entries move up).
    func insert(_ e: Element, at i: Int) {
        precondition(i >= 0 && i <= count, "index out of range")
        if count == capacity { grow() }
        if i < count { (base + i + 1).moveInitialize(from: base + i, count: count - i) }
        (base + i).initialize(to: e)
        count += 1
    }

    /// Removes entry `i` (the later entries move down).
    func remove(at i: Int) {
        precondition(i >= 0 && i < count, "index out of range")
        if i + 1 < count { (base + i).moveInitialize(from: base + i + 1, count: count - i - 1) }
        count -= 1
    }

    /// Drops the first `n` entries (the later ones move down).
    func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "index out of range")
        if n < count { base.moveInitialize(from: base + n, count: count - n) }
        count -= n
    }

    /// Empties it; the buffer is kept unless `keepingCapacity` is false (a crash's reset).
    func removeAll(keepingCapacity: Bool = true) {
        count = 0
        if !keepingCapacity && capacity > 16 {
            base.deallocate()
            capacity = 16
            base = .allocate(capacity: capacity)
        }
    }

    /// Entries `from ..< count`, in order.
    func suffix(from i: Int) -> [Element] {
        precondition(i >= 0 && i <= count, "index out of range")
        return Array(UnsafeBufferPointer(start: base + i, count: count - i))
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity *= 2
    }
}

extension Array where Element == Int {
    /// A free list's `popLast()`, inlined: the generic one was a call of its own per commit.
    @inline(__always)
    mutating func popFreeSlot() -> Int? { isEmpty ? nil : removeLast() }
}
