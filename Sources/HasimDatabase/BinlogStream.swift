import HasimKernel
import HasimNetwork

/// A binlog event on its way from a dump thread to a replica's IO thread, in three words.
///
/// The network keeps each message as an `any WireMessage`, whose inline buffer holds 24
/// bytes: a larger message is boxed, a malloc and a free per message. A whole event is 64
/// bytes, so the dump thread sends what the replica cannot tell from the event before it on
/// the same connection (delivery is in order per direction, and each connection starts a new
/// stream at both ends: `BinlogStream`): the next GTID of the same origin, the binlog index
/// a few past the last, the commit time and group as distances from the last ones. A
/// client's insert or update then fits; anything else (the first event of a connection, a
/// new origin after a failover, a commit more than 18 minutes after the last) goes as a `BinlogEventWhole`.
struct BinlogEventMessage: WireMessage {
    /// txid (bits 0..<56) | table (56..<58) | update (58) | the source wants an ACK (59) |
    /// binlog indices skipped since the last event sent (60..<64).
    fileprivate let w0: UInt64
    /// The commit time's distance from the last event's (0..<40) | the commit group's, signed (40..<64).
    fileprivate let w1: UInt64
    /// The row's key (0..<32) | an update's new value (32..<64; an insert's value is its txid).
    fileprivate let w2: UInt64
}

/// An event the three words cannot carry, with its index in the source's binary log and
/// whether the source wants an ACK for it: boxed by the network (once per connection and
/// per origin in a run).
struct BinlogEventWhole: WireMessage {
    var event: BinlogEvent
    var index: Int
    var needsAck: Bool
}

/// One end's memory of the last event of a dump stream (the dump thread's `Session`, the IO
/// thread's `ReplicaLink`): both ends note the same events in the same order, so the
/// receiver rebuilds each event exactly as sent.
struct BinlogStream {
    private var origin: UInt32 = 0
    private var seq: Int64 = 0
    private var index = 0
    private var commit: SimTime = 0
    private var group: Int64 = 0
    /// No event yet: the next one goes whole.
    private var started = false

    private static let txidMask: UInt64 = (1 << 56) - 1
    private static let commitMask: UInt64 = (1 << 40) - 1
    private static let maxSkip: UInt = 15
    /// A group's distance fits 24 signed bits.
    private static let groupLimit: Int64 = 1 << 23

    /// The three words for `e`, the event at `index` (noted as the stream's last), or nil when
    /// it must go whole (then `noteWhole`).
    @inline(__always)
    mutating func encode(_ e: borrowing BinlogEvent, index: Int, needsAck: Bool) -> BinlogEventMessage? {
        let g = e.gtid, (table, key, value, rowTxid, update) = e.changeParts
        let txid = e.txid
        // Each range test is one unsigned comparison (a negative value wraps past the bound).
        let skip = UInt(bitPattern: index &- self.index &- 1)
        let commitDistance = UInt64(bitPattern: e.originalCommit &- commit)
        let groupDistance = e.commitGroup &- group
        guard started, g.origin == origin, g.seq == seq &+ 1, skip <= Self.maxSkip,
              rowTxid == txid, UInt64(bitPattern: txid) <= Self.txidMask, table.rawValue < 4,
              commitDistance <= Self.commitMask, UInt64(bitPattern: groupDistance &+ Self.groupLimit) < 2 * UInt64(Self.groupLimit),
              UInt64(bitPattern: key) <= UInt64(UInt32.max),
              update ? UInt64(bitPattern: value) <= UInt64(UInt32.max) : value == txid
        else { return nil }
        note(e, index: index)
        return BinlogEventMessage(
            w0: UInt64(bitPattern: txid) | UInt64(table.rawValue) << 56 | (update ? 1 << 58 : 0) | (needsAck ? 1 << 59 : 0)
                | UInt64(skip) << 60,
            w1: commitDistance | UInt64(bitPattern: groupDistance) << 40,
            w2: UInt64(bitPattern: key) | (update ? UInt64(bitPattern: value) << 32 : 0))
    }

    /// The event `m` carries, its index in the source's binary log and whether the source wants
    /// an ACK (noted as the stream's last).
    @inline(__always)
    mutating func decode(_ m: BinlogEventMessage) -> (event: BinlogEvent, index: Int, needsAck: Bool) {
        let w0 = m.w0, txid = Int64(w0 & Self.txidMask), update = w0 & 1 << 58 != 0
        seq &+= 1
        index &+= 1 + Int(w0 >> 60)
        commit &+= SimTime(m.w1 & Self.commitMask)
        group &+= Int64(bitPattern: m.w1) >> 40
        // Unchecked: the two bits are a `Table`'s raw value, as `encode` wrote them.
        let table = unsafeBitCast(UInt8(truncatingIfNeeded: w0 >> 56) & 3, to: Table.self)
        let e = BinlogEvent(txid: txid, originalCommit: commit, commitGroup: group, seq: seq, key: Int64(m.w2 & 0xFFFF_FFFF),
                            value: update ? Int64(m.w2 >> 32) : txid, rowTxid: txid, origin: origin, table: table,
                            isUpdate: update)
        return (e, index, w0 & 1 << 59 != 0)
    }

    /// `e`, at `index`, went (or came) whole: the stream's last event.
    @inline(__always)
    mutating func note(_ e: borrowing BinlogEvent, index: Int) {
        let g = e.gtid
        origin = g.origin
        seq = g.seq
        self.index = index
        commit = e.originalCommit
        group = e.commitGroup
        started = true
    }
}
