/// A column grown in fixed chunks of 16,384 entries instead of by doubling: the columns that
/// grow with every acknowledged write (a binlog's, a table's, the write times) never copy
/// themselves whole (at the peak, the copy and the old buffer were resident together, and the
/// freed buffers stayed in the heap as holes), and at most one chunk is part empty.
/// Reads cost one more index than an array's.
struct Chunked<Element: Sendable & Equatable>: Sendable, Equatable, RandomAccessCollection {
    private static var shift: Int { 14 }
    private static var mask: Int { (1 << shift) - 1 }
    /// The full chunks (a forgotten one is empty).
    private var chunks: [[Element]] = []
    /// The last chunk, partly filled: entries [chunks.count << shift, count). Kept apart so that
    /// an append checks one array's uniqueness, not the chunk list's and then the chunk's.
    private var tail: [Element] = []
    private(set) var count = 0
    /// Entries [0, forgotten) were given up (`forget`): their chunks are freed, reading one
    /// traps or gives the filler. A multiple of the chunk size unless a truncation cut below it.
    private(set) var forgotten = 0
    /// What a forgotten entry reads as after a truncation into a freed chunk (the entries
    /// before the cut keep their places but nothing reads them).
    private var filler: Element?

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(i: Int) -> Element {
        @inline(__always) get {
            let c = i >> Self.shift
            if c < chunks.count { return chunks[c][i & Self.mask] }
            assert(c == chunks.count, "index out of range")
            return tail[i & Self.mask]
        }
        @inline(__always) set {
            let c = i >> Self.shift
            if c < chunks.count {
                chunks[c][i & Self.mask] = newValue
            } else {
                assert(c == chunks.count, "index out of range")
                tail[i & Self.mask] = newValue
            }
        }
    }

    @inline(__always)
    mutating func append(_ x: Element) {
        if tail.capacity == 0 { tail.reserveCapacity(Self.mask + 1) }
        tail.append(x)
        count += 1
        if tail.count > Self.mask { sealTail() }
    }

    /// Appends `xs` in order, a chunk's part at a time (one copy each; the packing of a
    /// binlog's columns, 1,024 events at once).
    mutating func append(contentsOf xs: UnsafeBufferPointer<Element>) {
        var from = 0
        while from < xs.count {
            if tail.capacity == 0 { tail.reserveCapacity(Self.mask + 1) }
            let n = Swift.min(xs.count - from, Self.mask + 1 - tail.count)
            tail.append(contentsOf: UnsafeBufferPointer(rebasing: xs[from..<(from + n)]))
            count += n
            from += n
            if tail.count > Self.mask { sealTail() }
        }
    }

    /// The full tail joins the chunks; the next append starts a new one.
    private mutating func sealTail() {
        chunks.append(tail)
        tail = []
    }

    /// Keeps the first n entries.
    mutating func truncate(to n: Int) {
        guard n < count else { return }
        // Cut as one list of chunks (the tail its last), then the part-filled last one is the tail.
        if !tail.isEmpty { chunks.append(tail) }
        tail = []
        chunks.removeSubrange(((n + Self.mask) >> Self.shift)...)
        if n & Self.mask != 0 {
            if chunks[chunks.count - 1].isEmpty, let f = filler {
                // The cut falls in a freed chunk: the entries before it stand in as the
                // filler so that appends land at their index.
                var c: [Element] = []
                c.reserveCapacity(Self.mask + 1)
                c.append(contentsOf: repeatElement(f, count: n & Self.mask))
                chunks[chunks.count - 1] = c
            } else {
                chunks[chunks.count - 1].removeSubrange((n & Self.mask)...)
            }
            tail = chunks.removeLast()
        }
        count = n
        forgotten = Swift.min(forgotten, n)
    }

    /// Frees the chunks wholly below index n: entries nothing reads again (a binlog event's
    /// write time once the page is on disk). The count and the later entries' indices stay.
    mutating func forget(before n: Int, filler: Element) {
        // The tail is never wholly below n (it is part-filled): only full chunks are freed.
        let end = Swift.min(n, count) >> Self.shift
        guard end << Self.shift > forgotten else { return }
        for c in (forgotten >> Self.shift)..<end { chunks[c] = [] }
        forgotten = end << Self.shift
        self.filler = filler
    }

    /// Drops every entry, keeping the tail's room.
    mutating func removeAll() {
        chunks.removeAll()
        tail.removeAll(keepingCapacity: true)
        count = 0
        forgotten = 0
    }

    /// Equal when every entry is (however the chunks were kept; not for a column with
    /// forgotten entries).
    static func == (a: Chunked, b: Chunked) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }
}
