/// A column of 64-bit integers by index that mostly climb in step with it, 1 byte an entry:
/// a RowTable's txids (the row at key k was inserted by a transaction numbered about k plus a
/// constant), a packed binlog's txids, keys and commit groups (each a client's insert: the
/// txid and the auto-increment key advance with the binlog position, a group id more slowly).
///
/// Blocks of 64 entries share a base, the first value stored in the block less its index;
/// each entry keeps its distance from base + index in a signed byte (−126…127: a constant, or
/// values climbing one per index, always fit in a block). A value that does not fit (another
/// client's txid, 2^40 apart; a hot row's key in a column of inserts) is kept apart, by index;
/// a block with more than `apartLimit` of them is kept whole (8 bytes an entry) from then on.
/// Exact: the arithmetic wraps, so base + index + distance is the stored value for any Int64.
public struct DenseTxids: Sendable {
    public static let vacant = Int64.min
    private static let shift = 6
    private static let size = 1 << shift
    /// An index with no value (RowTable's absent key).
    private static let narrowVacant = Int8.min
    /// The value is in `apartValue` (a narrow block) or in `wide` (a wide block: all its
    /// entries are marked so).
    private static let apart = Int8.min + 1
    private static let unset = Int64.min
    /// More values apart than this in one block: the block is kept whole. 8 apart cost as much
    /// as the block's bytes twice over (16 B each), so a block of mixed values goes wide early.
    static let apartLimit = 8
    /// value − (base + index), or a marker.
    private var offsets = Chunked<Int8>()
    /// Each block's base; `unset` until the block holds a value.
    private var bases: [Int64] = []
    /// Each block's place in `wide` (its first slot / size), or −1 while it is narrow.
    private var wideSlot: [Int32] = []
    /// Whole values of the wide blocks, `size` per block (vacant: `vacant`).
    private var wide: [Int64] = []
    /// Values of narrow blocks that did not fit, by ascending index.
    private var apartIndex: [Int] = []
    private var apartValue: [Int64] = []

    public init() {}

    public var count: Int { offsets.count }

    @inline(__always)
    private static func distance(_ v: Int64, base: Int64, _ i: Int) -> Int8? {
        let d = v &- (base &+ Int64(i))
        return d > Int64(apart) && d <= Int64(Int8.max) ? Int8(truncatingIfNeeded: d) : nil
    }

    public subscript(i: Int) -> Int64 {
        get {
            let o = offsets[i]
            let b = i >> Self.shift
            if o > Self.apart { return bases[b] &+ Int64(i) &+ Int64(o) }
            if o == Self.narrowVacant { return Self.vacant }
            let w = wideSlot[b]
            if w >= 0 { return wide[Int(w) << Self.shift | i & (Self.size - 1)] }
            return apartValue[apartIndex.firstPosition(atLeast: i)]
        }
        set {
            let b = i >> Self.shift
            let w = wideSlot[b]
            if w >= 0 {
                wide[Int(w) << Self.shift | i & (Self.size - 1)] = newValue
                return
            }
            if offsets[i] == Self.apart {
                let p = apartIndex.firstPosition(atLeast: i)
                apartIndex.remove(at: p)
                apartValue.remove(at: p)
            }
            if newValue == Self.vacant {
                offsets[i] = Self.narrowVacant
                return
            }
            if bases[b] == Self.unset { bases[b] = newValue &- Int64(i) }
            if let d = Self.distance(newValue, base: bases[b], i) {
                offsets[i] = d
                return
            }
            setApart(i, newValue)
        }
    }

    /// Value v at index i of a narrow block, kept apart, or the block widened.
    private mutating func setApart(_ i: Int, _ v: Int64) {
        let b = i >> Self.shift
        let start = b << Self.shift
        let first = apartIndex.firstPosition(atLeast: start)
        let p = apartIndex.firstPosition(atLeast: i)
        if apartIndex.firstPosition(atLeast: start + Self.size) - first >= Self.apartLimit {
            let w = widen(b)
            wide[Int(w) << Self.shift | i & (Self.size - 1)] = v
            return
        }
        apartIndex.insert(i, at: p)
        apartValue.insert(v, at: p)
        offsets[i] = Self.apart
    }

    /// Block b, kept whole from now on: its values copied into a new slot of `wide`, its
    /// entries apart dropped.
    private mutating func widen(_ b: Int) -> Int32 {
        let w = Int32(wide.count >> Self.shift)
        let start = b << Self.shift
        for i in start..<(start + Self.size) { wide.append(i < offsets.count ? self[i] : Self.vacant) }
        let end = min(start + Self.size, offsets.count)
        for i in start..<end { offsets[i] = Self.apart }
        let first = apartIndex.firstPosition(atLeast: start), last = apartIndex.firstPosition(atLeast: start + Self.size)
        apartIndex.removeSubrange(first..<last)
        apartValue.removeSubrange(first..<last)
        wideSlot[b] = w
        return w
    }

    /// One more index, with value t (or vacant). The common case (a narrow block, t near
    /// base + index) appends the distance directly, without the setter's checks.
    public mutating func append(_ t: Int64) {
        let i = offsets.count
        if i & (Self.size - 1) == 0 {
            bases.append(t == Self.vacant ? Self.unset : t &- Int64(i))
            wideSlot.append(-1)
        }
        let b = i >> Self.shift
        let w = wideSlot[b]
        if w >= 0 {
            // A wide block's slots past the end read vacant already.
            offsets.append(Self.apart)
            if t != Self.vacant { wide[Int(w) << Self.shift | i & (Self.size - 1)] = t }
            return
        }
        if t == Self.vacant {
            offsets.append(Self.narrowVacant)
            return
        }
        if bases[b] == Self.unset { bases[b] = t &- Int64(i) }
        if let d = Self.distance(t, base: bases[b], i) {
            offsets.append(d)
            return
        }
        offsets.append(Self.narrowVacant)
        setApart(i, t)
    }

    /// Appends `values` in order, as `append` one by one would: the common entries (a narrow
    /// block, the value near base + index) are staged and copied into the column at once; any
    /// other entry goes through `append` after the staged ones (a packed binlog's column,
    /// 1,024 events at a time). The rest of a block is staged in one straight loop that notes
    /// the first entry not fitting, instead of a test and a branch per entry (28 instructions
    /// an entry); the staging goes on after that entry.
    public mutating func append(contentsOf values: UnsafeBufferPointer<Int64>) {
        guard let src = values.baseAddress else { return }
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: values.count) { stagedBuffer in
            let staged = stagedBuffer.baseAddress!
            var n = 0
            var i = offsets.count
            var k = 0
            while k < values.count {
                let inBlock = i & (Self.size - 1)
                let m = Swift.min(values.count - k, Self.size - inBlock)
                let base: Int64
                if inBlock == 0 {
                    // A new block's first value is its base (what `append` does), unless vacant.
                    let t = src[k]
                    base = t == Self.vacant ? Self.unset : t &- Int64(i)
                } else {
                    // `unset` while the block has no value, or once it is wide.
                    base = narrowBase(i >> Self.shift)
                }
                var fit = 0
                if base != Self.unset {
                    let from = src + k, to = staged + n, first = base &+ Int64(i)
                    @inline(__always) func misses(_ j: Int) -> Bool {
                        let t = from[j], d = t &- (first &+ Int64(j))
                        // A distance in apart+1 ... 127 is one unsigned comparison.
                        return t == Self.vacant
                            || UInt64(bitPattern: d &- (Int64(Self.apart) + 1)) > UInt64(Int64(Int8.max) - Int64(Self.apart) - 1)
                    }
                    // Counted, not searched: a sum the compiler runs several entries at a time.
                    var missCount = 0
                    for j in 0..<m {
                        missCount &+= misses(j) ? 1 : 0
                        to[j] = Int8(truncatingIfNeeded: from[j] &- (first &+ Int64(j)))
                    }
                    fit = m
                    if missCount > 0 { fit = (0..<m).first(where: misses)! }
                    if fit > 0 {
                        if inBlock == 0 {
                            bases.append(base)
                            wideSlot.append(-1)
                        }
                        n &+= fit
                        i &+= fit
                        k &+= fit
                    }
                }
                if fit < m {
                    // This entry does not fit (or its block is wide, or has no base yet).
                    offsets.append(contentsOf: UnsafeBufferPointer(start: staged, count: n))
                    n = 0
                    append(src[k])
                    i &+= 1
                    k &+= 1
                }
            }
            offsets.append(contentsOf: UnsafeBufferPointer(start: staged, count: n))
        }
    }

    /// Block b's base while it is narrow, else `unset`.
    @inline(__always)
    private func narrowBase(_ b: Int) -> Int64 { wideSlot[b] < 0 ? bases[b] : Self.unset }

    /// Keeps the first n indices (a binlog cut back after a power loss). The slots in `wide`
    /// of blocks dropped whole stay unused: a truncation is rare and short.
    public mutating func truncate(to n: Int) {
        guard n < offsets.count else { return }
        offsets.truncate(to: n)
        let blocks = (n + Self.size - 1) >> Self.shift
        bases.removeSubrange(blocks...)
        wideSlot.removeSubrange(blocks...)
        let keep = apartIndex.firstPosition(atLeast: n)
        apartIndex.removeSubrange(keep...)
        apartValue.removeSubrange(keep...)
        // A wide block cut in the middle: its slots past the end must read vacant when
        // appended again (append writes only a value, never a vacant slot).
        if n & (Self.size - 1) != 0, let w = wideSlot.last, w >= 0 {
            for j in (n & (Self.size - 1))..<Self.size { wide[Int(w) << Self.shift | j] = Self.vacant }
        }
    }
}
