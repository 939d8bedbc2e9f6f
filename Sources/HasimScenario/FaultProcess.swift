import Foundation
import HasimKernel
import HasimStrategies

/// A class of component that fails at random in a fleet: what breaks, how often, and how
/// long its repair takes. The same definition drives `fault_processes:` in one scenario
/// (faults drawn inside the run) and the infrastructure level of `hasim fleet`.
public enum ComponentClass: String, CaseIterable, Sendable {
    /// A database server's hardware or kernel dies (power supply, memory, panic); it boots after repair.
    case host
    /// mysqld dies (OOM kill, crash bug); systemd's `Restart=on-failure` starts it again.
    case mysqld
    /// A database server's data disk dies: the server is down until it is rebuilt from a copy.
    case disk
    /// The server's NIC, cable or top-of-rack port: the host is cut off from every other host.
    case nic
    /// The link between two sites (IDC interconnect): the sites cannot reach each other.
    case sitePartition = "site_partition"
    /// A whole site (power, cooling): every database and manager host of it stops.
    case site
    /// A host that runs an HA manager, monitor or proxy, not a database.
    case manager
    /// Planned maintenance of the primary's server (OS patches, a MySQL minor release): the DBAs
    /// move the writer to a replica with the tool's own planned switchover first. Not a failure:
    /// not among the defaults (`FaultProcessSpec.defaults`); `hasim fleet --maintenance` or
    /// `fault_processes: {maintenance: ...}` turn it on.
    case maintenance
}

/// How long until a component fails: Weibull with the given shape (1 = exponential,
/// memoryless) and the mean that `afr` (failures per component-year) implies.
/// How long a repair takes: lognormal with the given mean and sigma (repair times in
/// field studies are heavily skewed: most are short, a few take days).
public struct FaultProcessSpec: Sendable, Equatable {
    public var component: ComponentClass
    /// Failures per component per year (annualised failure rate), > 0.
    public var afr: Double
    /// Weibull shape of the time to failure; 1 is exponential.
    public var shape: Double = 1
    /// Mean time to repair.
    public var mttr: SimTime
    /// Lognormal sigma of the repair time; 0 makes every repair exactly `mttr`.
    public var repairSigma: Double = 1
    public var mark: SourceMark? = nil

    public init(component: ComponentClass, afr: Double, shape: Double = 1, mttr: SimTime, repairSigma: Double = 1) {
        self.component = component
        self.afr = afr
        self.shape = shape
        self.mttr = mttr
        self.repairSigma = repairSigma
    }

    public static let year: SimTime = 365 * 24 * Time.hour

    /// Mean time to failure in nanoseconds (as a Double: a disk's is decades).
    public var meanTimeToFailure: Double { Double(Self.year) / afr }

    /// One time to failure. Weibull by inversion: scale · (−ln U)^(1/shape), with the scale
    /// set so that the mean is `meanTimeToFailure` (mean = scale · Γ(1 + 1/shape)).
    public func timeToFailure(_ rng: inout SimRandom) -> Double {
        let e = -log(1.0 - rng.unit())
        if shape == 1 { return meanTimeToFailure * e }
        let scale = meanTimeToFailure / tgamma(1 + 1 / shape)
        return scale * pow(e, 1 / shape)
    }

    /// One repair time: lognormal whose mean is `mttr` (median = mean · e^(−σ²/2)).
    public func repairTime(_ rng: inout SimRandom) -> SimTime {
        guard repairSigma > 0 else { return mttr }
        let median = Double(mttr) * exp(-repairSigma * repairSigma / 2)
        // A long tail past "never" (a 10-year MTTR with a wide sigma) is never, not a trap.
        return max(Time.s(1), SimTime(min(rng.logNormal(median: median, sigma: repairSigma).rounded(), Double(Time.never))))
    }

    /// The failures of one component in [from, to): a renewal process (each repair
    /// restores the component as new), as (start, repair) pairs in time order.
    public func failures(from: SimTime, to: SimTime, rng: inout SimRandom) -> [(at: SimTime, repair: SimTime)] {
        var out: [(at: SimTime, repair: SimTime)] = []
        var t = Double(from)
        while true {
            t += timeToFailure(&rng)
            guard t < Double(to) else { break }
            let at = SimTime(t)
            let repair = repairTime(&rng)
            out.append((at, repair))
            t = Double(at + repair)
        }
        return out
    }
}

extension FaultProcessSpec {
    /// Defaults, per component class, from published field studies where one exists; the
    /// others are stated assumptions (`hasim list` prints both with their source).
    public static let defaults: [FaultProcessSpec] = [
        FaultProcessSpec(component: .host, afr: 0.5, mttr: 6 * Time.hour, repairSigma: 1.5),
        FaultProcessSpec(component: .mysqld, afr: 0.25, mttr: Time.s(5), repairSigma: 0),
        FaultProcessSpec(component: .disk, afr: 0.03, shape: 0.7, mttr: 12 * Time.hour, repairSigma: 1),
        FaultProcessSpec(component: .nic, afr: 0.05, mttr: 30 * Time.minute, repairSigma: 1.5),
        FaultProcessSpec(component: .sitePartition, afr: 0.5, mttr: 20 * Time.minute, repairSigma: 1.5),
        FaultProcessSpec(component: .site, afr: 0.1, mttr: 4 * Time.hour, repairSigma: 1),
        FaultProcessSpec(component: .manager, afr: 0.5, mttr: 6 * Time.hour, repairSigma: 1.5),
    ]

    /// Planned maintenance: each quarter's patches (Oracle publishes its Critical Patch Updates,
    /// MySQL's included, four times a year: January, April, July, October), an hour each.
    public static let maintenance = FaultProcessSpec(component: .maintenance, afr: 4, mttr: Time.hour, repairSigma: 0)

    public static func defaultSpec(_ c: ComponentClass) -> FaultProcessSpec {
        (defaults + [maintenance]).first { $0.component == c }!
    }

    /// Where each default comes from, for `hasim list` and docs/fleet.md.
    public static func source(_ c: ComponentClass) -> String {
        switch c {
        case .host:
            return "Dean, LADIS 2009 keynote (checked: 'in each cluster's first year ... 1,000 individual machine failures'; a cluster is 'several thousands of machines' in the reports found, so 0.2-0.5 per machine-year; the cluster size of ~1,800 was not found in a source: 0.5 is the upper end); repair lognormal, mean 6 h: Dean's PDU failure 'about 6 hours' to come back, Schroeder & Gibson DSN 2006 (repair times lognormal) not re-checked"
        case .mysqld:
            return "assumption (no field study of mysqld crashes): one crash per 4 server-years; systemd Restart=on-failure restarts it within seconds (mysqld.service of MySQL 8.0)"
        case .disk:
            return "Schroeder & Gibson, FAST 2007 (checked: annual replacement rates 'typically exceed 1 %, with 2-4 % common and up to 13 %'; time between replacements 'not well modeled by an exponential distribution'; the Weibull shape 0.7-0.8 of its fits was not found in the excerpts, kept); Pinheiro, Weber & Barroso, FAST 2007 (checked: AFR 1.7 % in the first year to 8.6 % at 3 years); 3 %/year here; repair = replace + rebuild from a copy, 12 h assumed"
        case .nic:
            return "Gill, Jain & Nagappan, SIGCOMM 2011 (checked: ToR switches fail with probability about 5 %/year, aggregation switches about 10 %; most failures short, minutes, with a long tail; a median time to repair per device type was not found in the excerpts): 5 %/year (was 4 %), mean 30 min assumed"
        case .sitePartition:
            return "assumption: an inter-IDC link cut twice a year, mean 20 min (Gill et al. SIGCOMM 2011 measure links inside data centres, not between sites; Turner et al. SIGCOMM 2010 report 1.2-2.7 days of downtime per WAN link-year, via a summary: not checked at the source)"
        case .site:
            return "assumption: one whole-site outage (power/cooling) per 10 site-years, mean 4 h (Dean, LADIS 2009, checked: per cluster-year one PDU failure takes 500-1,000 machines down for about 6 hours, and a 50 % chance of overheating that takes most servers down, 1-2 days to recover; no per-year facility figure was found in Barroso, Clidaras & Hölzle, The Datacenter as a Computer; Ford et al. OSDI 2010's node unavailability durations were not found in the excerpts)"
        case .manager:
            return "as host: the manager/monitor/proxy runs on an ordinary server (Dean, LADIS 2009)"
        case .maintenance:
            return "assumption: one planned maintenance of the primary per quarter, as Oracle's Critical Patch Updates (MySQL's included) come out four times a year (January, April, July, October; oracle.com/security-alerts); 1 h each; times drawn as a renewal process, not on a calendar. Off unless asked for (hasim fleet --maintenance): only tools with a planned switchover in hasim (the switchover fault in hasim list names them: mha, manual, mmm) can run it, and a design whose tool has none would look free of maintenance beside them"
        }
    }

    public static func help(_ c: ComponentClass) -> String {
        switch c {
        case .host: return "a database host crashes (host_crash) and boots after the repair"
        case .mysqld: return "mysqld dies (process_crash) and is started again after the repair"
        case .disk: return "a database host's disk dies: the host stops and is not back within a run (rebuilt later)"
        case .nic: return "a database host is cut off from every other host (partition) until repaired"
        case .sitePartition: return "two sites cannot reach each other (partition) until repaired; needs two sites"
        case .site: return "every database and manager host of a site crashes at once and boots after the repair"
        case .manager: return "a host that runs no database and no application (manager, monitor, proxy) crashes"
        case .maintenance: return "planned maintenance of the primary: the tool's planned switchover to its first replica (switchover:); the patched server rejoins as a replica (not simulated: a replica's restart does not touch writes); only for strategies with a switchover command"
        }
    }
}

/// One fault a process drew: what failed (component and target) and for how long.
public struct SampledFailure: Sendable, Equatable {
    public var component: ComponentClass
    /// Index into the scenario's targets of that component (`FaultTargets`).
    public var target: Int
    public var at: SimTime
    public var repair: SimTime
    public init(component: ComponentClass, target: Int, at: SimTime, repair: SimTime) {
        self.component = component
        self.target = target
        self.at = at
        self.repair = repair
    }
}

/// The components of one scenario's topology that each component class can break, in a
/// fixed order (file order), so that a target index means the same thing at both levels.
/// The application's hosts are not targets (the question is the database tier's), but a
/// partition cuts them off like any host of their site.
public struct FaultTargets: Sendable {
    public let databases: [String]
    public let managers: [String]
    /// Per site: the hosts a site outage stops (no application host).
    public let siteTargets: [(name: String, hosts: [String])]
    /// Per site: every host (what a partition between sites separates).
    public let siteHosts: [[String]]
    public let sitePairs: [(a: Int, b: Int)]
    /// The primary a planned maintenance takes the writer from, and the replica its tool's
    /// switchover gives it to; empty when the tool has no planned switchover or the primary no replica.
    public let maintenance: [(server: String, to: String)]

    public init(_ scenario: Scenario) {
        let clients = Set(scenario.workloads.map(\.client))
        databases = scenario.topology.databases.map(\.host)
        let dbs = Set(databases)
        // A manager, monitor or proxy host is one the design names (a strategy option such
        // as manager_host, or the proxy front door); an idle host of the topology is not a server
        // of the design.
        var named = Set(scenario.architecture.options.values.values.compactMap { v -> String? in
            if case .string(let s) = v { return s }
            return nil
        })
        if case .proxy(let p) = scenario.frontDoor { named.insert(p.host) }
        managers = scenario.topology.allHosts.filter { !dbs.contains($0) && !clients.contains($0) && named.contains($0) }
        let parts = Set(databases).union(managers)
        siteTargets = scenario.topology.sites.map { s in (s.name, s.hosts.filter { parts.contains($0) }) }
        siteHosts = scenario.topology.sites.map(\.hosts)
        var pairs: [(a: Int, b: Int)] = []
        for a in siteHosts.indices { for b in siteHosts.indices where b > a { pairs.append((a, b)) } }
        sitePairs = pairs
        let tool = StrategyCatalog.descriptor(named: scenario.architecture.strategy)
        if tool?.operatorActions.contains(.switchover) == true,
           let primary = scenario.topology.databases.first(where: { $0.role == .primary })?.host,
           let replica = scenario.topology.databases.first(where: { $0.source == primary })?.host {
            maintenance = [(primary, replica)]
        } else {
            maintenance = []
        }
    }

    public func count(_ c: ComponentClass) -> Int {
        switch c {
        case .host, .mysqld, .disk, .nic: return databases.count
        case .manager: return managers.count
        case .site: return siteTargets.count
        case .sitePartition: return sitePairs.count
        case .maintenance: return maintenance.count
        }
    }

    public func name(_ c: ComponentClass, _ i: Int) -> String {
        switch c {
        case .host, .mysqld, .disk, .nic: return databases[i]
        case .manager: return managers[i]
        case .site: return siteTargets[i].name
        case .sitePartition: return "\(siteTargets[sitePairs[i].a].name)|\(siteTargets[sitePairs[i].b].name)"
        case .maintenance: return maintenance[i].server
        }
    }

    /// The scenario faults that one failure is, starting `at` in the run. The repair is
    /// undone in the run except for a disk, whose server is rebuilt from a copy later.
    public func faults(_ f: SampledFailure, at: SimTime) -> [FaultSpec] {
        switch f.component {
        case .host:
            return [FaultSpec(at: at, kind: .hostCrash(host: databases[f.target]), recoverAfter: f.repair)]
        case .mysqld:
            return [FaultSpec(at: at, kind: .processCrash(host: databases[f.target]), recoverAfter: f.repair)]
        case .disk:
            return [FaultSpec(at: at, kind: .hostCrash(host: databases[f.target]), recoverAfter: nil)]
        case .nic:
            let h = databases[f.target]
            let others = siteHosts.flatMap { $0 }.filter { $0 != h }
            return [FaultSpec(at: at, kind: .partition(a: [h], b: others, oneWay: false, firewall: false), recoverAfter: f.repair)]
        case .manager:
            return [FaultSpec(at: at, kind: .hostCrash(host: managers[f.target]), recoverAfter: f.repair)]
        case .site:
            return siteTargets[f.target].hosts.map {
                FaultSpec(at: at, kind: .hostCrash(host: $0), recoverAfter: f.repair)
            }
        case .sitePartition:
            let p = sitePairs[f.target]
            return [FaultSpec(at: at, kind: .partition(a: siteHosts[p.a], b: siteHosts[p.b], oneWay: false, firewall: false),
                              recoverAfter: f.repair)]
        case .maintenance:
            // The switchover is what touches writes; the demoted server's patch and restart is
            // a replica's, left out.
            return [FaultSpec(at: at, kind: .switchover(to: maintenance[f.target].to), recoverAfter: nil)]
        }
    }

    /// Every failure of the scenario's processes in [from, to) for one seed, in time order.
    /// One named stream per (component, target): adding a process or a host does not move
    /// the failures of the others.
    public func sample(_ processes: [FaultProcessSpec], seeds: SeedTree, prefix: String,
                       from: SimTime, to: SimTime) -> [SampledFailure] {
        var out: [SampledFailure] = []
        for p in processes {
            for t in 0..<count(p.component) {
                var rng = seeds.stream("\(prefix).\(p.component.rawValue).\(t)")
                for f in p.failures(from: from, to: to, rng: &rng) {
                    out.append(SampledFailure(component: p.component, target: t, at: f.at, repair: f.repair))
                }
            }
        }
        return out.sorted { ($0.at, $0.component.rawValue, $0.target) < ($1.at, $1.component.rawValue, $1.target) }
    }
}

extension Scenario {
    /// The explicit faults plus those the scenario's `fault_processes:` draw for this seed
    /// within the duration (stream names `fault_process.<class>.<target>`).
    public func faults(seed: UInt64) -> [FaultSpec] {
        guard !faultProcesses.isEmpty else { return faults }
        let targets = FaultTargets(self)
        let drawn = targets.sample(faultProcesses, seeds: SeedTree(seed: seed), prefix: "fault_process",
                                   from: 0, to: duration)
        return faults + drawn.flatMap { targets.faults($0, at: $0.at) }
    }
}
