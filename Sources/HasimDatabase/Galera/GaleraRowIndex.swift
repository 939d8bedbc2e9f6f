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
///
/// The slots are laid out by the cluster's auto_increment_increment (`stride`, S): key k's row
/// i = k − 1 lives in residue i mod S at place i / S, each residue with its own pages, added only
/// when a key of that residue reaches them. A node's inserts take one residue (offset = its
/// index + 1), so while one node writes — the seed's single-writer designs, an application on
/// one node — the other residues' pages are never made: the index is a third of the slots in a
/// three-node cluster (8.9 MB → 3.0 MB of the incident's peak). Any stride is correct; keys of
/// other strides (after the cluster shrinks) fill more residues, at worst every page, as before.
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

    /// Per table and residue (list t × stride + r): the pages of slots of the keys 1 ... `counts[t]`
    /// of residue r (row i = k − 1 at page (i / stride) >> pageBits, slot (i / stride) & (pageSize − 1));
    /// a page not made yet (past the list's end, or empty) holds `noneSlot` throughout.
    private var pages: [[[Int32]]]
    private var counts: [Int64] = Array(repeating: 0, count: Table.allCases.count)
    /// Values of the array's keys that do not fit a slot.
    private var wide: [CertKey: Int64] = [:]
    private var sparse: [CertKey: Int64] = [:]
    private let stride: Int64

    /// `stride`: the cluster's auto_increment_increment (1: keys dense).
    init(stride: Int64 = 1) {
        self.stride = max(1, stride)
        pages = Array(repeating: [], count: Table.allCases.count * Int(self.stride))
    }

    /// The list, page and slot of row i = k − 1 of table t.
    @inline(__always)
    private func place(_ t: Int, _ i: Int64) -> (list: Int, page: Int, slot: Int) {
        let (q, r) = stride == 1 ? (i, 0) : i.quotientAndRemainder(dividingBy: stride)
        return (t * Int(stride) + Int(r), Int(q >> Self.pageBits), Int(q & Int64(Self.pageSize - 1)))
    }

    subscript(k: CertKey) -> Int64 {
        @inline(__always) get {
            let t = Int(k.table)
            if k.key >= 1 && k.key <= counts[t] {
                let (l, p, slot) = place(t, k.key - 1)
                guard p < pages[l].count, !pages[l][p].isEmpty else { return Self.none }
                let s = pages[l][p][slot]
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
                // The gap up to the key holds none: pages not made read as none.
                counts[t] = k.key
                put(t, k, newValue)
                if !sparse.isEmpty { absorbSparse(t) }
            } else {
                sparse[k] = newValue
            }
        }
    }

    /// Certification's read and write of one row in one lookup: the row's value goes to `accept`;
    /// if it accepts, `v` replaces it. Whether it accepted. The commonest case (a key the pages
    /// cover, a value that fits a slot) finds the slot once; any other goes through the subscript.
    @inline(__always)
    mutating func replace(_ k: CertKey, with v: Int64, if accept: (Int64) -> Bool) -> Bool {
        let t = Int(k.table)
        // A new key a little past the array's end (an insert's auto-increment key) reads none when
        // nothing is sparse; storing it extends the array to it, as the subscript's setter does.
        let extending = k.key > counts[t] && k.key <= counts[t] + Self.reach && sparse.isEmpty
        if k.key >= 1 && (k.key <= counts[t] || extending) && v > Int64(Self.wideSlot) && v <= Int64(Int32.max) {
            let (l, p, slot) = place(t, k.key - 1)
            if p < pages[l].count && !pages[l][p].isEmpty {
                let s = pages[l][p][slot]
                if s != Self.wideSlot {
                    guard accept(extending || s == Self.noneSlot ? Self.none : Int64(s)) else { return false }
                    if extending { counts[t] = k.key }
                    pages[l][p][slot] = Int32(v)
                    return true
                }
            }
        }
        guard accept(self[k]) else { return false }
        self[k] = v
        return true
    }

    /// Stores the value of `k`, a key the array covers, in its slot (or in `wide`).
    private mutating func put(_ t: Int, _ k: CertKey, _ v: Int64) {
        let (l, p, s) = place(t, k.key - 1)
        if p >= pages[l].count || pages[l][p].isEmpty {
            // A page not made holds none: storing none there changes nothing.
            if v == Self.none { return }
            while pages[l].count <= p { pages[l].append([]) }
            pages[l][p] = Array(repeating: Self.noneSlot, count: Self.pageSize)
        }
        if pages[l][p][s] == Self.wideSlot { wide[k] = nil }
        if v == Self.none {
            pages[l][p][s] = Self.noneSlot
        } else if v > Int64(Self.wideSlot) && v <= Int64(Int32.max) {
            pages[l][p][s] = Int32(v)
        } else {
            pages[l][p][s] = Self.wideSlot
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
        for l in pages.indices { pages[l].removeAll() }
        for t in counts.indices { counts[t] = 0 }
        wide.removeAll()
        sparse.removeAll()
    }
}
