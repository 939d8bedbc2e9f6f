import HasimKernel
import HasimStore

/// What a run measured over time, for the charts under its timelines: commit latency
/// percentiles per bucket, throughput per client, replication lag per replica, and failed
/// probe writes by error code. Only stored rows: a bucket without a row is drawn as a gap,
/// never as a zero.
public struct RunSeries: Sendable {
    /// One measured point; `value` NaN: measured as NULL (Seconds_Behind_Source of a stopped thread).
    public struct Point: Sendable, Equatable {
        public var time: SimTime
        public var value: Double
    }

    /// A named line (a client's throughput, a replica's lag), points in time order.
    public struct Line: Sendable, Equatable {
        public var subject: String
        public var points: [Point]
    }

    /// The sample interval (the width of a latency, throughput or error bucket).
    public var interval: SimTime
    public var latency: [LatencyRow]
    public var throughput: [Line]
    public var lagSeconds: [Line]
    public var lagTransactions: [Line]
    /// Failed probes per `interval` bucket and error code.
    public var failedProbes: [ProbeErrorBucket]

    public var isEmpty: Bool {
        latency.isEmpty && throughput.isEmpty && lagSeconds.isEmpty && lagTransactions.isEmpty && failedProbes.isEmpty
    }

    public init(interval: SimTime, latency: [LatencyRow], series: [SeriesRow], failedProbes: [ProbeErrorBucket]) {
        self.interval = max(interval, 1)
        self.latency = latency
        self.throughput = Self.lines(series, "throughput")
        self.lagSeconds = Self.lines(series, "lag_seconds")
        self.lagTransactions = Self.lines(series, "lag_transactions")
        self.failedProbes = failedProbes
    }

    /// The rows of one series name, one line per subject in order of first appearance
    /// (rows come in time order, so the order is the same for every read of a database).
    static func lines(_ rows: [SeriesRow], _ name: String) -> [Line] {
        var out: [Line] = []
        var index: [String: Int] = [:]
        for r in rows where r.name == name {
            if let i = index[r.subject] {
                out[i].points.append(Point(time: r.time, value: r.value))
            } else {
                index[r.subject] = out.count
                out.append(Line(subject: r.subject, points: [Point(time: r.time, value: r.value)]))
            }
        }
        return out
    }

    /// The sample interval from the stored rows: the smallest step between two
    /// successive bucket starts (1 s when a run has fewer than two).
    public static func interval(latency: [LatencyRow], series: [SeriesRow]) -> SimTime {
        var times = latency.compactMap(\.bucketStart)
        if let first = series.first { times += series.lazy.filter { $0.name == first.name && $0.subject == first.subject }.map(\.time) }
        times.sort()
        var best: SimTime = 0
        for (a, b) in zip(times, times.dropFirst()) where b > a { best = best == 0 ? b - a : min(best, b - a) }
        return best > 0 ? best : Time.second
    }

    public static func load(run id: Int64, from store: ResultsStore) throws -> RunSeries {
        let latency = try store.latencyBuckets(run: id)
        let series = try store.series(run: id)
        let interval = interval(latency: latency, series: series)
        return RunSeries(interval: interval, latency: latency, series: series,
                         failedProbes: try store.probeErrorBuckets(run: id, width: interval))
    }
}

/// Points merged into bins of a fixed width, so a 30-minute run draws about one point
/// per two pixels. Each bin keeps the largest value (a latency or lag spike stays
/// visible) or the mean (throughput); a bin with only NULLs stays NULL.
enum SeriesBins {
    /// Bin width for showing `span` with at most `maxPoints` points of `interval`.
    static func width(span: SimTime, interval: SimTime, maxPoints: Int64 = 500) -> SimTime {
        let points = max(span / max(interval, 1), 1)
        let k = (points + maxPoints - 1) / maxPoints
        return max(k, 1) * interval
    }

    enum Reduce { case max, mean }

    static func bin(_ points: [RunSeries.Point], width: SimTime, _ reduce: Reduce) -> [RunSeries.Point] {
        var out: [RunSeries.Point] = []
        var bin: SimTime = .min, acc = 0.0, n = 0, nulls = 0
        func flush() {
            guard bin != .min else { return }
            let v = n == 0 ? Double.nan : (reduce == .max ? acc : acc / Double(n))
            if n > 0 || nulls > 0 { out.append(RunSeries.Point(time: bin, value: v)) }
        }
        for p in points {
            let b = p.time >= 0 ? p.time / width * width : (p.time - width + 1) / width * width
            if b != bin { flush(); bin = b; acc = reduce == .max ? -.infinity : 0; n = 0; nulls = 0 }
            if p.value.isNaN { nulls += 1; continue }
            acc = reduce == .max ? Swift.max(acc, p.value) : acc + p.value
            n += 1
        }
        flush()
        return out
    }
}
