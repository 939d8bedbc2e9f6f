import HasimKernel
import HasimNetwork

/// Where a message stands in the group's total order: a Lamport time and the sender's index to
/// break ties. Every member orders write-sets by it, so no member decides the order alone.
struct Stamp: Comparable, Hashable, Sendable {
    var t: Int64
    /// 32 bits (a view has at most 64 members): 12 bytes, so an acknowledgement or a gap message
    /// carrying a stamp fits a message's inline buffer (three words) instead of a heap box.
    private var o: Int32
    var origin: Int { Int(o) }
    init(t: Int64, origin: Int) { self.t = t; self.o = Int32(origin) }
    static func < (a: Stamp, b: Stamp) -> Bool { a.t != b.t ? a.t < b.t : a.o < b.o }
    static let zero = Stamp(t: 0, origin: -1)
}

/// One transaction's write-set: the row it changes and what the origin had committed.
public struct WriteSet: Sendable {
    // Words first, then the narrow fields: 30 bytes (stride 32) instead of 48, for every copy in
    // the gcache, the pending and commit queues and the messages.
    var key: Int64
    var txid: Int64
    /// The last seqno the origin had committed when the transaction ran (certification bound).
    var dependsOn: Int64
    private var o: Int32
    var table: Table
    var isInsert: Bool
    var origin: Int { Int(o) }
    init(origin: Int, table: Table, key: Int64, isInsert: Bool, txid: Int64, dependsOn: Int64) {
        self.key = key; self.txid = txid; self.dependsOn = dependsOn
        self.o = Int32(origin); self.table = table; self.isInsert = isInsert
    }
}

struct CertKey: Hashable, Sendable { var table: UInt8; var key: Int64 }
/// A certification index entry, packed into one Int64 for GaleraRowIndex: the seqno of the last
/// write-set that changed the row (above −2^55) and its origin (below 64, a view's size).
struct CertEntry: Sendable {
    var seqno: Int64
    var origin: Int
    init(seqno: Int64, origin: Int) { self.seqno = seqno; self.origin = origin }
    init(packed v: Int64) { seqno = v >> 8; origin = Int(v & 0xff) }
    var packed: Int64 { seqno << 8 | Int64(origin) }
}

/// The last Primary Component a node belonged to (gvwstate.dat): id and members.
struct PrimaryView: Sendable, Equatable {
    var id: Int64
    var members: [Int]
    /// Which history this component continues: kept while each new Primary Component holds a
    /// majority of the previous one, new after pc.bootstrap. Members of one lineage are ONE
    /// writer (the writer-group identity); two lineages accepting writes are split brain.
    var lineage: String
}

// MARK: group messages (port 4567)

/// Liveness (evs keepalive) and what a peer needs to decide to merge with the sender.
struct GKeepalive: WireMessage { var from: Int; var clock: Int64; var viewID: Int64 }
/// A write-set on its way to every member (EVS user message), when it does not fit a
/// GPackedWriteSet.
struct GWriteSet: WireMessage { var stamp: Stamp; var ws: WriteSet }
/// A write-set on its way to every member, in three words: inline in a message's existential.
/// A GWriteSet (44 bytes) is boxed: a heap allocation per write-set, a retain per copy sent and a
/// release per copy delivered, the last one freeing it. Made (`init?`) only when every field fits;
/// otherwise the write-set goes as a GWriteSet, so every value crosses the wire unchanged.
struct GPackedWriteSet: WireMessage {
    /// The stamp's time (48 bits), its origin (the write-set's too: 8 bits) and table (7 bits),
    /// and whether the write-set inserts (the top bit).
    private var head: UInt64
    private var txid: Int64
    /// The key (the low 32 bits, unsigned) and the certification bound (the high 32, signed).
    private var rest: UInt64

    init?(stamp: Stamp, ws: WriteSet) {
        guard stamp.t >= 0, stamp.t < 1 << 48, stamp.origin >= 0, stamp.origin < 256, ws.origin == stamp.origin,
              ws.table.rawValue < 128, ws.key >= 0, ws.key <= Int64(UInt32.max),
              ws.dependsOn >= Int64(Int32.min), ws.dependsOn <= Int64(Int32.max) else { return nil }
        head = UInt64(stamp.t) | UInt64(stamp.origin) << 48 | UInt64(ws.table.rawValue) << 56 | (ws.isInsert ? 1 << 63 : 0)
        txid = ws.txid
        rest = UInt64(ws.key) | UInt64(UInt32(bitPattern: Int32(ws.dependsOn))) << 32
    }

    var stamp: Stamp {
        @inline(__always) get { Stamp(t: Int64(head & (1 << 48 - 1)), origin: origin) }
    }
    private var origin: Int {
        @inline(__always) get { Int(head >> 48 & 0xff) }
    }
    var ws: WriteSet {
        @inline(__always) get {
            WriteSet(origin: origin, table: Table(rawValue: UInt8(head >> 56 & 0x7f))!, key: Int64(rest & 0xffff_ffff),
                     isInsert: head >> 63 != 0, txid: txid, dependsOn: Int64(Int32(bitPattern: UInt32(rest >> 32))))
        }
    }
}
/// `from` has received the write-set `stamp` (evs's completing message).
struct GAck: WireMessage {
    // Laid out in 24 bytes (stamp 12, from 4, clock 8): inline in an existential, no box per message.
    var stamp: Stamp
    private var f: Int32
    var clock: Int64
    var from: Int { Int(f) }
    init(from: Int, stamp: Stamp, clock: Int64) { self.stamp = stamp; self.f = Int32(from); self.clock = clock }
}
/// `from` has received every write-set up to `upTo` (evs's gap message announcing its aru_seq):
/// once every member has said so of a write-set, it is safe and delivered.
struct GSafe: WireMessage {
    // 24 bytes, as GAck.
    var upTo: Stamp
    private var f: Int32
    var clock: Int64
    var from: Int { Int(f) }
    init(from: Int, upTo: Stamp, clock: Int64) { self.upTo = upTo; self.f = Int32(from); self.clock = clock }
}
/// gcs flow control: FC_PAUSE / FC_CONT.
struct GFlow: WireMessage { var from: Int; var pause: Bool }
/// A member leaves on purpose (mysqld closing the provider, e.g. the states-diverged abort):
/// the others drop it from the Primary Component's weight at once (pc_proto.cpp: a graceful
/// leave does not count against quorum).
struct GLeave: WireMessage { var from: Int }
/// EVS join message of a membership round: the sender's proposed membership and its state, so
/// that every member installs the same view, redelivers the same undelivered write-sets and
/// reaches the same quorum decision (pc_proto state exchange folded in).
struct GJoin: WireMessage {
    var from: Int
    var proposal: [Int]
    var round: Int64
    var clock: Int64
    var viewID: Int64
    var primaryView: PrimaryView
    /// `primaryView` was read from gvwstate.dat at start-up, not lived since.
    var restored: Bool
    /// The node is Synced (or Donor) in its current Primary Component.
    var synced: Bool
    /// Last seqno it committed (applied), -1 if unknown (crash without --wsrep-recover).
    var seqno: Int64
    /// Oldest seqno still in its gcache.
    var gcacheFrom: Int64
    var pending: [(Stamp, WriteSet)]
    /// pc.bootstrap=YES was set on the sender.
    var bootstrap: Bool
}
struct GStateRequest: WireMessage { var from: Int; var seqno: Int64 }
struct GStateTransfer: WireMessage {
    var storage: Storage; var seqno: Int64; var delivered: Stamp
    var cert: GaleraRowIndex; var ist: Bool
}
