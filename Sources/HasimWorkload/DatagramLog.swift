import HasimKernel

/// A reply a UDP client received: to which of its datagrams, from whom, when.
public struct DatagramReply: Sendable, Equatable {
    /// The sequence number of the datagram answered (1 = the first sent).
    public var sequence: Int32
    /// Index into `DatagramLog.responders`: the host name the echo wrote in its reply.
    public var responder: Int16
    public var at: SimTime
}

/// What one UDP client saw: when each datagram left and every reply. Compact (the send
/// times, 8 bytes per datagram; 16 per reply), so a long run at 20 datagrams/s stays small.
public struct DatagramLog: Sendable, Equatable {
    /// The host the client runs on, the address and port it sends to.
    public var client: String
    public var address: String
    public var port: Int
    public var interval: SimTime
    /// When datagram `i + 1` left the host (those that never left: not listed).
    public var sent: [SimTime] = []
    /// Replies in arrival order.
    public var replies: [DatagramReply] = []
    /// The names that answered, in the order first heard.
    public var responders: [String] = []

    public init(client: String, address: String, port: Int, interval: SimTime) {
        self.client = client
        self.address = address
        self.port = port
        self.interval = interval
    }

    /// When the first reply from `host` at or after `reference` arrived; nil: none did.
    public func firstReply(from host: String, atOrAfter reference: SimTime) -> SimTime? {
        guard let k = responders.firstIndex(of: host) else { return nil }
        return replies.first { Int(k) == Int($0.responder) && $0.at >= reference }?.at
    }

    /// The longest stretch within [from, to] with no reply: between two replies, from `from`
    /// to the first, or from the last to `to`.
    public func longestSilence(from: SimTime, to: SimTime) -> SimTime {
        var last = from, longest: SimTime = 0
        for r in replies where r.at >= from && r.at <= to {
            longest = max(longest, r.at - last)
            last = r.at
        }
        return max(longest, to - last)
    }

    /// How many datagrams got at least one reply (from anyone).
    public var answered: Int {
        var seen = Set<Int32>()
        for r in replies { seen.insert(r.sequence) }
        return seen.count
    }
}
