import HasimKernel
import HasimDatabase

/// The write attempts an application saw fail, in the order they failed: what the downtime,
/// the incident rows and the failed-writes table are measured from.
///
/// Kept in columns rather than as 40-byte `FailedAttempt`s: an outage that fails every write for
/// minutes adds one entry per attempt (the Galera incident bench: ~305 k in five minutes), and
/// as an array of structs they were the largest thing a run held at its peak (heaptrack: 21 MB
/// in the client, doubling, plus two whole copies while the outcome was built, 24 MB). Here an
/// attempt is about 10 bytes: when it failed (`TimeColumn`, 4 B), how long it had waited
/// (32 bits of nanoseconds; a longer wait is kept whole, apart) and its kind (code, probe or
/// not, group) as an index into a small table. Every entry reads back exactly as appended.
public struct FailureLog: RandomAccessCollection, Sendable, Equatable, ExpressibleByArrayLiteral {
    private struct Kind: Equatable, Sendable {
        var code: Int
        var isProbe: Bool
        var group: Int
    }
    private static let far = UInt32.max

    private var failed = TimeColumn()
    /// failedAt − issuedAt in nanoseconds; `far`: the issue time is in `farIssued`.
    private var waits: [UInt32] = []
    private var kinds: [UInt16] = []
    private var kindTable: [Kind] = []
    /// Indices (ascending) and issue times of the attempts that waited 4.29 s or more.
    private var farIndex: [Int] = [], farIssued: [SimTime] = []
    private var lastKind = 0

    public init() {}
    public init(arrayLiteral attempts: FailedAttempt...) { self.init(attempts) }
    public init<S: Sequence>(_ attempts: S) where S.Element == FailedAttempt {
        for a in attempts { append(a) }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { kinds.count }

    public subscript(i: Int) -> FailedAttempt {
        let kind = kindTable[Int(kinds[i])]
        let failedAt = failed[i]
        let w = waits[i]
        return FailedAttempt(issuedAt: w != Self.far ? failedAt - SimTime(w) : farIssued[farIndex.firstPosition(atLeast: i)],
                             failedAt: failedAt, code: kind.code, isProbe: kind.isProbe, group: kind.group)
    }

    public mutating func append(_ a: FailedAttempt) {
        let i = kinds.count
        failed.append(a.failedAt)
        let w = a.failedAt &- a.issuedAt
        if w >= 0 && w < SimTime(Self.far) {
            waits.append(UInt32(w))
        } else {
            waits.append(Self.far)
            farIndex.append(i)
            farIssued.append(a.issuedAt)
        }
        kinds.append(index(of: Kind(code: a.code, isProbe: a.isProbe, group: a.group)))
    }

    /// The kind's place in the table: the last one used first (an outage repeats one error),
    /// inlined; a new kind out of line.
    @inline(__always)
    private mutating func index(of kind: Kind) -> UInt16 {
        if lastKind < kindTable.count && kindTable[lastKind] == kind { return UInt16(lastKind) }
        return otherIndex(of: kind)
    }

    @inline(never)
    private mutating func otherIndex(of kind: Kind) -> UInt16 {
        if let k = kindTable.firstIndex(of: kind) {
            lastKind = k
        } else {
            precondition(kindTable.count <= Int(UInt16.max), "more than 65,536 kinds of failed attempt")
            kindTable.append(kind)
            lastKind = kindTable.count - 1
        }
        return UInt16(lastKind)
    }

    public static func == (a: FailureLog, b: FailureLog) -> Bool { a.elementsEqual(b) }

    /// Failed attempts compare by when they failed, then when they were issued, then the group:
    /// the order of a run's outcome.
    public static func inOrder(_ a: FailedAttempt, _ b: FailedAttempt) -> Bool {
        (a.failedAt, a.issuedAt, a.group) < (b.failedAt, b.issuedAt, b.group)
    }

    /// The logs of several applications as one, in `inOrder` order. One log already in order
    /// is returned as it is (shared, not copied): the common case of a single application,
    /// whose attempts fail in time order. Otherwise the attempts are sorted as an array with the
    /// same comparison (so the same order as before the columns) and packed again.
    public static func merged(_ logs: [FailureLog]) -> FailureLog {
        let nonEmpty = logs.filter { !$0.isEmpty }
        if nonEmpty.count <= 1 {
            guard let only = nonEmpty.first else { return FailureLog() }
            var previous: FailedAttempt?
            var sorted = true
            for a in only {
                if let p = previous, inOrder(a, p) { sorted = false; break }
                previous = a
            }
            if sorted { return only }
        }
        return FailureLog(nonEmpty.flatMap { Array($0) }.sorted(by: inOrder))
    }
}
