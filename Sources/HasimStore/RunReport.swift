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
    /// The fully resolved scenario (every default filled in) as YAML, so the run can be
    /// re-run from the database alone; "" when not recorded.
    public var scenarioYAML: String = ""
    /// Per application group figures (downtime, RTO, probes, failed writes, latency).
    public var groupMetrics: [GroupMetricRow] = []
    /// Failed write attempts by application group and error code.
    public var failedWrites: [FailedWritesRow] = []
    /// Commit latency percentiles: overall, per group, per time bucket.
    public var latency: [LatencyRow] = []
    /// Time series sampled at a fixed interval: throughput, replication lag.
    public var series: [SeriesRow] = []
    /// Observed failovers (changes of the server acknowledging the application's writes).
    public var failovers: [FailoverRow] = []
    /// The sides of split brains and of an ambiguous final primary, with their writes.
    public var splitBrainSides: [SplitBrainSideRow] = []
    /// Rows that differ between pairs of servers that should hold the same data.
    public var divergence: [DivergenceRow] = []
    /// Transactions a server executed that the final primary (or another side) lacks.
    public var errantTransactions: [ErrantRow] = []
    /// The web tier's requests by kind and HTTP status (0: no HTTP answer); empty without `web:`.
    public var httpStatus: [HTTPStatusRow] = []
    /// The L4 director's load (one row per director); empty without `web.l4`.
    public var l4Load: [L4LoadRow] = []

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
    /// First alert a monitor raised at or after the fault (the tool's detection).
    public var detected: SimTime? = nil
    /// The strategy's announced failover start and completion at or after the fault.
    public var failoverStart: SimTime? = nil
    public var failoverEnd: SimTime? = nil
    /// First observed change of writer at or after the fault.
    public var writerChanged: SimTime? = nil
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
    /// The application group that sent it (index in the scenario's workloads).
    public var group: Int
    public init(time: SimTime, ok: Bool, latency: SimTime?, error: Int?, group: Int = 0) {
        self.time = time
        self.ok = ok
        self.latency = latency
        self.error = error
        self.group = group
    }
}

/// A metric of one application group.
public struct GroupMetricRow: Sendable, Equatable {
    public var group: Int
    /// The group's client process ("app", "app2", ...).
    public var client: String
    public var name: String
    public var value: Double
    public var unit: String
    public init(group: Int, client: String, name: String, value: Double, unit: String) {
        self.group = group
        self.client = client
        self.name = name
        self.value = value
        self.unit = unit
    }
}

/// Write attempts of one group that failed with one error code (0: no application thread).
public struct FailedWritesRow: Sendable, Equatable {
    public var group: Int
    public var code: Int
    /// Attempts that failed (each retry is an attempt).
    public var attempts: Int
    /// Of which probe writes.
    public var probes: Int
    public init(group: Int, code: Int, attempts: Int, probes: Int) {
        self.group = group
        self.code = code
        self.attempts = attempts
        self.probes = probes
    }
}

/// Commit latency (issue to acknowledgement, seen by the application) of acknowledged
/// writes; percentiles from an HDR histogram (3 significant digits).
public struct LatencyRow: Sendable, Equatable {
    /// nil: every group.
    public var group: Int?
    /// Start of the time bucket (by acknowledgement time); nil: the whole run.
    public var bucketStart: SimTime?
    public var count: Int
    public var p50: SimTime
    public var p99: SimTime
    public var p999: SimTime
    public var max: SimTime
    public init(group: Int?, bucketStart: SimTime?, count: Int, p50: SimTime, p99: SimTime, p999: SimTime, max: SimTime) {
        self.group = group
        self.bucketStart = bucketStart
        self.count = count
        self.p50 = p50
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }
}

/// One point of a time series: `name` of `subject` at `time`.
/// - `throughput` (subject: application client): writes acknowledged in [time, time + interval), per second;
/// - `lag_transactions` (subject: replica): relay log transactions received, not applied;
/// - `lag_seconds` (subject: replica): Seconds_Behind_Source; NaN (NULL) when a thread is stopped.
public struct SeriesRow: Sendable, Equatable {
    public var time: SimTime
    public var name: String
    public var subject: String
    public var value: Double
    public init(time: SimTime, name: String, subject: String, value: Double) {
        self.time = time
        self.name = name
        self.subject = subject
        self.value = value
    }
    public static func == (a: SeriesRow, b: SeriesRow) -> Bool {
        a.time == b.time && a.name == b.name && a.subject == b.subject
            && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
    }
}

/// A change of the server that acknowledges an application address's writes.
public struct FailoverRow: Sendable, Equatable {
    public var time: SimTime
    /// The application address.
    public var address: String
    /// Servers (comma-separated) of the old and new writer.
    public var from: String
    public var to: String
    /// The old writer's mysqld was still running (a false failover).
    public var isFalse: Bool
    public init(time: SimTime, address: String, from: String, to: String, isFalse: Bool) {
        self.time = time
        self.address = address
        self.from = from
        self.to = to
        self.isFalse = isFalse
    }
}

/// One side of a split brain or of an ambiguous final primary.
public struct SplitBrainSideRow: Sendable, Equatable {
    public var address: String
    /// The writer group's identity (a server name for a plain server).
    public var side: String
    /// Writes this side acknowledged while another side also accepted writes.
    public var writes: Int
    /// Writes this side acknowledged that another side's data lacks (ambiguous end only).
    public var atRisk: Int
    public init(address: String, side: String, writes: Int, atRisk: Int) {
        self.address = address
        self.side = side
        self.writes = writes
        self.atRisk = atRisk
    }
}

/// Rows that differ between two servers that should hold the same data.
public struct DivergenceRow: Sendable, Equatable {
    public var serverA: String
    public var serverB: String
    /// Why they should agree: "replica" (B replicates from A), "writer_group" (members of
    /// one writer group), "split_brain" (two sides of an ambiguous end).
    public var relation: String
    public var rows: Int
    public init(serverA: String, serverB: String, relation: String, rows: Int) {
        self.serverA = serverA
        self.serverB = serverB
        self.relation = relation
        self.rows = rows
    }
}

/// Transactions `server` executed (GTIDs) that `reference` lacks.
public struct ErrantRow: Sendable, Equatable {
    public var server: String
    public var reference: String
    public var count: Int
    public init(server: String, reference: String, count: Int) {
        self.server = server
        self.reference = reference
        self.count = count
    }
}

/// How many requests of one kind (static, read, write) ended with one HTTP status.
public struct HTTPStatusRow: Sendable, Equatable {
    public var kind: String
    /// 200, 500, 503; 0: no HTTP answer (refused, reset, the users' timeout).
    public var status: Int
    public var count: Int
    public init(kind: String, status: Int, count: Int) {
        self.kind = kind
        self.status = status
        self.count = count
    }
}

/// What an L4 director's NIC carried over a run (table `l4_load`).
public struct L4LoadRow: Sendable, Equatable {
    public var mode: String
    /// The NIC's capacity in bits/s; 0: unlimited.
    public var bandwidth: Int64
    public var bytesIn: Int64
    public var bytesOut: Int64
    /// The busiest second over the capacity; nil when unlimited.
    public var peakUtilisation: Double?
    public var queueDelayMax: SimTime
    /// Messages dropped at the tail of the full transmit queue, and their frames.
    public var drops: Int64
    public var droppedPackets: Int64
    public init(mode: String, bandwidth: Int64, bytesIn: Int64, bytesOut: Int64, peakUtilisation: Double?,
                queueDelayMax: SimTime, drops: Int64, droppedPackets: Int64) {
        self.mode = mode
        self.bandwidth = bandwidth
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.peakUtilisation = peakUtilisation
        self.queueDelayMax = queueDelayMax
        self.drops = drops
        self.droppedPackets = droppedPackets
    }
}
