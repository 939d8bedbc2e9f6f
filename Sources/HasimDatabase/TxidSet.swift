/// The ids of the client transactions whose effects are in a server's data, kept as sorted
/// disjoint ranges, as MySQL keeps a GTID set. Each client numbers its transactions 1, 2, 3 …
/// (ApplicationClient's txidBase | n) and a server applies them nearly in that order, so a
/// run of 600,000 commits is a handful of ranges: 16 B per gap instead of a hash-set entry per
/// transaction (11–22 B, and a rehash of the whole set each time it doubles), and inserting
/// the next id extends the last range in place.
public struct TxidSet: Equatable, Sendable, CustomStringConvertible {
    /// Sorted, disjoint, non-adjacent closed ranges below the newest one: one form per set, so
    /// `==` compares them.
    private var spans: [ClosedRange<Int64>] = []
    /// The newest (highest) range, kept apart in two integers (0...0 while the set is empty):
    /// the insert of the next id of a run, on every engine commit, extends it with two
    /// comparisons and a store, where the last element of `spans` cost a call, a uniqueness
    /// check of the array and its bounds checks.
    private var newestLow: Int64 = 0
    private var newestHigh: Int64 = 0
    /// How many ids the set holds.
    public private(set) var count = 0

    public init() {}

    public init<S: Sequence>(_ ids: S) where S.Element == Int64 {
        for id in ids { insert(id) }
    }

    public var isEmpty: Bool { count == 0 }

    /// The index in sorted `spans` of the first range that ends at or after `id`
    /// (`spans.count` if none).
    private static func firstEnding(in spans: [ClosedRange<Int64>], atOrAfter id: Int64) -> Int {
        guard let last = spans.last else { return 0 }
        if last.upperBound < id { return spans.count }
        if last.lowerBound <= id { return spans.count - 1 }
        var lo = 0, hi = spans.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if spans[mid].upperBound < id { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    public func contains(_ id: Int64) -> Bool {
        guard count > 0 else { return false }
        if id >= newestLow { return id <= newestHigh }
        let i = Self.firstEnding(in: spans, atOrAfter: id)
        return i < spans.count && spans[i].lowerBound <= id
    }

    /// Adds `id`; returns false if it was already there (as `Set.insert`).
    @discardableResult @inline(__always)
    public mutating func insert(_ id: Int64) -> Bool {
        // The common case (a server applying a client's transactions in order): the id right
        // after the newest range, which grows in place.
        if count > 0 && id == newestHigh &+ 1 {
            newestHigh = id
            count += 1
            return true
        }
        return insertElsewhere(id)
    }

    private mutating func insertElsewhere(_ id: Int64) -> Bool {
        let inserted = withAllSpans { Self.insert(id, into: &$0) }
        if inserted { count += 1 }
        return inserted
    }

    /// Runs `body` on every range (the newest one appended to `spans`, then taken back out):
    /// the rare changes below or away from the newest range work on one sorted array.
    private mutating func withAllSpans<R>(_ body: (inout [ClosedRange<Int64>]) -> R) -> R {
        if count > 0 { spans.append(newestLow...newestHigh) }
        let r = body(&spans)
        if let last = spans.popLast() {
            newestLow = last.lowerBound
            newestHigh = last.upperBound
        } else {
            newestLow = 0
            newestHigh = 0
        }
        return r
    }

    private static func insert(_ id: Int64, into spans: inout [ClosedRange<Int64>]) -> Bool {
        let i = firstEnding(in: spans, atOrAfter: id)
        if i < spans.count && spans[i].lowerBound <= id { return false }
        // spans[i - 1] ends before id; spans[i] (if any) starts after it.
        let joinsLeft = i > 0 && spans[i - 1].upperBound == id - 1
        let joinsRight = i < spans.count && spans[i].lowerBound == id + 1
        if joinsLeft && joinsRight {
            spans[i - 1] = spans[i - 1].lowerBound...spans[i].upperBound
            spans.remove(at: i)
        } else if joinsLeft {
            spans[i - 1] = spans[i - 1].lowerBound...id
        } else if joinsRight {
            spans[i] = id...spans[i].upperBound
        } else {
            spans.insert(id...id, at: i)
        }
        return true
    }

    /// Takes `id` out (an engine commit rolled back by crash recovery).
    public mutating func remove(_ id: Int64) {
        guard contains(id) else { return }
        withAllSpans { spans in
            let i = Self.firstEnding(in: spans, atOrAfter: id)
            let span = spans[i]
            if span.lowerBound == id && span.upperBound == id {
                spans.remove(at: i)
            } else if span.lowerBound == id {
                spans[i] = (id + 1)...span.upperBound
            } else if span.upperBound == id {
                spans[i] = span.lowerBound...(id - 1)
            } else {
                spans[i] = span.lowerBound...(id - 1)
                spans.insert((id + 1)...span.upperBound, at: i + 1)
            }
        }
        count -= 1
    }

    /// Every range, lowest first.
    private var allSpans: [ClosedRange<Int64>] { count > 0 ? spans + CollectionOfOne(newestLow...newestHigh) : [] }

    /// The ids of self that `other` lacks.
    public func subtracting(_ other: TxidSet) -> TxidSet {
        var out = TxidSet()
        for span in allSpans {
            for id in span where !other.contains(id) { out.insert(id) }
        }
        return out
    }

    /// The ranges, lowest first ("1-100,105").
    public var description: String {
        allSpans.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}
