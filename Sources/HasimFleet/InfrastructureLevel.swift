import HasimKernel
import HasimScenario

/// One incident of one cluster: the failures that began within one window of the first,
/// with times relative to the incident's start.
public struct FleetIncident: Sendable, Equatable {
    public var cluster: Int
    /// When the first failure struck, from the start of the replication.
    public var start: SimTime
    /// In time order; `at` is the offset from `start`.
    public var failures: [SampledFailure]

    public var isCompound: Bool { failures.count > 1 }
}

/// The infrastructure level: the fault processes over the whole horizon, with no
/// transactions at all. Cheap: a few random draws per component per year.
public enum InfrastructureLevel {
    /// Components shared by every cluster of the fleet: the clusters stand in the same
    /// sites, so a site outage or a cut between two sites hits all of them at once.
    static let shared: Set<ComponentClass> = [.site, .sitePartition]

    /// Every incident of one replication, by cluster then time. Stream names carry the
    /// cluster and the component, so adding clusters or processes moves nothing else.
    public static func incidents(targets: FaultTargets, processes: [FaultProcessSpec], clusters: Int,
                                 horizon: SimTime, window: SimTime, seeds: SeedTree) -> [FleetIncident] {
        let sharedProcesses = processes.filter { shared.contains($0.component) }
        let localProcesses = processes.filter { !shared.contains($0.component) }
        let fleetWide = targets.sample(sharedProcesses, seeds: seeds, prefix: "fleet", from: 0, to: horizon)
        var out: [FleetIncident] = []
        for c in 0..<clusters {
            let own = targets.sample(localProcesses, seeds: seeds, prefix: "cluster.\(c)", from: 0, to: horizon)
            let all = merge(own, fleetWide)
            var current: FleetIncident?
            for f in all {
                if var inc = current, f.at < inc.start + window {
                    var g = f
                    g.at = f.at - inc.start
                    inc.failures.append(g)
                    current = inc
                } else {
                    if let inc = current { out.append(inc) }
                    var g = f
                    g.at = 0
                    current = FleetIncident(cluster: c, start: f.at, failures: [g])
                }
            }
            if let inc = current { out.append(inc) }
        }
        return out
    }

    private static func merge(_ a: [SampledFailure], _ b: [SampledFailure]) -> [SampledFailure] {
        guard !b.isEmpty else { return a }
        return (a + b).sorted { ($0.at, $0.component.rawValue, $0.target) < ($1.at, $1.component.rawValue, $1.target) }
    }
}
