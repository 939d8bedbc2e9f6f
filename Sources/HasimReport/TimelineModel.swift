import Foundation
import HasimKernel
import HasimStore

/// What one run's timeline shows, derived from its `timeline` rows, incidents and
/// probes: one lane per node with its state along time, faults, failover steps, and
/// the client's probe writes.
public struct TimelineModel: Sendable {
    /// A stretch of time in one state. `state` is a CSS class ("rw", "down", ...).
    public struct Segment: Sendable, Equatable {
        public var start: SimTime
        public var end: SimTime
        public var state: String
        public var label: String
    }

    public enum LaneKind: Sendable, Equatable { case database, host }

    public struct Lane: Sendable {
        public var node: String
        public var kind: LaneKind
        /// "primary", "replica of db1" for databases from the topology; "" otherwise.
        public var role: String
        /// mysqld / host state (databases), empty for other hosts.
        public var state: [Segment] = []
        /// Replication threads (databases that ever replicated).
        public var replication: [Segment] = []
        /// VIP or DNS name held.
        public var holder: [Segment] = []
        /// Other events on this node (tick marks).
        public var ticks: [TimelineRow] = []
        /// The role along the run (databases): follows promotions and re-pointing.
        public var roles: [Segment] = []
    }

    /// A numbered event drawn as a badge and listed in the event table.
    public struct KeyEvent: Sendable, Equatable {
        public var number: Int
        /// Position of the row in the run's timeline.
        public var index: Int
        public var row: TimelineRow
        public var category: String
    }

    public struct Fault: Sendable, Equatable {
        public var start: SimTime
        public var end: SimTime?
        public var node: String
        public var label: String
    }

    /// The first instant drawn: 0 for the whole run, the window's start for an incident's zoom.
    public var start: SimTime = 0
    public var end: SimTime
    /// When the workload (and probes) stop.
    public var workloadEnd: SimTime
    public var lanes: [Lane]
    public var faults: [Fault]
    /// failover_start .. failover_complete (end nil: never completed).
    public var failovers: [(start: SimTime, end: SimTime?)]
    public var keyEvents: [KeyEvent]
    public var probes: [ProbeBucket]
    public var probeBucket: SimTime
    /// Finer probe buckets for incident zooms (nil: the overview's are fine enough).
    public var zoomProbes: [ProbeBucket]? = nil
    public var zoomProbeBucket: SimTime = 0

    /// Kinds that get a numbered badge.
    static func category(_ kind: String) -> String? {
        switch kind {
        case "fault", "fault_end": return "fault"
        case "failover_start", "failover_step", "failover_complete": return "failover"
        case "failover_step_failed", "replication_error": return "error"
        case "alert", "app_redeploy": return "ops"
        default:
            if kind.hasPrefix("vip_") || kind.hasPrefix("dns_") || kind.hasPrefix("proxy_") || kind == "garp" { return "front" }
            return nil
        }
    }

    public init(run: ReportRun, timeline: [TimelineRow], probes: [ProbeBucket], probeBucket: SimTime) {
        let lastEvent = timeline.map(\.time).max() ?? 0
        end = max(run.end, lastEvent, (probes.last?.start ?? 0) + probeBucket, 1)
        workloadEnd = run.info.duration
        self.probes = probes
        self.probeBucket = probeBucket

        // Lanes: databases in topology order, then the other hosts, then any other
        // node the timeline names (a monitor, a partition's side "db1,app1" split).
        var lanes: [Lane] = []
        func addLane(_ node: String, _ kind: LaneKind, role: String = "") {
            guard !node.isEmpty, !lanes.contains(where: { $0.node == node }) else { return }
            lanes.append(Lane(node: node, kind: kind, role: role))
        }
        let topo = run.parameters["topology"]
        for db in topo?["databases"]?.array ?? [] {
            guard let host = db["host"]?.string else { continue }
            let role = db["role"]?.string ?? ""
            let source = db["source"]?.string
            addLane(host, .database, role: role == "replica" ? "replica of \(source ?? "?")" : role)
        }
        let sites = topo?["sites"]?.array ?? []
        for site in sites { for h in site["hosts"]?.array ?? [] { if let h = h.string { addLane(h, .host) } } }
        for r in timeline { for n in Self.nodes(r.node) { addLane(n, .host) } }
        // A node the timeline shows running mysqld is a database even if the
        // topology did not say so.
        let mysqlNodes = Set(timeline.filter { $0.kind.hasPrefix("mysql_") }.map(\.node))
        for i in lanes.indices where mysqlNodes.contains(lanes[i].node) { lanes[i].kind = .database }

        // Faults, paired with their ends by node in order.
        var faults: [Fault] = []
        for r in timeline where r.kind == "fault" {
            faults.append(Fault(start: r.time, end: nil, node: r.node, label: r.detail.isEmpty ? r.node : "\(r.detail) \(r.node)"))
        }
        for r in timeline where r.kind == "fault_end" {
            if let i = faults.firstIndex(where: { $0.node == r.node && $0.end == nil && $0.start <= r.time }) {
                faults[i].end = r.time
            }
        }
        self.faults = faults

        var failovers: [(start: SimTime, end: SimTime?)] = []
        for r in timeline {
            if r.kind == "failover_start" { failovers.append((r.time, nil)) }
            if r.kind == "failover_complete", let i = failovers.lastIndex(where: { $0.end == nil }) {
                failovers[i].end = r.time
            }
        }
        self.failovers = failovers

        var key: [KeyEvent] = []
        // Set-up in the first second (the initial VIP and its gratuitous ARP, ...)
        // is not an event worth a number; a fault always is.
        for (i, r) in timeline.enumerated() {
            if let c = Self.category(r.kind), r.time >= Time.second || c == "fault" {
                key.append(KeyEvent(number: key.count + 1, index: i, row: r, category: c))
            }
        }
        keyEvents = key

        for i in lanes.indices {
            let rows = timeline.filter { Self.nodes($0.node).contains(lanes[i].node) }
            if lanes[i].kind == .database {
                (lanes[i].state, lanes[i].replication) = Self.databaseStates(rows, end: end)
                lanes[i].roles = Self.roles(rows, initial: lanes[i].role, end: end)
            }
            lanes[i].ticks = rows.filter { r in
                !(r.kind == "fault" || r.kind == "fault_end") && !(lanes[i].kind == .database && Self.stateKinds.contains(r.kind))
            }
        }
        let held = Self.holders(timeline, laneNodes: lanes.map(\.node), end: end)
        for i in lanes.indices { lanes[i].holder = held[lanes[i].node] ?? [] }
        self.lanes = lanes
    }

    static func nodes(_ node: String) -> [String] {
        node.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Kinds drawn as state rather than as tick marks on a database lane.
    static let stateKinds: Set<String> = [
        "host_crash", "host_restart", "process_crash", "process_start", "mysql_starting", "mysql_ready", "read_only",
        "mysql_stopped", "replica_started", "replica_stopped", "replication_connected", "replication_io_error", "replication_error",
        "source_changed",
    ]

    /// mysqld state (down / starting / read-write / read-only) and replication
    /// thread state from a database node's rows.
    static func databaseStates(_ rows: [TimelineRow], end: SimTime) -> ([Segment], [Segment]) {
        var state: [Segment] = [], repl: [Segment] = []
        var cur: (t: SimTime, s: String, l: String) = (0, "off", "not started")
        var rcur: (t: SimTime, s: String, l: String) = (0, "none", "")
        var up = false
        func set(_ t: SimTime, _ s: String, _ l: String) {
            if s == cur.s && l == cur.l { return }
            if t > cur.t { state.append(Segment(start: cur.t, end: t, state: cur.s, label: cur.l)) }
            cur = (t, s, l)
        }
        func rset(_ t: SimTime, _ s: String, _ l: String) {
            if s == rcur.s && l == rcur.l { return }
            if t > rcur.t { repl.append(Segment(start: rcur.t, end: t, state: rcur.s, label: rcur.l)) }
            rcur = (t, s, l)
        }
        for r in rows {
            let detail = r.detail
            switch r.kind {
            case "host_crash":
                up = false; set(r.time, "down", "host down"); rset(r.time, "none", "")
            case "process_crash":
                up = false; set(r.time, "down", "mysqld down"); rset(r.time, "none", "")
            case "host_restart":
                up = false; set(r.time, "down", "host booting, mysqld down")
            case "mysql_starting":
                up = false; set(r.time, "starting", "mysqld starting / crash recovery")
            case "mysql_stopped":
                // Stopped on purpose (a cluster manager's passive node, a clean shutdown): no
                // mysqld, nothing wrong; drawn like "not started", not as a failure.
                up = false; set(r.time, "off", "mysqld stopped")
            case "mysql_ready":
                up = true
                if detail.contains("read_only=ON") { set(r.time, "ro", "up, read_only=ON") }
                else { set(r.time, "rw", "up, writable (read_only=OFF)") }
            case "read_only":
                guard up else { break }
                if detail.uppercased().hasPrefix("ON") { set(r.time, "ro", "up, read_only=ON") }
                else if detail.uppercased().hasPrefix("OFF") { set(r.time, "rw", "up, writable (read_only=OFF)") }
            case "replica_started":
                rset(r.time, "repl-run", "replica threads started" + (detail.isEmpty ? "" : " (\(detail))"))
            case "replication_connected":
                rset(r.time, "repl-run", "replicating" + (detail.isEmpty ? "" : " \(detail)"))
            case "replication_io_error":
                rset(r.time, "repl-io", "IO thread error, retrying: \(detail)")
            case "replication_error":
                rset(r.time, "repl-err", "SQL thread stopped: \(detail)")
            case "replica_stopped":
                rset(r.time, "none", "")
            case "source_changed":
                if detail.contains("RESET SLAVE") || detail.contains("RESET REPLICA") { rset(r.time, "none", "") }
            default: break
            }
        }
        if end > cur.t { state.append(Segment(start: cur.t, end: end, state: cur.s, label: cur.l)) }
        if end > rcur.t { repl.append(Segment(start: rcur.t, end: end, state: rcur.s, label: rcur.l)) }
        return (state.filter { $0.state != "off" || $0.end > $0.start },
                repl.filter { $0.state != "none" })
    }

    /// Periods each node holds a VIP or is what a DNS name points at:
    /// vip_acquire / vip_release on the holder (any other vip_* kind saying
    /// release/remove/del ends holding too, and so does the holder's host crash); dns_change "NAME -> ADDRESS ..." moves
    /// NAME to the node called ADDRESS.
    static func holders(_ timeline: [TimelineRow], laneNodes: [String], end: SimTime) -> [String: [Segment]] {
        var out: [String: [Segment]] = [:]
        var openVIP: [String: (t: SimTime, label: String)] = [:]       // node -> since
        var dnsHolder: [String: (node: String, t: SimTime)] = [:]       // name -> holder
        for r in timeline {
            if r.kind == "host_crash" {
                // A dead host answers no ARP, and an address added with `ip addr add`
                // does not survive the reboot.
                for n in Self.nodes(r.node) {
                    if let o = openVIP.removeValue(forKey: n) {
                        out[n, default: []].append(Segment(start: o.t, end: r.time, state: "holder", label: o.label))
                    }
                }
            } else if r.kind.hasPrefix("vip_") {
                let text = r.kind.lowercased()
                let releases = ["release", "remove", "del", "drop", "lost"].contains { text.contains($0) }
                for n in Self.nodes(r.node) {
                    if releases {
                        if let o = openVIP.removeValue(forKey: n) {
                            out[n, default: []].append(Segment(start: o.t, end: r.time, state: "holder", label: o.label))
                        }
                    } else if openVIP[n] == nil {
                        openVIP[n] = (r.time, "holds VIP" + (r.detail.isEmpty ? "" : " \(r.detail)"))
                    }
                }
            } else if r.kind == "dns_change" {
                let parts = r.detail.components(separatedBy: " -> ")
                guard parts.count >= 2 else { continue }
                let name = parts[0].trimmingCharacters(in: .whitespaces)
                let target = String(parts[1].split(separator: " ").first ?? "")
                if let h = dnsHolder.removeValue(forKey: name) {
                    out[h.node, default: []].append(Segment(start: h.t, end: r.time, state: "holder", label: "DNS \(name) points here"))
                }
                if laneNodes.contains(target) { dnsHolder[name] = (target, r.time) }
            }
        }
        for (n, o) in openVIP { out[n, default: []].append(Segment(start: o.t, end: end, state: "holder", label: o.label)) }
        for (name, h) in dnsHolder {
            out[h.node, default: []].append(Segment(start: h.t, end: end, state: "holder", label: "DNS \(name) points here"))
        }
        for k in out.keys { out[k] = out[k]!.filter { $0.end > $0.start }.sorted { ($0.start, $0.label) < ($1.start, $1.label) } }
        return out
    }
}

/// Consecutive rows of the same node and kind (and error code) folded into one,
/// for event tables. Key events (`TimelineModel.category`) never fold.
public struct FoldedEvent: Sendable, Equatable {
    public var first: TimelineRow
    /// Position of `first` in the timeline.
    public var index: Int
    public var last: SimTime
    public var count: Int

    public static func fold(_ rows: [TimelineRow]) -> [FoldedEvent] {
        var out: [FoldedEvent] = []
        for (i, r) in rows.enumerated() {
            if let l = out.last, l.first.node == r.node, l.first.kind == r.kind,
               TimelineModel.category(r.kind) == nil,
               Self.shape(l.first.detail) == Self.shape(r.detail) {
                out[out.count - 1].last = r.time
                out[out.count - 1].count += 1
            } else {
                out.append(FoldedEvent(first: r, index: i, last: r.time, count: 1))
            }
        }
        return out
    }

    /// The detail's first word (an error code): repeats of "2003 ..." fold, a
    /// different error does not.
    static func shape(_ detail: String) -> Substring { detail.split(separator: " ").first ?? "" }
}
