/// A global transaction identifier: the originating server and its sequence number.
public struct GTID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var origin: UInt32
    public var seq: Int64
    public init(origin: UInt32, seq: Int64) {
        self.origin = origin
        self.seq = seq
    }
    public static func < (a: GTID, b: GTID) -> Bool { (a.origin, a.seq) < (b.origin, b.seq) }
    public var description: String { "\(origin):\(seq)" }
}

/// A set of GTIDs as MySQL keeps it: per origin, sorted disjoint intervals.
/// Kept as sorted arrays, never iterated in hash order.
///
/// Each origin's newest interval is kept apart from its older ones, in two flat columns: the
/// calls on every commit and every received event (insert the next number of an origin, ask
/// whether a number is held: nearly always at or past the newest interval) read and write
/// those plain integers, one uniqueness check, no nested array retained. They were an
/// interval array inside an array of tuples: two uniqueness checks and a retain per call.
public struct GTIDSet: Equatable, Sendable, CustomStringConvertible {
    /// The origins held, ascending (each holds at least one GTID).
    private var origins: [UInt32] = []
    /// Per origin, the bounds of its newest (highest) interval.
    private var newestLow: [Int64] = []
    private var newestHigh: [Int64] = []
    /// Per origin, the intervals below its newest: sorted, disjoint, non-adjacent, each ending
    /// before newestLow − 1. Empty, so no allocation, for an origin with no gap.
    /// One form per set, so the synthesized `==` compares sets.
    private var older: [[ClosedRange<Int64>]] = []

    public init() {}

    public var isEmpty: Bool { origins.isEmpty }

    public var count: Int64 {
        var n: Int64 = 0
        for i in origins.indices {
            n += newestHigh[i] - newestLow[i] + 1
            for s in older[i] { n += s.upperBound - s.lowerBound + 1 }
        }
        return n
    }

    @inline(__always)
    private func index(of origin: UInt32) -> (found: Bool, at: Int) {
        var lo = 0, hi = origins.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if origins[mid] < origin { lo = mid + 1 } else { hi = mid }
        }
        return (lo < origins.count && origins[lo] == origin, lo)
    }

    /// Every interval of the origin at i, ascending (the rare paths: gaps, failovers).
    private func spans(_ i: Int) -> [ClosedRange<Int64>] { older[i] + CollectionOfOne(newestLow[i]...newestHigh[i]) }

    /// Sets the intervals of the origin at i; none: the origin leaves the set.
    private mutating func setSpans(_ i: Int, _ s: [ClosedRange<Int64>]) {
        guard let last = s.last else {
            origins.remove(at: i)
            newestLow.remove(at: i)
            newestHigh.remove(at: i)
            older.remove(at: i)
            return
        }
        newestLow[i] = last.lowerBound
        newestHigh[i] = last.upperBound
        older[i] = Array(s.dropLast())
    }

    /// Inlined up to the newest interval's test (the look-up of every received and applied
    /// transaction, several per commit): the call cost about as much as the test.
    @inline(__always)
    public func contains(_ g: GTID) -> Bool {
        let (found, i) = index(of: g.origin)
        guard found else { return false }
        // Most lookups hit the newest interval, or miss past it (a replica asking whether it
        // already has the transaction that just arrived).
        if g.seq >= newestLow[i] { return g.seq <= newestHigh[i] }
        return olderContain(i, g.seq)
    }

    /// Whether an interval below the newest of the origin at i holds seq.
    private func olderContain(_ i: Int, _ seq: Int64) -> Bool {
        let spans = older[i]
        let k = firstSpan(in: spans, endingAtOrAfter: seq)
        return k < spans.count && spans[k].lowerBound <= seq
    }

    /// Inlined up to the common case, as `contains`: the next number of the newest interval,
    /// extended in place (every commit and every received event).
    @inline(__always)
    public mutating func insert(_ g: GTID) {
        let (found, i) = index(of: g.origin)
        if found && g.seq == newestHigh[i] &+ 1 {
            newestHigh[i] = g.seq
            return
        }
        insertElsewhere(g, found: found, at: i)
    }

    private mutating func insertElsewhere(_ g: GTID, found: Bool, at i: Int) {
        if found && g.seq <= newestHigh[i] && g.seq >= newestLow[i] { return }
        insert(origin: g.origin, g.seq...g.seq)
    }

    /// Takes one GTID out (a binlog tail lost in a crash takes its GTIDs out of
    /// gtid_executed, which MySQL rebuilds from the binlog files at start-up).
    public mutating func remove(_ g: GTID) {
        let (found, i) = index(of: g.origin)
        guard found else { return }
        var spans = spans(i)
        guard let k = spans.firstIndex(where: { $0.contains(g.seq) }) else { return }
        let span = spans[k]
        var pieces: [ClosedRange<Int64>] = []
        if span.lowerBound < g.seq { pieces.append(span.lowerBound...(g.seq - 1)) }
        if g.seq < span.upperBound { pieces.append((g.seq + 1)...span.upperBound) }
        spans.replaceSubrange(k...k, with: pieces)
        setSpans(i, spans)
    }

    /// The GTIDs of one origin in self that other lacks (the check a source's dump
    /// thread makes for its own server_uuid: "Slave has more GTIDs than the master has").
    /// Counted span by span: a set of a failover's 300,000 transactions is one span.
    public func missing(from other: GTIDSet, origin: UInt32) -> Int64 {
        let (found, i) = index(of: origin)
        guard found else { return 0 }
        var n: Int64 = 0
        for s in spans(i) { n += s.upperBound - s.lowerBound + 1 - other.covered(origin: origin, s) }
        return n
    }

    /// How many GTIDs of one origin in `span` self holds.
    func covered(origin: UInt32, _ span: ClosedRange<Int64>) -> Int64 {
        let (found, i) = index(of: origin)
        guard found else { return 0 }
        let spans = spans(i)
        var k = firstSpan(in: spans, endingAtOrAfter: span.lowerBound)
        var n: Int64 = 0
        while k < spans.count && spans[k].lowerBound <= span.upperBound {
            n += min(spans[k].upperBound, span.upperBound) - max(spans[k].lowerBound, span.lowerBound) + 1
            k += 1
        }
        return n
    }

    /// The lowest sequence number of one origin in `span` that self lacks, or nil if self
    /// holds the whole span. What a GTID auto-positioned dump thread skips by (`BinlogLog`):
    /// one search per run of consecutive GTIDs instead of a lookup per event.
    public func firstMissing(origin: UInt32, in span: ClosedRange<Int64>) -> Int64? {
        let (found, i) = index(of: origin)
        guard found else { return span.lowerBound }
        // The first interval ending at or after span.lowerBound, if it starts at or before it,
        // holds the span's start; intervals are disjoint and non-adjacent, so the number after
        // it is in no interval.
        let end: Int64
        if span.lowerBound >= newestLow[i] {
            guard span.lowerBound <= newestHigh[i] else { return span.lowerBound }
            end = newestHigh[i]
        } else {
            let spans = older[i]
            let k = firstSpan(in: spans, endingAtOrAfter: span.lowerBound)
            // k == spans.count: the newest interval, which starts after span.lowerBound.
            guard k < spans.count, spans[k].lowerBound <= span.lowerBound else { return span.lowerBound }
            end = spans[k].upperBound
        }
        let next = end + 1
        return next <= span.upperBound ? next : nil
    }

    /// The first of sorted spans whose upper bound is at least `seq` (spans.count if none).
    private func firstSpan(in spans: [ClosedRange<Int64>], endingAtOrAfter seq: Int64) -> Int {
        var lo = 0, hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].upperBound < seq { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Adds other's GTIDs span by span: a union of two failover-sized sets (MHA's
    /// Retrieved ∪ Executed, an I/O thread's request) was one insert per transaction.
    /// Gives the same set as inserting each GTID.
    public mutating func formUnion(_ other: GTIDSet) {
        for j in other.origins.indices {
            for s in other.older[j] { insert(origin: other.origins[j], s) }
            insert(origin: other.origins[j], other.newestLow[j]...other.newestHigh[j])
        }
    }

    /// Inserts every sequence number of one origin in `span`: the spans it overlaps or
    /// touches merge with it into one.
    mutating func insert(origin: UInt32, _ span: ClosedRange<Int64>) {
        let (found, i) = index(of: origin)
        if !found {
            origins.insert(origin, at: i)
            newestLow.insert(span.lowerBound, at: i)
            newestHigh.insert(span.upperBound, at: i)
            older.insert([], at: i)
            return
        }
        let low = newestLow[i], high = newestHigh[i]
        if span.lowerBound >= low {
            if span.lowerBound <= high &+ 1 {
                // Overlaps or touches the newest interval from within or above it.
                newestHigh[i] = max(high, span.upperBound)
            } else {
                // Past a gap: the newest interval becomes an older one.
                older[i].append(low...high)
                newestLow[i] = span.lowerBound
                newestHigh[i] = span.upperBound
            }
            return
        }
        var spans = spans(i)
        // First span that overlaps or touches: its upper bound reaches lowerBound - 1.
        let lo = firstSpan(in: spans, endingAtOrAfter: span.lowerBound - 1)
        if lo < spans.count, spans[lo].lowerBound <= span.lowerBound,
           spans[lo].upperBound >= span.upperBound { return }  // already held
        var end = lo, merged = span
        while end < spans.count && spans[end].lowerBound - 1 <= span.upperBound {
            merged = min(merged.lowerBound, spans[end].lowerBound)...max(merged.upperBound, spans[end].upperBound)
            end += 1
        }
        spans.replaceSubrange(lo..<end, with: CollectionOfOne(merged))
        setSpans(i, spans)
    }

    public func union(_ other: GTIDSet) -> GTIDSet {
        var u = self
        u.formUnion(other)
        return u
    }

    /// True if every GTID of self is in other.
    public func isSubset(of other: GTIDSet) -> Bool {
        for i in origins.indices {
            for s in spans(i) where other.firstMissing(origin: origins[i], in: s) != nil { return false }
        }
        return true
    }

    /// Highest sequence number of any origin (MariaDB's domain-wide seq_no; 0 if none).
    public var highestSeq: Int64 { newestHigh.reduce(0) { max($0, $1) } }

    /// Highest sequence number seen for an origin (0 if none).
    public func highest(of origin: UInt32) -> Int64 {
        let (found, i) = index(of: origin)
        return found ? newestHigh[i] : 0
    }

    /// MySQL's text form, e.g. "1:1-100,2:1-5" (origins are server ids here).
    public var description: String {
        origins.indices.map { i in
            "\(origins[i]):" + spans(i).map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ":")
        }.joined(separator: ",")
    }
}
