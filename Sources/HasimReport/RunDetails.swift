import HasimKernel
import HasimStore

/// The child rows a report draws for one run: its timeline and its probes
/// counted in buckets (about one per two pixels of the timeline).
public struct RunDetails: Sendable {
    public var timeline: [TimelineRow]
    public var probes: [ProbeBucket]
    public var bucket: SimTime
    public var model: TimelineModel

    public static let buckets: Int64 = 480

    public static func load(_ run: ReportRun, from store: ResultsStore) throws -> RunDetails {
        let interval = max(run.parameters["workload"]?["probe_interval_ns"]?.int ?? Time.ms(100), 1)
        var bucket = max(run.end / buckets, interval)
        bucket = (bucket + interval - 1) / interval * interval
        let timeline = try store.timeline(run: run.id)
        let probes = try store.probeBuckets(run: run.id, width: bucket)
        return RunDetails(timeline: timeline, probes: probes, bucket: bucket,
                          model: TimelineModel(run: run, timeline: timeline, probes: probes, probeBucket: bucket))
    }
}
