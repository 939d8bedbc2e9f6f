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
public struct GTIDSet: Equatable, Sendable, CustomStringConvertible {
    /// origin -> sorted, disjoint, non-adjacent closed ranges
    private var ranges: [(origin: UInt32, spans: [ClosedRange<Int64>])] = []

    public init() {}

    public static func == (a: GTIDSet, b: GTIDSet) -> Bool {
        a.ranges.count == b.ranges.count && zip(a.ranges, b.ranges).allSatisfy { $0.origin == $1.origin && $0.spans == $1.spans }
    }

    public var isEmpty: Bool { ranges.isEmpty }

    public var count: Int64 {
        ranges.reduce(0) { acc, r in acc + r.spans.reduce(0) { $0 + ($1.upperBound - $1.lowerBound + 1) } }
    }

    private func index(of origin: UInt32) -> (found: Bool, at: Int) {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].origin < origin { lo = mid + 1 } else { hi = mid }
        }
        return (lo < ranges.count && ranges[lo].origin == origin, lo)
    }

    public func contains(_ g: GTID) -> Bool {
        let (found, i) = index(of: g.origin)
        guard found else { return false }
        let spans = ranges[i].spans
        // Fast paths: most lookups hit the last span, or miss past it (a replica asking
        // whether it already has the transaction that just arrived).
        if let last = spans.last {
            if last.contains(g.seq) { return true }
            if g.seq > last.upperBound { return false }
        }
        var lo = 0, hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].upperBound < g.seq { lo = mid + 1 } else { hi = mid }
        }
        return lo < spans.count && spans[lo].contains(g.seq)
    }

    public mutating func insert(_ g: GTID) {
        let (found, i) = index(of: g.origin)
        if !found {
            ranges.insert((g.origin, [g.seq...g.seq]), at: i)
            return
        }
        // Fast path: appending the next number of the newest span, in place (a local copy
        // of the spans would be copied on write: an allocation per commit).
        if let last = ranges[i].spans.last {
            if last.contains(g.seq) { return }
            if g.seq == last.upperBound + 1 {
                ranges[i].spans[ranges[i].spans.count - 1] = last.lowerBound...g.seq
                return
            }
        }
        var spans = ranges[i].spans
        var lo = 0, hi = spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].upperBound < g.seq { lo = mid + 1 } else { hi = mid }
        }
        if lo < spans.count && spans[lo].contains(g.seq) { return }
        var newSpan = g.seq...g.seq
        var removeFrom = lo, removeTo = lo
        if lo > 0 && spans[lo - 1].upperBound + 1 == g.seq {
            newSpan = spans[lo - 1].lowerBound...newSpan.upperBound
            removeFrom = lo - 1
        }
        if lo < spans.count && spans[lo].lowerBound == g.seq + 1 {
            newSpan = newSpan.lowerBound...spans[lo].upperBound
            removeTo = lo + 1
        }
        spans.replaceSubrange(removeFrom..<removeTo, with: [newSpan])
        ranges[i].spans = spans
    }

    /// Takes one GTID out (a binlog tail lost in a crash takes its GTIDs out of
    /// gtid_executed, which MySQL rebuilds from the binlog files at start-up).
    public mutating func remove(_ g: GTID) {
        let (found, i) = index(of: g.origin)
        guard found, let k = ranges[i].spans.firstIndex(where: { $0.contains(g.seq) }) else { return }
        let span = ranges[i].spans[k]
        var pieces: [ClosedRange<Int64>] = []
        if span.lowerBound < g.seq { pieces.append(span.lowerBound...(g.seq - 1)) }
        if g.seq < span.upperBound { pieces.append((g.seq + 1)...span.upperBound) }
        ranges[i].spans.replaceSubrange(k...k, with: pieces)
        if ranges[i].spans.isEmpty { ranges.remove(at: i) }
    }

    /// The GTIDs of one origin in self that other lacks (the check a source's dump
    /// thread makes for its own server_uuid: "Slave has more GTIDs than the master has").
    /// Counted span by span: a set of a failover's 300,000 transactions is one span.
    public func missing(from other: GTIDSet, origin: UInt32) -> Int64 {
        let (found, i) = index(of: origin)
        guard found else { return 0 }
        var n: Int64 = 0
        for s in ranges[i].spans { n += s.upperBound - s.lowerBound + 1 - other.covered(origin: origin, s) }
        return n
    }

    /// How many GTIDs of one origin in `span` self holds.
    func covered(origin: UInt32, _ span: ClosedRange<Int64>) -> Int64 {
        let (found, i) = index(of: origin)
        guard found else { return 0 }
        let spans = ranges[i].spans
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
        let spans = ranges[i].spans
        let k = firstSpan(in: spans, endingAtOrAfter: span.lowerBound)
        guard k < spans.count, spans[k].lowerBound <= span.lowerBound else { return span.lowerBound }
        // Spans are disjoint and non-adjacent: the number after a span is in no span.
        let next = spans[k].upperBound + 1
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
        for r in other.ranges {
            for s in r.spans { insert(origin: r.origin, s) }
        }
    }

    /// Inserts every sequence number of one origin in `span`: the spans it overlaps or
    /// touches merge with it into one.
    mutating func insert(origin: UInt32, _ span: ClosedRange<Int64>) {
        let (found, i) = index(of: origin)
        if !found {
            ranges.insert((origin, [span]), at: i)
            return
        }
        // First span that overlaps or touches: its upper bound reaches lowerBound - 1.
        var lo = 0, hi = ranges[i].spans.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[i].spans[mid].upperBound < span.lowerBound - 1 { lo = mid + 1 } else { hi = mid }
        }
        if lo < ranges[i].spans.count, ranges[i].spans[lo].lowerBound <= span.lowerBound,
           ranges[i].spans[lo].upperBound >= span.upperBound { return }  // already held
        var spans: [ClosedRange<Int64>] = []
        swap(&spans, &ranges[i].spans)  // edited in place, not copied on write
        var end = lo, low = span.lowerBound, high = span.upperBound
        while end < spans.count && spans[end].lowerBound - 1 <= span.upperBound {
            low = min(low, spans[end].lowerBound)
            high = max(high, spans[end].upperBound)
            end += 1
        }
        spans.replaceSubrange(lo..<end, with: CollectionOfOne(low...high))
        swap(&spans, &ranges[i].spans)
    }

    public func union(_ other: GTIDSet) -> GTIDSet {
        var u = self
        u.formUnion(other)
        return u
    }

    /// True if every GTID of self is in other.
    public func isSubset(of other: GTIDSet) -> Bool {
        for r in ranges {
            for s in r.spans where other.firstMissing(origin: r.origin, in: s) != nil { return false }
        }
        return true
    }

    /// Highest sequence number of any origin (MariaDB's domain-wide seq_no; 0 if none).
    public var highestSeq: Int64 { ranges.reduce(0) { max($0, $1.spans.last?.upperBound ?? 0) } }

    /// Highest sequence number seen for an origin (0 if none).
    public func highest(of origin: UInt32) -> Int64 {
        let (found, i) = index(of: origin)
        return found ? ranges[i].spans.last!.upperBound : 0
    }

    /// MySQL's text form, e.g. "1:1-100,2:1-5" (origins are server ids here).
    public var description: String {
        ranges.map { r in
            "\(r.origin):" + r.spans.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ":")
        }.joined(separator: ",")
    }
}
