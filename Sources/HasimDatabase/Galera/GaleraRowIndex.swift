import HasimKernel

/// Per-row state of one node — the certification index, the row locks — keyed by (table, key)
/// without hashing: rows are numbered densely from 1 (auto-increment keys, the seeded hot rows),
/// so each table's values sit in an array indexed by key − 1, as RowTable keeps its rows. A key
/// far past the array's end (none the workloads make) falls back to a dictionary. Every lookup
/// of a write-set's row was a SipHash of a `CertKey` (about a tenth of a Galera incident's CPU).
struct GaleraRowIndex: Sendable {
    /// The value of a row with none.
    static let none = Int64.min
    /// How far past the end a key may land and still extend the array (auto_increment_increment
    /// and offsets spread a node's keys; the gap holds `none`).
    private static let reach: Int64 = 65_536

    private var dense: [[Int64]] = Array(repeating: [], count: Table.allCases.count)
    private var sparse: [CertKey: Int64] = [:]

    init() {}

    subscript(k: CertKey) -> Int64 {
        @inline(__always) get {
            let t = Int(k.table)
            if k.key >= 1 && k.key <= Int64(dense[t].count) { return dense[t][Int(k.key - 1)] }
            return sparse.isEmpty ? Self.none : sparse[k] ?? Self.none
        }
        set {
            let t = Int(k.table)
            if k.key >= 1 && k.key <= Int64(dense[t].count) {
                dense[t][Int(k.key - 1)] = newValue
            } else if newValue == Self.none {
                if !sparse.isEmpty { sparse[k] = nil }
            } else if k.key >= 1 && k.key <= Int64(dense[t].count) + Self.reach {
                let end = Int(k.key)
                while dense[t].count < end - 1 { dense[t].append(Self.none) }
                dense[t].append(newValue)
                if !sparse.isEmpty { absorbSparse(t) }
            } else {
                sparse[k] = newValue
            }
        }
    }

    /// Moves the sparse entries the array now covers into it (each goes to its own slot, so the
    /// order does not matter).
    private mutating func absorbSparse(_ t: Int) {
        let covered = sparse.keys.filter { Int($0.table) == t && $0.key >= 1 && $0.key <= Int64(dense[t].count) }
        for k in covered { dense[t][Int(k.key - 1)] = sparse.removeValue(forKey: k)! }
    }

    mutating func removeAll() {
        for t in dense.indices { dense[t].removeAll() }
        sparse.removeAll()
    }
}
