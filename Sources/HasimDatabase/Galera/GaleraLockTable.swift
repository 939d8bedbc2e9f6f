import HasimKernel

/// The InnoDB row locks held on one node: a handful at any time (one row per transaction in
/// flight), looked up for every local statement and every applied write-set. Open addressing with
/// linear probing and a multiplicative hash of the row, instead of a Dictionary's SipHash of a
/// `CertKey`; removal shifts the rest of the run back (no tombstones), so the table never needs
/// rebuilding for deletions and allocates nothing once grown. Nothing iterates it, so the slot
/// order decides nothing.
struct GaleraLockTable: Sendable {
    private var keys: [CertKey]
    /// GaleraRowIndex.none marks an empty slot.
    private var values: [Int64]
    private var count = 0
    private var shift: UInt64

    init() {
        keys = Array(repeating: CertKey(table: 0, key: 0), count: 64)
        values = Array(repeating: GaleraRowIndex.none, count: 64)
        shift = 64 - 6
    }

    @inline(__always)
    private func home(_ k: CertKey) -> Int {
        let x = (UInt64(bitPattern: k.key) ^ (UInt64(k.table) << 56)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: x >> shift)
    }

    /// The slot holding `k`, or the empty slot where it would go.
    @inline(__always)
    private func slot(_ k: CertKey) -> Int {
        let mask = values.count - 1
        var i = home(k)
        while values[i] != GaleraRowIndex.none && keys[i] != k { i = (i + 1) & mask }
        return i
    }

    /// The holder of the row's lock, or GaleraRowIndex.none; setting none releases it.
    subscript(k: CertKey) -> Int64 {
        get { values[slot(k)] }
        set {
            let i = slot(k)
            if newValue == GaleraRowIndex.none {
                if values[i] != GaleraRowIndex.none { remove(at: i) }
                return
            }
            if values[i] == GaleraRowIndex.none {
                if (count + 1) * 4 > values.count * 3 { grow(); self[k] = newValue; return }
                keys[i] = k
                count += 1
            }
            values[i] = newValue
        }
    }

    private mutating func remove(at slot: Int) {
        let mask = values.count - 1
        var i = slot, j = slot
        while true {
            j = (j + 1) & mask
            if values[j] == GaleraRowIndex.none { break }
            let h = home(keys[j])
            // An entry whose home lies cyclically in (i, j] stays; any other moves into the hole.
            let stays = i <= j ? (i < h && h <= j) : (i < h || h <= j)
            if stays { continue }
            keys[i] = keys[j]
            values[i] = values[j]
            i = j
        }
        values[i] = GaleraRowIndex.none
        count -= 1
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: CertKey(table: 0, key: 0), count: oldValues.count * 2)
        values = Array(repeating: GaleraRowIndex.none, count: oldValues.count * 2)
        shift -= 1
        count = 0
        for i in oldValues.indices where oldValues[i] != GaleraRowIndex.none { self[oldKeys[i]] = oldValues[i] }
    }

    mutating func removeAll() { self = GaleraLockTable() }
}
