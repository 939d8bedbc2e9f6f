import HasimKernel

/// What the scenario layer needs to know about a strategy before running it:
/// its options (with the real tools' defaults) and what topology it requires.
public struct StrategyDescriptor: Sendable {
    public let name: String
    public let summary: String
    public let options: [OptionSpec]
    /// Checks the topology; returns problems in words a DBA understands.
    public let validate: @Sendable (StrategyTopology) -> [String]
    /// Checks option values against the topology (e.g. a named target is a replica).
    public let validateOptions: @Sendable (StrategyTopology, OptionValues) -> [String]
    /// The operator commands (`switchover:`, `maintenance:`) its tool has (OperatorCommands).
    public internal(set) var operatorActions: [OperatorAction] = []

    public init(name: String, summary: String, options: [OptionSpec],
                validate: @escaping @Sendable (StrategyTopology) -> [String],
                validateOptions: @escaping @Sendable (StrategyTopology, OptionValues) -> [String] = { _, _ in [] }) {
        self.name = name
        self.summary = summary
        self.options = options
        self.validate = validate
        self.validateOptions = validateOptions
    }

    public func option(_ name: String) -> OptionSpec? { options.first { $0.name == name } }
}

/// The facts of a topology a strategy checks before it can run.
public struct StrategyTopology: Sendable {
    public struct Replica: Sendable { public let host: String; public let source: String
        public init(host: String, source: String) { self.host = host; self.source = source } }
    public let primaries: [String]
    public let replicas: [Replica]
    /// host -> site
    public let siteOf: [String: String]

    public init(primaries: [String], replicas: [Replica], siteOf: [String: String]) {
        self.primaries = primaries
        self.replicas = replicas
        self.siteOf = siteOf
    }
}

/// Every strategy hasim knows, in the order `hasim list` shows them.
public enum StrategyCatalog {
    public static let all: [StrategyDescriptor] = [SingleServer.descriptor, ManualFailover.descriptor, VIPManual.descriptor, MMM.descriptor, MHA.descriptor, HeartbeatMon.descriptor, Keepalived.descriptor, DRBD.descriptor, SharedDisk.descriptor, Galera.descriptor]

    public static func descriptor(named name: String) -> StrategyDescriptor? {
        all.first { $0.name == name }
    }

    public static var names: [String] { all.map(\.name) }
}
