import HasimKernel
import HasimNetwork
import HasimDatabase
import HasimStrategies
import Yams

/// Turns the node tree of one scenario file into a `Scenario`, recording every
/// problem in the reader. Sections are read in a fixed order (topology before
/// anything that names hosts) whatever their order in the file.
final class ScenarioBuilder {
    let r: YAMLNodeReader

    // What later sections check their references against.
    /// host -> site; nil when topology.sites could not be read (then host
    /// references are not checked, to avoid a cascade of follow-up errors).
    var siteOf: [String: String]?
    var siteNames: [String] = []
    var allHosts: [String] = []
    var databases: [DatabaseSpec]?
    /// The hosts named under topology.databases, even if some entries are wrong.
    var databaseHosts: [String] = []
    var duration: SimTime?
    var durationText = ""
    var architectureNode: Node?
    /// web.tomcat.hosts and whether web.apache is given (nil: no web tier), for drain/remove.
    var webTomcats: [String]?
    var webHasApache = false
    /// The Apaches behind a `web.l4` balancer (a drain or removal may name them).
    var webBalancedApaches: [String] = []
    /// Hosts the provider runs (an LBaaS): no fault may name them.
    var managedHosts: [String] = []
    /// The strategy named in architecture (operator actions check that its tool has them).
    var strategy: StrategyDescriptor?

    init(reader: YAMLNodeReader) { self.r = reader }

    static let rootKeys = ["name", "description", "duration", "quiesce", "sample_interval", "seeds", "topology",
                           "mysql", "architecture", "workload", "faults", "expect", "group",
                           FaultProcessBuilder.key]

    // MARK: - Root

    func build(_ root: Node) -> Scenario? {
        guard let m = r.mapping(root, path: "", allowed: Self.rootKeys + [FrontDoorBuilder.key, WebBuilder.key],
                                required: ["name", "duration", "topology", "architecture", "workload"],
                                examples: ["name": "name: primary crash under load",
                                           "duration": "duration: 10m",
                                           "topology": "topology: {sites: ..., databases: ...}",
                                           "architecture": "architecture: {strategy: manual}",
                                           "workload": "workload: {client: app1}"])
        else { return nil }

        let name = m.value("name").flatMap { r.string($0, path: "name") }
        let description = m.value("description").flatMap { r.string($0, path: "description") } ?? ""

        if let node = m.value("duration") {
            duration = positiveDuration(node, path: "duration")
            if case .scalar(let s) = node { durationText = s.string }
        }
        // An absent optional section takes its default; a broken one is nil.
        let quiesce: SimTime? = m.value("quiesce").map { r.duration($0, path: "quiesce") } ?? Time.s(60)
        // nil: the runner's default; a broken value fails the load below.
        var sampleIntervalOK = true
        let sampleInterval: SimTime? = m.value("sample_interval").flatMap { node -> SimTime? in
            let v = positiveDuration(node, path: "sample_interval")
            if v == nil { sampleIntervalOK = false }
            // Every sample holds one row per server: a run keeps at most a million of them.
            if let v, let duration, let quiesce, (duration + quiesce) / v > 1_000_000 {
                r.error(node, "sample_interval \(Time.seconds(v)) s gives more than 1,000,000 samples over duration + quiesce",
                        hint: "use a coarser interval, at least \((duration + quiesce) / 1_000_000 / 1_000_000 + 1)ms, or sample a shorter run")
                sampleIntervalOK = false
            }
            return v
        }
        let seeds: [UInt64]? = m.value("seeds").map { readSeeds($0) } ?? [1]

        let topology = m.value("topology").flatMap { readTopology($0) }
        let mysql: ServerConfig? = m.value("mysql").map { readMySQL($0) } ?? ServerConfig()
        let architecture = m.value("architecture").flatMap { readArchitecture($0) }
        if let architecture { validateStrategy(architecture) }
        let workloads = m.value("workload").flatMap { readWorkloads($0) }
        // Before the faults: drain and remove name its Tomcats.
        let web = WebBuilder(self).read(m.value(WebBuilder.key))
        webTomcats = web.spec?.tomcat.hosts
        webHasApache = web.spec?.apache != nil
        if web.spec?.l4 != nil { webBalancedApaches = web.spec?.apache?.hosts ?? [] }
        if let l4 = web.spec?.l4, l4.mode == .lbaas { managedHosts = [l4.host] }
        let faults: [FaultSpec]? = m.value("faults").map { readFaults($0) } ?? []
        let processes: [FaultProcessSpec]? = m.value(FaultProcessBuilder.key).map { FaultProcessBuilder(self).read($0) } ?? []
        let expectations: [Expectation]? = m.value("expect").map { readExpectations($0) } ?? []
        // Read after topology and architecture: it checks hosts, sites and the strategy's options.
        let frontDoor = FrontDoorBuilder(self).read(m.value(FrontDoorBuilder.key), architecture: architecture)
        guard frontDoor.ok else { return nil }
        guard web.ok else { return nil }
        if let workloads, !checkUDPFrontDoor(workloads, frontDoor.spec, m.value(FrontDoorBuilder.key)) { return nil }

        guard sampleIntervalOK, let name, let duration, let quiesce, let seeds, let topology, let mysql, let architecture,
              let workloads, let faults, let processes, let expectations else { return nil }
        var scenario = Scenario(name: name, description: description, file: r.file, duration: duration,
                        quiesce: quiesce, seeds: seeds, topology: topology, mysql: mysql,
                        architecture: architecture, workloads: workloads, faults: faults, frontDoor: frontDoor.spec,
                        expectations: expectations, group: m.value("group").flatMap { r.string($0, path: "group") })
        scenario.faultProcesses = processes
        scenario.sampleInterval = sampleInterval
        scenario.web = web.spec
        return FaultProcessBuilder(self).checkTargets(scenario) ? scenario : nil
    }

    func readSeeds(_ node: Node) -> [UInt64]? {
        guard let items = r.sequence(node, path: "seeds") else { return nil }
        if items.isEmpty {
            r.error(node, "seeds is empty", hint: "give at least one seed, e.g. seeds: [1, 2, 3]")
            return nil
        }
        var seeds: [UInt64] = []
        var ok = true
        for item in items {
            guard let v = r.int(item, path: "a seed") else { ok = false; continue }
            guard v >= 0 else {
                r.error(item, "seeds must be non-negative integers, found \(v)", hint: "e.g. seeds: [1, 2, 3]")
                ok = false
                continue
            }
            seeds.append(UInt64(v))
        }
        return ok ? seeds : nil
    }

    // MARK: - Durations and numbers with bounds

    func positiveDuration(_ node: Node, path: String) -> SimTime? {
        guard let t = r.duration(node, path: path) else { return nil }
        guard t > 0 else {
            r.error(node, "\(path) must be longer than 0", hint: "use a duration greater than 0")
            return nil
        }
        return t
    }

    func nonNegativeNumber(_ node: Node, path: String) -> Double? {
        guard let v = r.number(node, path: path) else { return nil }
        guard v >= 0 else {
            r.error(node, "\(path) must not be negative, found \(v.plainDescription)", hint: "use 0 or a positive number")
            return nil
        }
        return v
    }

    func positiveNumber(_ node: Node, path: String) -> Double? {
        guard let v = r.number(node, path: path) else { return nil }
        guard v > 0 else {
            r.error(node, "\(path) must be greater than 0, found \(v.plainDescription)", hint: "use a positive number")
            return nil
        }
        return v
    }

    func intAtLeast(_ minimum: Int, _ node: Node, path: String) -> Int? {
        guard let v = r.int(node, path: path) else { return nil }
        guard v >= minimum else {
            r.error(node, "\(path) must be at least \(minimum), found \(v)", hint: "use a whole number of \(minimum) or more")
            return nil
        }
        return v
    }

    /// A UDP client sends to an IP address: a VIP or a host's own. A DNS name needs a resolver
    /// call and a proxy forwards TCP only; neither is modelled for datagrams.
    private func checkUDPFrontDoor(_ workloads: [WorkloadSpec], _ spec: FrontDoorSpec?, _ node: Node?) -> Bool {
        guard workloads.contains(where: { $0.udp != nil && $0.address == nil }) else { return true }
        switch spec {
        case .dns?, .proxy?:
            r.error(node, "a protocol: udp workload group cannot go through a DNS or proxy front door",
                    hint: "use front_door: {vip: ...}, or give the UDP group an address (a VIP or a host)")
            return false
        default: return true
        }
    }
}
