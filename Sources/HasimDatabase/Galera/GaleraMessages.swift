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
/// A write-set on its way to every member (EVS user message).
struct GWriteSet: WireMessage { var stamp: Stamp; var ws: WriteSet }
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
