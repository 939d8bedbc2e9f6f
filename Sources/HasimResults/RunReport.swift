import HasimKernel

/// Everything one run (one scenario, one seed) leaves in the results database.
/// Built from the run by `MetricsCalculator`; written by `ResultsStore` in one
/// transaction.
public struct RunReport: Sendable, Equatable {
    public var scenarioName: String
    public var scenarioFile: String
    public var strategy: String
    public var seed: UInt64
    public var duration: SimTime
    /// Scenario parameters (strategy options, workload, faults) as sorted JSON text,
    /// so any figure can be re-run.
    public var parametersJSON: String
    public var hasimVersion: String
    public var metrics: [MetricValue]
    public var incidents: [IncidentRow]
    public var timeline: [TimelineRow]
    public var lostTransactions: [LostTransactionRow]
    public var replicationErrors: [ReplicationErrorRow]
    public var probes: [ProbeRow]

    public init(scenarioName: String, scenarioFile: String, strategy: String, seed: UInt64,
                duration: SimTime, parametersJSON: String, hasimVersion: String,
                metrics: [MetricValue] = [], incidents: [IncidentRow] = [], timeline: [TimelineRow] = [],
                lostTransactions: [LostTransactionRow] = [], replicationErrors: [ReplicationErrorRow] = [],
                probes: [ProbeRow] = []) {
        self.scenarioName = scenarioName
        self.scenarioFile = scenarioFile
        self.strategy = strategy
        self.seed = seed
        self.duration = duration
        self.parametersJSON = parametersJSON
        self.hasimVersion = hasimVersion
        self.metrics = metrics
        self.incidents = incidents
        self.timeline = timeline
        self.lostTransactions = lostTransactions
        self.replicationErrors = replicationErrors
        self.probes = probes
    }

    public func metric(_ name: String) -> Double? { metrics.first { $0.name == name }?.value }
}

public struct MetricValue: Sendable, Equatable {
    public var name: String
    public var value: Double
    /// "s" for durations (seconds), "count", "rows", "tx/s".
    public var unit: String
    public init(name: String, value: Double, unit: String) {
        self.name = name
        self.value = value
        self.unit = unit
    }
}

public struct IncidentRow: Sendable, Equatable {
    public var faultIndex: Int
    public var kind: String
    public var target: String
    public var start: SimTime
    /// First failed client write after the fault, if any.
    public var firstFailure: SimTime?
    /// First successful client write issued at or after the fault.
    public var recovered: SimTime?
    /// recovered - start; nil if writes never succeeded again before the end.
    public var rto: SimTime?
    public init(faultIndex: Int, kind: String, target: String, start: SimTime,
                firstFailure: SimTime?, recovered: SimTime?, rto: SimTime?) {
        self.faultIndex = faultIndex
        self.kind = kind
        self.target = target
        self.start = start
        self.firstFailure = firstFailure
        self.recovered = recovered
        self.rto = rto
    }
}

public struct TimelineRow: Sendable, Equatable {
    public var time: SimTime
    public var node: String
    public var kind: String
    public var detail: String
    public init(time: SimTime, node: String, kind: String, detail: String) {
        self.time = time
        self.node = node
        self.kind = kind
        self.detail = detail
    }
}

public struct LostTransactionRow: Sendable, Equatable {
    public var txid: Int64
    /// "insert" or "update".
    public var kind: String
    public var table: String
    public var key: Int64
    public var ackedAt: SimTime
    /// Host whose mysqld acknowledged the commit.
    public var ackedBy: String
    public init(txid: Int64, kind: String, table: String, key: Int64, ackedAt: SimTime, ackedBy: String) {
        self.txid = txid
        self.kind = kind
        self.table = table
        self.key = key
        self.ackedAt = ackedAt
        self.ackedBy = ackedBy
    }
}

public struct ReplicationErrorRow: Sendable, Equatable {
    public var time: SimTime
    public var node: String
    /// "sql" or "io".
    public var thread: String
    public var code: Int
    public var message: String
    public init(time: SimTime, node: String, thread: String, code: Int, message: String) {
        self.time = time
        self.node = node
        self.thread = thread
        self.code = code
        self.message = message
    }
}

/// One probe write: when it was issued, whether it committed, and how long it took.
public struct ProbeRow: Sendable, Equatable {
    public var time: SimTime
    public var ok: Bool
    public var latency: SimTime?
    /// MySQL error code of the failure (2003, 2013, 1290, ...), nil on success.
    public var error: Int?
    public init(time: SimTime, ok: Bool, latency: SimTime?, error: Int?) {
        self.time = time
        self.ok = ok
        self.latency = latency
        self.error = error
    }
}
