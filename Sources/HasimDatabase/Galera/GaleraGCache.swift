/// The gcache as the model reads it: which seqnos a donor still holds (IST needs the joiner's gap
/// to be there, GaleraStateTransfer; a join message reports the oldest, GaleraMembership). Nothing
/// reads the write-sets themselves: an IST costs its count (`istPerWriteSet`) and the joiner gets
/// the donor's storage. Delivered seqnos are consecutive between two resets (each is
/// `lastSeqno + 1`; every jump of `lastSeqno` — a crash, a state transfer, a new cluster — empties
/// the cache first), so the oldest seqno and a count say it all. The array of (seqno, write-set)
/// it replaces held up to gcache.size's 131,072 entries of 40 bytes per node, grown by doubling
/// and shifted by `removeFirst` (21 MB of a 10-minute Galera incident's peak).
struct GaleraGCache: Sendable, Equatable {
    /// Seqno of the oldest write-set held (meaningful while `count` > 0).
    private(set) var oldest: Int64 = 0
    /// Write-sets held: `oldest` ... `oldest + count - 1`.
    private(set) var count = 0

    init() {}

    /// Keeps write-set `seqno`, the one after the newest held, then drops the oldest if that makes
    /// more than `capacity` (gcache.size in write-sets): one per write-set, as a ring overwrites.
    mutating func append(_ seqno: Int64, capacity: Int) {
        assert(count == 0 || seqno == oldest + Int64(count), "gcache seqnos must be consecutive")
        if count == 0 { oldest = seqno }
        count += 1
        if count > capacity { oldest += 1; count -= 1 }
    }

    /// The oldest seqno a donor can send by IST; `next` (the seqno the next write-set will get)
    /// when it holds none.
    func from(next: Int64) -> Int64 { count > 0 ? oldest : next }

    mutating func removeAll() { count = 0 }
}
