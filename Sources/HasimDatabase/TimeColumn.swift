import HasimKernel

/// A column of instants, mostly non-decreasing and close together (when each binlog event
/// was written, when each write was acknowledged), in 4 bytes an entry instead of 8: blocks
/// of 32 entries share the block's first instant, and each entry keeps its distance from it
/// in 32 bits (4.29 s in nanoseconds). An entry that does not fit (a gap of seconds, an
/// earlier instant) is kept whole, apart, by index. Exact: every entry reads back as given.
/// The distances grow by chunks (`Chunked`), not by doubling.
public struct TimeColumn: Sendable, Equatable {
    private static let shift = 5
    private static let mask = (1 << shift) - 1
    private static let far = UInt32.max
    /// The first instant of each block.
    private var bases: [SimTime] = []
    /// Instant − its block's base; `far`: the instant is in `farTimes`.
    private var deltas = Chunked<UInt32>()
    /// Entries kept whole, by ascending index.
    private var farIndex: [Int] = []
    private var farTimes: [SimTime] = []

    public init() {}

    public var count: Int { deltas.count }
    public var isEmpty: Bool { deltas.isEmpty }
    /// Entries [0, forgotten) were given up (`forget`); reading one traps.
    public var forgotten: Int { deltas.forgotten }

    /// Reserves the bases (the entries grow by chunks: no copy to avoid).
    public mutating func reserveCapacity(_ n: Int) {
        bases.reserveCapacity((n + Self.mask) >> Self.shift)
    }

    public subscript(i: Int) -> SimTime {
        let d = deltas[i]
        if d != Self.far { return bases[i >> Self.shift] + SimTime(d) }
        return farTimes[farSlot(i)]
    }

    /// The place of index i in `farIndex` (the first at or after it).
    private func farSlot(_ i: Int) -> Int { farIndex.firstPosition(atLeast: i) }

    public mutating func append(_ t: SimTime) {
        let i = deltas.count
        if i & Self.mask == 0 { bases.append(t) }
        let d = t &- bases[i >> Self.shift]
        if d >= 0 && d < SimTime(Self.far) {
            deltas.append(UInt32(d))
        } else {
            deltas.append(Self.far)
            farIndex.append(i)
            farTimes.append(t)
        }
    }

    /// Appends `times` in order, as `append` one by one would, the distances copied into the
    /// column at once (a packed binlog's commit times, 1,024 at a time). A block's part is
    /// computed in one straight loop, and looked at again only if some instant did not fit
    /// (one by one, with the test and the branch per instant, it cost 27 instructions each).
    public mutating func append(contentsOf times: UnsafeBufferPointer<SimTime>) {
        guard let src = times.baseAddress else { return }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: times.count) { stagedBuffer in
            let staged = stagedBuffer.baseAddress!
            var i = deltas.count
            var k = 0
            while k < times.count {
                let m = Swift.min(times.count - k, Self.mask + 1 - (i & Self.mask))
                if i & Self.mask == 0 { bases.append(src[k]) }
                let base = bases[i >> Self.shift]
                let from = src + k, to = staged + k
                var misses = 0
                for j in 0..<m {
                    let d = from[j] &- base
                    // 0 <= d < far as one unsigned comparison.
                    misses &+= UInt64(bitPattern: d) < UInt64(Self.far) ? 0 : 1
                    to[j] = UInt32(truncatingIfNeeded: d)
                }
                if misses != 0 {
                    for j in 0..<m where UInt64(bitPattern: from[j] &- base) >= UInt64(Self.far) {
                        to[j] = Self.far
                        farIndex.append(i &+ j)
                        farTimes.append(from[j])
                    }
                }
                i &+= m
                k &+= m
            }
            deltas.append(contentsOf: UnsafeBufferPointer(start: staged, count: times.count))
        }
    }

    /// Keeps the first `n` entries.
    public mutating func truncate(to n: Int) {
        guard n < deltas.count else { return }
        deltas.truncate(to: n)
        bases.removeSubrange(((n + Self.mask) >> Self.shift)...)
        let keep = farSlot(n)
        farIndex.removeSubrange(keep...)
        farTimes.removeSubrange(keep...)
    }

    /// Frees the entries below about index n (whole chunks of 16,384: the rest stay
    /// readable): instants nothing will read again. Indices and the count stay; a truncation
    /// below them is allowed, appends go on as before.
    public mutating func forget(before n: Int) { deltas.forget(before: n, filler: 0) }

    /// Drops every entry, keeping the arrays' capacity.
    public mutating func removeAll() {
        bases.removeAll(keepingCapacity: true)
        deltas.removeAll()
        farIndex.removeAll()
        farTimes.removeAll()
    }

    /// Equal when every entry is (a block's base is its first entry, so equal entries give
    /// equal arrays).
    public static func == (a: TimeColumn, b: TimeColumn) -> Bool {
        a.deltas == b.deltas && a.bases == b.bases && a.farIndex == b.farIndex && a.farTimes == b.farTimes
    }
}

extension Array where Element == Int {
    /// In an ascending array (the indices of the entries a compact column keeps apart), the
    /// first position whose value is at least `i`; `count` if none.
    public func firstPosition(atLeast i: Int) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < i { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
