import HasimKernel
import HasimScenario

/// The final primary of the first application's address, decided from the cluster's
/// state at the end, never by a random draw:
///
/// - the tools' own state names where the address is bound (every live VIP holder, the
///   DNS record, the proxy's backend, the IP's owner: `RunOutcome.frontDoorTargets`);
/// - the writer groups that were still acknowledging that address's writes when the
///   workload stopped (an unresolved split brain).
///
/// One writer group among them: that is the final primary (its member the tools name, or
/// that acknowledged last). Two or more: ambiguous, and every side is reported.
struct FinalPrimary {
    /// The servers data is checked against: one (resolved), or one per side (ambiguous).
    var sides: [String]
    var ambiguous: Bool { sides.count > 1 }
    /// The writer group of each side, same order.
    var sideGroups: [String]

    var resolved: String? { sides.count == 1 ? sides[0] : nil }

    static func decide(_ o: RunOutcome, writers: AddressWriters?, groups: WriterGroups) -> FinalPrimary {
        // Writer groups bound by the tools' state, each with the server that stands for it.
        var candidates: [(group: String, server: String)] = []
        func add(_ group: String, _ server: String) {
            if !candidates.contains(where: { $0.group == group || !groups.distinct($0.group, group) }) {
                candidates.append((group, server))
            }
        }
        // Two holders of the address: one whose mysqld is down at the end accepts no
        // writes and is no side (a VIP left on a host whose mysqld died).
        var targets = o.frontDoorTargets
        if targets.count > 1 {
            let live = targets.filter { o.server($0)?.isUp == true }
            if !live.isEmpty { targets = live }
        }
        for t in targets { add(groups.finalGroup(of: t), t) }
        // Writers still accepting at the end: periods that ran into the last acknowledgement.
        if let w = writers, let last = w.acks.last?.time {
            let endings = w.periods.filter { last - $0.end <= AddressWriters.gap }
            let distinctEndings = endings.indices.contains { i in
                endings[(i + 1)...].contains { groups.distinct(endings[i].group, $0.group) }
            }
            if distinctEndings || candidates.isEmpty {
                for p in endings.sorted(by: { $0.group < $1.group }) {
                    // The member that acknowledged last stands for a group.
                    let server = w.acks.last { $0.group == p.group }!.server
                    add(p.group, server)
                }
            }
        }
        candidates.sort { $0.server < $1.server }
        return FinalPrimary(sides: candidates.map(\.server), sideGroups: candidates.map(\.group))
    }
}
