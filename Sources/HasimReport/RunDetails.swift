import HasimKernel
import HasimStore

/// The child rows a report draws for one run: its timeline, its probes counted in
/// buckets (about one per two pixels of the timeline) and its series over time.
public struct RunDetails: Sendable {
    public var timeline: [TimelineRow]
    public var probes: [ProbeBucket]
    public var bucket: SimTime
    public var model: TimelineModel
    /// The run's incidents (one per fault), each drawn on its own time scale.
    public var incidents: [IncidentRow] = []
    /// Latency, throughput, lag and failed writes over time, drawn under each timeline.
    public var series: RunSeries? = nil

    public static let buckets: Int64 = 480

    public static func load(_ run: ReportRun, from store: ResultsStore) throws -> RunDetails {
        let interval = max(run.parameters["workload"]?["probe_interval_ns"]?.int ?? Time.ms(100), 1)
        var bucket = max(run.end / buckets, interval)
        bucket = (bucket + interval - 1) / interval * interval
        let timeline = try store.timeline(run: run.id)
        let probes = try store.probeBuckets(run: run.id, width: bucket)
        // Zooms need finer probe buckets than the overview: one per probe interval, at most 0.5 s.
        let zoomBucket = max(interval, min(bucket, Time.ms(500)) / interval * interval)
        var model = TimelineModel(run: run, timeline: timeline, probes: probes, probeBucket: bucket)
        if zoomBucket < bucket {
            model.zoomProbes = try store.probeBuckets(run: run.id, width: zoomBucket)
            model.zoomProbeBucket = zoomBucket
        }
        return RunDetails(timeline: timeline, probes: probes, bucket: bucket, model: model,
                          incidents: try store.incidents(run: run.id), series: try RunSeries.load(run: run.id, from: store))
    }
}
