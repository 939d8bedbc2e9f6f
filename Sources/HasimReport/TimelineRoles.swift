import HasimKernel
import HasimStore

/// A database's role along the run, from what its mysqld recorded: the source it was
/// pointed at (`START SLAVE ... source X`, `CHANGE MASTER TO X`, `RESET SLAVE ALL`) and
/// whether it took writes (`read_only`). The scenario's roles are only the start: after a
/// promotion or a re-pointing the timeline's label follows what the tools did.
extension TimelineModel {
    /// Role segments of one database lane. `initial` is the topology's role ("primary",
    /// "replica of db1"); records in the first second (the set-up) refine it without a change.
    static func roles(_ rows: [TimelineRow], initial: String, end: SimTime) -> [Segment] {
        var source: String? = initial.hasPrefix("replica of ") ? String(initial.dropFirst("replica of ".count)) : nil
        var writable: Bool? = initial == "primary" ? true : (source != nil ? false : nil)
        func text() -> String {
            switch (source, writable) {
            case (let s?, true): return "writable, replica of \(s)"
            case (let s?, _): return "replica of \(s)"
            case (nil, true): return "primary"
            case (nil, false): return "read-only, no source"
            case (nil, nil): return initial
            }
        }
        var out: [Segment] = []
        var current = (t: SimTime(0), label: initial)
        for r in rows {
            switch r.kind {
            case "replica_started":
                if let range = r.detail.range(of: "source ") {
                    source = String(r.detail[range.upperBound...].split(separator: " ").first ?? "")
                }
            case "source_changed":
                if r.detail.contains("RESET SLAVE") || r.detail.contains("RESET REPLICA") {
                    source = nil
                } else if let range = r.detail.range(of: "CHANGE MASTER TO ") {
                    source = String(r.detail[range.upperBound...].split(separator: " ").first ?? "")
                } else { continue }
            case "read_only":
                let d = r.detail.uppercased()
                if d.hasPrefix("ON") || d.hasSuffix("=ON") { writable = false } else if d.hasPrefix("OFF") { writable = true } else { continue }
            case "mysql_ready":
                if r.detail.contains("read_only=ON") { writable = false } else if r.detail.contains("read_only=OFF") { writable = true } else { continue }
            default:
                continue
            }
            let label = text()
            guard label != current.label else { continue }
            if r.time < Time.second {
                current.label = label
            } else {
                out.append(Segment(start: current.t, end: r.time, state: "role", label: current.label))
                current = (r.time, label)
            }
        }
        out.append(Segment(start: current.t, end: max(end, current.t), state: "role", label: current.label))
        return out
    }

    /// The lane's role at `t` (its first segment's before the run).
    static func role(_ lane: Lane, at t: SimTime) -> String {
        lane.roles.last { $0.start <= t }?.label ?? lane.roles.first?.label ?? lane.role
    }
}
