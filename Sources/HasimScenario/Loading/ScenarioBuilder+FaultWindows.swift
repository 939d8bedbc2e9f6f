import HasimKernel
import Yams

// A fault's window: `at` to `recover_after` later, or to `until` (a time of the run), and the
// windows that cannot overlap because the second one's end would undo the first one's fault.

extension ScenarioBuilder {
    /// `until: 3m`: the fault ends at that time of the run. Exclusive with recover_after, and
    /// after the latest instant `at` can draw (a window must not end before it starts).
    func readUntil(_ m: YAMLMapping, at latestStart: SimTime?, ok: inout Bool) -> SimTime? {
        guard let n = m.value("until") else { return nil }
        if let both = m.value("recover_after") {
            r.error(both, "\(m.path("recover_after")) and \(m.path("until")) both end the fault",
                    hint: "give one: recover_after (how long it lasts) or until (when it ends)")
            ok = false
            return nil
        }
        guard let t = r.duration(n, path: m.path("until")) else { ok = false; return nil }
        if let latestStart, t <= latestStart {
            r.error(n, "\(m.path("until")) is \(scalarText(n)), not after the fault starts (\(Time.text(latestStart)))",
                    hint: "until is a time of the run after at, e.g. at: 60s, until: 3m")
            ok = false
            return nil
        }
        return t
    }

    /// Two windows of a fault whose end resets the state rather than undoing only its own part
    /// (a disk back to normal speed, a disk that completes writes again, a partition healed)
    /// must not overlap on the same target: the first one's end would end the second one too.
    /// Latency, loss and CPU load add up, so those may overlap.
    func checkOverlappingWindows(_ faults: [FaultSpec], _ items: [Node], path: String) -> Bool {
        var ok = true
        for j in faults.indices {
            for i in 0..<j where Self.sameTarget(faults[i].kind, faults[j].kind) {
                let (a, b) = (Self.window(faults[i]), Self.window(faults[j]))
                guard a.start < b.end && b.start < a.end else { continue }
                r.error(items[j], "\(path)[\(j)] (\(faults[j].kind.name.rawValue)) overlaps \(path)[\(i)] on the same target",
                        hint: "the first one's end would end both: make the windows follow each other, or merge them")
                ok = false
            }
        }
        return ok
    }

    /// The earliest start and the latest end a window can have; an end never given lasts the run.
    private static func window(_ f: FaultSpec) -> (start: SimTime, end: SimTime) {
        let lastStart = f.atLatest ?? f.at
        if let u = f.until { return (f.at, u) }
        if let r = f.recoverAfter { return (f.at, lastStart + r) }
        return (f.at, SimTime.max)
    }

    private static func sameTarget(_ x: FaultKind, _ y: FaultKind) -> Bool {
        switch (x, y) {
        case (.slowDisk(let a, _), .slowDisk(let b, _)), (.diskStall(let a), .diskStall(let b)): return a == b
        case (.partition(let a1, let b1, _, _), .partition(let a2, let b2, _, _)):
            // Any host pair cut by both (either direction: a heal restores both ways).
            let p1 = Set(a1.flatMap { x in b1.flatMap { y in [x + "|" + y, y + "|" + x] } })
            return a2.contains { x in b2.contains { y in p1.contains(x + "|" + y) } }
        default: return false
        }
    }
}
