/// The kind of a trace record. An open set: each layer adds its own kinds in an
/// extension (`extension TraceKind { static let vipMove = TraceKind("vip_move") }`)
/// so the kernel stays ignorant of databases while records stay typed.
public struct TraceKind: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }
}

/// One notable thing that happened in a run: a fault, a role change, a replication
/// error, a failover step. Not every commit: the ledger holds those.
public struct TraceRecord: Sendable, Equatable {
    public var time: SimTime
    public var node: String
    public var kind: TraceKind
    public var detail: String

    public init(time: SimTime, node: String, kind: TraceKind, detail: String) {
        self.time = time
        self.node = node
        self.kind = kind
        self.detail = detail
    }
}

extension TraceKind: Equatable {}

/// The run's trace: an append-only list, plus an optional observer (a progress
/// line, a debug printer) that never feeds back into the run.
public struct Trace: Sendable {
    public private(set) var records: [TraceRecord] = []
    public var echo: (@Sendable (TraceRecord) -> Void)?

    public init() {}

    public mutating func append(_ r: TraceRecord) {
        records.append(r)
        echo?(r)
    }

    public func records(of kind: TraceKind) -> [TraceRecord] {
        records.filter { $0.kind == kind }
    }
}
