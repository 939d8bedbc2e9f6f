/// One InnoDB table's rows by primary key. The keys are auto-increment values and the hot
/// rows' 1…n: dense from 1. So rows live in an array indexed by key − 1 (no hashing, no
/// rehash of the whole table each time it doubles: the dictionary it replaces was the largest
/// cost of a 1,000 writes/s run); a key far past the end, or below 1, goes to a small
/// dictionary, moved into the array once the array reaches it.
///
/// The array holds only each row's transaction id (a byte a row on every server in the common
/// case, see `DenseTxids`; a whole `Row` was 16): an inserted row's value is its inserting
/// transaction's id, so the value is kept apart (`smallValues`, `values`) only for the rows where it
/// differs (the hot rows an UPDATE counts up, a few per table).
public struct RowTable: Sendable {
    /// The txid of the row at key − 1; an absent key holds `vacant`.
    private var dense = DenseTxids()
    /// Values of the rows in `dense` whose value is not their txid (the hot rows an UPDATE
    /// counts up), by index: below `smallLimit` in `smallValues` (`noValue`: none there), a
    /// plain array's slot instead of a hash and a dictionary probe per update and per read of a
    /// hot row; any other in `values`. An index is in one of the two at most.
    private var smallValues: [Int64] = []
    private var values: [Int64: Int64] = [:]
    private static let smallLimit = 4_096
    /// Marks an empty slot of `smallValues` (a row whose value is this is kept in `values`).
    private static let noValue = Int64.min
    private var sparse: [Int64: Row] = [:]
    /// Rows present.
    public private(set) var count = 0

    /// No transaction id is negative: marks a key with no row in `dense`.
    private static let vacant = DenseTxids.vacant
    /// How far past the end of the array a key may land and still extend it (the gap is
    /// filled with vacant slots): auto_increment_increment, an offset, keys skipped by
    /// rolled-back inserts.
    private static let reach: Int64 = 65_536

    public init() {}

    /// The row in `dense` at index i (which must not be vacant).
    private func denseRow(_ i: Int) -> Row {
        let txid = dense[i]
        if i < smallValues.count, case let v = smallValues[i], v != Self.noValue { return Row(value: v, txid: txid) }
        if values.isEmpty { return Row(value: txid, txid: txid) }
        return Row(value: values[Int64(i)] ?? txid, txid: txid)
    }

    /// Index i's value, when it is not its txid.
    private mutating func setValue(_ i: Int, _ v: Int64) {
        if i < Self.smallLimit && v != Self.noValue {
            if i >= smallValues.count {
                smallValues.append(contentsOf: repeatElement(Self.noValue, count: i + 1 - smallValues.count))
            }
            smallValues[i] = v
            if !values.isEmpty { values[Int64(i)] = nil }
        } else {
            if i < smallValues.count { smallValues[i] = Self.noValue }
            values[Int64(i)] = v
        }
    }

    /// Index i's value is its txid (or it has no row).
    private mutating func clearValue(_ i: Int) {
        if i < smallValues.count && smallValues[i] != Self.noValue { smallValues[i] = Self.noValue }
        if !values.isEmpty { values[Int64(i)] = nil }
    }

    /// Stores a row in `dense` at index i.
    private mutating func setDense(_ i: Int, _ row: Row) {
        dense[i] = row.txid
        if row.value != row.txid { setValue(i, row.value) } else { clearValue(i) }
    }

    public subscript(key: Int64) -> Row? {
        get {
            if key >= 1 && key <= Int64(dense.count) {
                let i = Int(key - 1)
                return dense[i] == Self.vacant ? nil : denseRow(i)
            }
            return sparse.isEmpty ? nil : sparse[key]
        }
        // Inlined up to the two writes of nearly every commit (a row past the array's end, a
        // row the array holds); the others out of line. A call to the whole setter was 20
        // instructions of entry and exit, per commit on every server.
        @inline(__always)
        set {
            let n = Int64(dense.count)
            if key > n && key <= n + Self.reach, let row = newValue {
                // Keys skipped (auto_increment_increment, an offset: a Galera node's inserts)
                // are vacant slots.
                if key > n + 1 { appendVacant(upTo: Int(key - 1)) }
                // The next key (nearly every insert): the same column as a vacant slot
                // appended and then set, without the setter's checks.
                dense.append(row.txid)
                // A new index has no value kept apart (`dense` never shrinks, and a value is
                // only ever kept for an index below its count): nothing to clear.
                if row.value != row.txid { setValue(Int(key - 1), row.value) }
                count += 1
                if !sparse.isEmpty { absorbSparse() }
            } else if key >= 1 && key <= n, let row = newValue {
                let i = Int(key - 1)
                if dense[i] == Self.vacant { count += 1 }
                setDense(i, row)
            } else {
                setOther(key, newValue)
            }
        }
    }

    /// Vacant slots up to `count` (the setter then appends the row's).
    @inline(never)
    private mutating func appendVacant(upTo count: Int) {
        // No reserveCapacity here: it would grow the array to exactly the key, a copy of the
        // whole table per insert; append grows it geometrically.
        while dense.count < count { dense.append(Self.vacant) }
    }

    /// The setter's other cases: a row removed, a key far past the array's end or below 1.
    @inline(never)
    private mutating func setOther(_ key: Int64, _ newValue: Row?) {
        if key >= 1 && key <= Int64(dense.count) {
            // Only a removal reaches here (the setter stores a row itself).
            let i = Int(key - 1)
            if dense[i] != Self.vacant && newValue == nil {
                dense[i] = Self.vacant
                clearValue(i)
                count -= 1
            }
        } else {
            let had = sparse[key] != nil
            sparse[key] = newValue
            if had && newValue == nil { count -= 1 } else if !had && newValue != nil { count += 1 }
        }
    }

    /// Moves the sparse rows the array now covers into it (which row moves first does not
    /// matter: each goes to its own slot).
    private mutating func absorbSparse() {
        let covered = sparse.keys.filter { $0 >= 1 && $0 <= Int64(dense.count) }
        for key in covered {
            setDense(Int(key - 1), sparse.removeValue(forKey: key)!)
        }
    }

    /// Every key with a row, ascending.
    public var keys: [Int64] {
        var out: [Int64] = []
        out.reserveCapacity(count)
        for i in 0..<dense.count where dense[i] != Self.vacant { out.append(Int64(i) + 1) }
        if !sparse.isEmpty {
            out.append(contentsOf: sparse.keys)
            out.sort()
        }
        return out
    }

    /// The highest key with a row (0 if none).
    public var maxKey: Int64 {
        var best = sparse.keys.max() ?? 0
        var i = dense.count - 1
        while i >= 0 && dense[i] == Self.vacant { i -= 1 }
        if i >= 0 { best = max(best, Int64(i) + 1) }
        return best
    }
}
