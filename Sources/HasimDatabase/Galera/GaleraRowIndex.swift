import HasimKernel

/// Per-row state of one node — the certification index — keyed by (table, key) without hashing:
/// rows are numbered densely from 1 (auto-increment keys, the seeded hot rows), so each table's
/// values sit in an array indexed by key − 1, as RowTable keeps its rows. A key far past the
/// array's end (none the workloads make) falls back to a dictionary. Every lookup of a
/// write-set's row was a SipHash of a `CertKey` (about a tenth of a Galera incident's CPU).
///
/// Memory (a Galera incident's largest table: auto_increment_increment spreads a node's keys,
/// so most slots hold `none`): the array is cut into pages of `pageSize` slots, added as keys
/// reach them and never copied (one array grew by doubling: up to twice the slots, three times
/// for a moment), and a state transfer's copy of the index shares them until one changes. A slot
/// is 32 bits: a packed CertEntry of a seqno below 2^23, as every run makes, fits; a wider value
/// is kept in `wide`, its slot marked `wideSlot`. 17.8 MB → 8.9 MB of the 10-minute incident's peak.
struct GaleraRowIndex: Sendable {
    /// The value of a row with none.
    static let none = Int64.min
    /// How far past the end a key may land and still extend the array (auto_increment_increment
    /// and offsets spread a node's keys; the gap holds `none`).
    private static let reach: Int64 = 65_536
    private static let pageBits: Int64 = 12
    private static let pageSize = 1 << Int(pageBits)
    private static let noneSlot = Int32.min
    private static let wideSlot = Int32.min + 1

    /// Per table: the pages of slots of keys 1 ... `counts[t]` (key k at page (k − 1) >> pageBits,
    /// slot (k − 1) & (pageSize − 1)); slots past `counts[t]` in the last page hold `noneSlot`.
    private var pages: [[[Int32]]] = Array(repeating: [], count: Table.allCases.count)
    private var counts: [Int64] = Array(repeating: 0, count: Table.allCases.count)
    /// Values of the array's keys that do not fit a slot.
    private var wide: [CertKey: Int64] = [:]
    private var sparse: [CertKey: Int64] = [:]

    init() {}

    subscript(k: CertKey) -> Int64 {
        @inline(__always) get {
            let t = Int(k.table)
            if k.key >= 1 && k.key <= counts[t] {
                let i = k.key - 1
                let s = pages[t][Int(i >> Self.pageBits)][Int(i & Int64(Self.pageSize - 1))]
                if s == Self.noneSlot { return Self.none }
                return s == Self.wideSlot ? wide[k]! : Int64(s)
            }
            return sparse.isEmpty ? Self.none : sparse[k] ?? Self.none
        }
        set {
            let t = Int(k.table)
            if k.key >= 1 && k.key <= counts[t] {
                put(t, k, newValue)
            } else if newValue == Self.none {
                if !sparse.isEmpty { sparse[k] = nil }
            } else if k.key >= 1 && k.key <= counts[t] + Self.reach {
                // The gap up to the key holds none: new pages are filled with it.
                counts[t] = k.key
                while Int64(pages[t].count) << Self.pageBits < k.key {
                    pages[t].append(Array(repeating: Self.noneSlot, count: Self.pageSize))
                }
                put(t, k, newValue)
                if !sparse.isEmpty { absorbSparse(t) }
            } else {
                sparse[k] = newValue
            }
        }
    }

    /// Stores the value of `k`, a key the array covers, in its slot (or in `wide`).
    private mutating func put(_ t: Int, _ k: CertKey, _ v: Int64) {
        let i = k.key - 1
        let p = Int(i >> Self.pageBits), s = Int(i & Int64(Self.pageSize - 1))
        if pages[t][p][s] == Self.wideSlot { wide[k] = nil }
        if v == Self.none {
            pages[t][p][s] = Self.noneSlot
        } else if v > Int64(Self.wideSlot) && v <= Int64(Int32.max) {
            pages[t][p][s] = Int32(v)
        } else {
            pages[t][p][s] = Self.wideSlot
            wide[k] = v
        }
    }

    /// Moves the sparse entries the array now covers into it (each goes to its own slot, so the
    /// order does not matter).
    private mutating func absorbSparse(_ t: Int) {
        let covered = sparse.keys.filter { Int($0.table) == t && $0.key >= 1 && $0.key <= counts[t] }
        for k in covered { put(t, k, sparse.removeValue(forKey: k)!) }
    }

    mutating func removeAll() {
        for t in pages.indices { pages[t].removeAll(); counts[t] = 0 }
        wide.removeAll()
        sparse.removeAll()
    }
}
