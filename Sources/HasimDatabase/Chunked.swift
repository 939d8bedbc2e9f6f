/// A column grown in fixed chunks of 16,384 entries instead of by doubling: the columns that
/// grow with every acknowledged write (a binlog's, a table's, the write times) never copy
/// themselves whole (at the peak, the copy and the old buffer were resident together, and the
/// freed buffers stayed in the heap as holes), and at most one chunk is part empty.
/// Reads cost one more index than an array's.
struct Chunked<Element: Sendable & Equatable>: Sendable, Equatable, RandomAccessCollection {
    private static var shift: Int { 14 }
    private static var mask: Int { (1 << shift) - 1 }
    private var chunks: [[Element]] = []
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
        @inline(__always) get { chunks[i >> Self.shift][i & Self.mask] }
        @inline(__always) set { chunks[i >> Self.shift][i & Self.mask] = newValue }
    }

    @inline(__always)
    mutating func append(_ x: Element) {
        if count == chunks.count << Self.shift { newChunk() }
        chunks[chunks.count - 1].append(x)
        count += 1
    }

    /// Appends `xs` in order, a chunk's part at a time (one copy each; the packing of a
    /// binlog's columns, 1,024 events at once).
    mutating func append(contentsOf xs: UnsafeBufferPointer<Element>) {
        var from = 0
        while from < xs.count {
            if count == chunks.count << Self.shift { newChunk() }
            let n = Swift.min(xs.count - from, (chunks.count << Self.shift) - count)
            chunks[chunks.count - 1].append(contentsOf: UnsafeBufferPointer(rebasing: xs[from..<(from + n)]))
            count += n
            from += n
        }
    }

    private mutating func newChunk() {
        var c: [Element] = []
        c.reserveCapacity(Self.mask + 1)
        chunks.append(c)
    }

    /// Keeps the first n entries.
    mutating func truncate(to n: Int) {
        guard n < count else { return }
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
        }
        count = n
        forgotten = Swift.min(forgotten, n)
    }

    /// Frees the chunks wholly below index n: entries nothing reads again (a binlog event's
    /// write time once the page is on disk). The count and the later entries' indices stay.
    mutating func forget(before n: Int, filler: Element) {
        let end = Swift.min(n, count) >> Self.shift
        guard end << Self.shift > forgotten else { return }
        for c in (forgotten >> Self.shift)..<end { chunks[c] = [] }
        forgotten = end << Self.shift
        self.filler = filler
    }

    /// Drops every entry, keeping the first chunk.
    mutating func removeAll() {
        if chunks.count > 1 { chunks.removeSubrange(1...) }
        if !chunks.isEmpty { chunks[0].removeAll(keepingCapacity: true) }
        count = 0
        forgotten = 0
    }

    /// Equal when every entry is (however the chunks were kept; not for a column with
    /// forgotten entries).
    static func == (a: Chunked, b: Chunked) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }
}
