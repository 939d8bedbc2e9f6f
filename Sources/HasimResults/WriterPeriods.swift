import HasimKernel
import HasimDatabase
import HasimWorkload
import HasimScenario

/// Which servers the design means to be ONE writer, from the `writer_group` trace records
/// (the contract of `HasimDatabase/WriterGroup.swift`): a server's acknowledgement counts
/// for the group it had declared at that instant; a server that never declared one is its
/// own group. Nothing here reads a node's internals.
struct WriterGroups {
    /// server -> (time, group) in trace order.
    private var records: [String: [(time: SimTime, group: String)]] = [:]
    /// group -> servers that ever declared it (a plain server: itself), sorted.
    private var declared: [String: [String]] = [:]

    init(trace: [TraceRecord]) {
        for r in trace where r.kind == .writerGroup {
            records[r.node, default: []].append((r.time, r.detail))
            if !r.detail.isEmpty, !(declared[r.detail]?.contains(r.node) ?? false) {
                declared[r.detail, default: []].append(r.node)
            }
        }
        for k in declared.keys.sorted() { declared[k]!.sort() }
    }

    /// The group `server` wrote for at time t. Before its first record, or while it
    /// declared none (""), a server stands for itself.
    func group(of server: String, at t: SimTime) -> String { groupSpan(of: server, at: t).group }

    /// `group(of:at:)` with the span it holds for: the same answer for every time in
    /// [from, until) (between the server's declarations around t), so a caller reading
    /// acknowledgements in time order asks once per span instead of once per write.
    func groupSpan(of server: String, at t: SimTime) -> (group: String, from: SimTime, until: SimTime) {
        guard let rs = records[server] else { return (server, .min, .max) }
        var lo = 0, hi = rs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if rs[mid].time <= t { lo = mid + 1 } else { hi = mid }
        }
        let from = lo > 0 ? rs[lo - 1].time : .min
        let until = lo < rs.count ? rs[lo].time : .max
        guard lo > 0, !rs[lo - 1].group.isEmpty else { return (server, from, until) }
        return (rs[lo - 1].group, from, until)
    }

    /// The group at the end of the run.
    func finalGroup(of server: String) -> String { group(of: server, at: .max) }

    /// The servers of a group (a plain server's group is itself).
    func members(_ group: String) -> [String] { declared[group] ?? [group] }

    /// Two groups are two writers only if no server ever belonged to both: successive
    /// views of one Galera Primary Component share members and are one writer; two
    /// Primary Components after a partition, or two plain servers, do not.
    func distinct(_ a: String, _ b: String) -> Bool {
        guard a != b else { return false }
        let mb = members(b)
        return !members(a).contains { mb.contains($0) }
    }
}

/// A stretch of time in which one writer group kept acknowledging the writes sent to one
/// application address (acknowledgements less than `gap` apart).
struct WriterPeriod: Equatable {
    var group: String
    var start: SimTime
    var end: SimTime
    /// Servers that acknowledged in the period, sorted.
    var servers: [String]
    var writes: Int
}

/// The writes sent to one application address, as acknowledged: who the application's
/// writer was over time. Failovers and split brain are read from these.
struct AddressWriters {
    /// Two acknowledgements by one writer less than this apart belong to one period in
    /// which it accepted writes as primary.
    static let gap: SimTime = Time.s(1)

    let address: String
    /// (ackedAt, group, server), in acknowledgement order.
    let acks: [(time: SimTime, group: String, server: String)]
    let periods: [WriterPeriod]

    /// `room`: at least the entries' count (a lazy filter's count is a pass over the ledger).
    init(address: String, entries: some Collection<LedgerEntry>, room: Int, groups: WriterGroups) {
        self.address = address
        // A server's group changes at its few declarations: look it up once per span of them,
        // not once per acknowledgement (a run has hundreds of thousands).
        var acks: [(time: SimTime, group: String, server: String)] = []
        acks.reserveCapacity(room)
        var cached: (server: String, group: String, from: SimTime, until: SimTime)? = nil
        for e in entries {
            let server = e.ackedBy, t = e.ackedAt
            if let c = cached, c.server == server, t >= c.from, t < c.until {
                acks.append((t, c.group, c.server))
                continue
            }
            let span = groups.groupSpan(of: server, at: t)
            cached = (server, span.group, span.from, span.until)
            acks.append((t, span.group, server))
        }
        self.acks = acks
        // One open period per group. A run of acknowledgements by one group touches only that
        // group's period: it is taken out of the table for the run (no copy per write) and put
        // back after it. The same periods, closed in the same order, as one lookup per write.
        var open: [String: WriterPeriod] = [:]
        var done: [WriterPeriod] = []
        var i = 0
        while i < acks.count {
            let g = acks[i].group
            var p = open.removeValue(forKey: g)
            while i < acks.count && acks[i].group == g {
                let a = acks[i]
                if p != nil, a.time - p!.end <= Self.gap {
                    p!.end = a.time
                    p!.writes += 1
                    if !p!.servers.contains(a.server) { p!.servers.append(a.server); p!.servers.sort() }
                } else {
                    if let q = p { done.append(q) }
                    p = WriterPeriod(group: g, start: a.time, end: a.time, servers: [a.server], writes: 1)
                }
                i += 1
            }
            open[g] = p
        }
        for k in open.keys.sorted() { done.append(open[k]!) }
        periods = done.sorted { ($0.start, $0.group) < ($1.start, $1.group) }
    }

    /// Intervals during which two or more distinct writer groups each accepted writes.
    func splitIntervals(_ groups: WriterGroups) -> [(start: SimTime, end: SimTime)] {
        var edges: [(time: SimTime, open: Bool, index: Int)] = []
        for (i, p) in periods.enumerated() {
            edges.append((p.start, true, i))
            edges.append((p.end, false, i))
        }
        // Opens before closes at one instant: touching periods overlap for 0 s.
        edges.sort { ($0.time, $0.open ? 0 : 1, $0.index) < ($1.time, $1.open ? 0 : 1, $1.index) }
        var active: [Int] = []
        var out: [(SimTime, SimTime)] = []
        var since: SimTime?
        for e in edges {
            if e.open { active.append(e.index) } else { active.removeAll { $0 == e.index } }
            let split = active.indices.contains { i in
                active[(i + 1)...].contains { groups.distinct(periods[active[i]].group, periods[$0].group) }
            }
            if split, since == nil { since = e.time }
            if !split, let s = since {
                if e.time > s { out.append((s, e.time)) }
                since = nil
            }
        }
        return out
    }

    /// Changes of the writer: a period of a writer group distinct from the current one.
    /// The old writer stays current until another takes over, so a failback is a second
    /// failover and an outage that ends on the same server is none.
    func failovers(_ groups: WriterGroups) -> [(time: SimTime, from: WriterPeriod, to: WriterPeriod)] {
        guard var current = periods.first else { return [] }
        var out: [(SimTime, WriterPeriod, WriterPeriod)] = []
        for p in periods.dropFirst() {
            if groups.distinct(current.group, p.group) {
                out.append((p.start, current, p))
                current = p
            } else if p.group == current.group || p.end > current.end {
                current = p
            }
        }
        return out
    }
}
