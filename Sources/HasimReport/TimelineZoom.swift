import HasimKernel
import HasimStore

/// An incident's own time scale: a 10-30 s failover is a sliver of a 30-minute run, so each
/// incident is also drawn from shortly before the fault to a minute after writes came back.
extension TimelineModel {
    /// Seconds shown before the fault and after the recovery (issue 14: 10 s and 60 s).
    public static let zoomBefore = 10 * Time.second
    public static let zoomAfter = 60 * Time.second

    /// The window of one incident: from `zoomBefore` before its fault to `zoomAfter` after
    /// its first good write (or, if writes never came back, to the end of the run).
    public func incidentWindow(_ i: IncidentRow) -> (from: SimTime, to: SimTime) {
        let from = max(start, i.start - Self.zoomBefore)
        let to = min(end, (i.recovered ?? end) + Self.zoomAfter)
        return (from, max(to, from + Time.second))
    }

    /// The model restricted to [from, to]: segments cut at the edges, events outside dropped.
    public func window(from: SimTime, to: SimTime) -> TimelineModel {
        func clip(_ s: [Segment]) -> [Segment] {
            s.compactMap { seg in
                guard seg.end > from, seg.start < to else { return nil }
                var c = seg
                c.start = max(seg.start, from)
                c.end = min(seg.end, to)
                return c
            }
        }
        var m = self
        m.start = from
        m.end = to
        m.lanes = lanes.map { l in
            var c = l
            c.state = clip(l.state)
            c.replication = clip(l.replication)
            c.holder = clip(l.holder)
            c.roles = clip(l.roles)
            c.ticks = l.ticks.filter { $0.time >= from && $0.time <= to }
            return c
        }
        m.faults = faults.filter { $0.start <= to && ($0.end ?? to) >= from }
        m.failovers = failovers.filter { $0.start <= to && ($0.end ?? to) >= from }
        m.keyEvents = keyEvents.filter { $0.row.time >= from && $0.row.time <= to }
        if let fine = zoomProbes {
            m.probes = fine
            m.probeBucket = zoomProbeBucket
            m.zoomProbes = nil
        }
        m.probes = m.probes.filter { $0.start + m.probeBucket > from && $0.start < to }
        return m
    }
}

/// One step of an incident as a span: from this key event to the next, with its duration.
public struct IncidentStep: Sendable, Equatable {
    public var number: Int
    public var time: SimTime
    public var node: String
    public var what: String
    /// Time to the next step (nil for the last).
    public var took: SimTime?
    public var category: String

    /// The key events of a window, each lasting until the next one.
    public static func steps(_ m: TimelineModel) -> [IncidentStep] {
        let events = m.keyEvents
        return events.enumerated().map { i, e in
            let next = i + 1 < events.count ? events[i + 1].row.time : nil
            let what = e.row.detail.isEmpty ? e.row.kind : "\(e.row.kind): \(e.row.detail)"
            return IncidentStep(number: e.number, time: e.row.time, node: e.row.node, what: what,
                                took: next.map { $0 - e.row.time }, category: e.category)
        }
    }
}
