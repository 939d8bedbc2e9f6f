import HasimKernel
import Yams

/// Reads `fault_processes:` (scenarios/README.md): component class -> its failure and
/// repair distributions; an empty entry (`disk: {}`) takes the class's published defaults.
struct FaultProcessBuilder {
    static let key = "fault_processes"
    static let keys = ["afr", "mtbf", "shape", "mttr", "repair_sigma"]

    let b: ScenarioBuilder
    var r: YAMLNodeReader { b.r }

    init(_ builder: ScenarioBuilder) { b = builder }

    func read(_ node: Node) -> [FaultProcessSpec]? {
        let classes = ComponentClass.allCases.map(\.rawValue)
        guard let m = r.mapping(node, path: Self.key, allowed: classes) else { return nil }
        var out: [FaultProcessSpec] = []
        var ok = true
        for e in m.entries {
            guard let c = ComponentClass(rawValue: e.key) else { continue }
            if let spec = readOne(c, e.value, path: m.path(e.key)) {
                var s = spec
                s.mark = r.mark(e.keyNode)
                out.append(s)
            } else { ok = false }
        }
        return ok ? out : nil
    }

    private func readOne(_ c: ComponentClass, _ node: Node, path: String) -> FaultProcessSpec? {
        var spec = FaultProcessSpec.defaultSpec(c)
        if node.isNull { return spec }
        guard let m = r.mapping(node, path: path, allowed: Self.keys) else { return nil }
        var ok = true
        if let n = m.value("afr") {
            if let v = b.positiveNumber(n, path: m.path("afr")) { spec.afr = v } else { ok = false }
        }
        if let n = m.value("mtbf") {
            if m.value("afr") != nil {
                r.error(n, "\(path) has both afr and mtbf", hint: "give one: afr is failures per year, mtbf = 1 year / afr")
                ok = false
            } else if let t = b.positiveDuration(n, path: m.path("mtbf")) {
                spec.afr = Double(FaultProcessSpec.year) / Double(t)
            } else { ok = false }
        }
        if let n = m.value("shape") {
            if let v = b.positiveNumber(n, path: m.path("shape")) { spec.shape = v } else { ok = false }
        }
        if let n = m.value("mttr") {
            if let t = b.positiveDuration(n, path: m.path("mttr")) { spec.mttr = t } else { ok = false }
        }
        if let n = m.value("repair_sigma") {
            if let v = b.nonNegativeNumber(n, path: m.path("repair_sigma")) { spec.repairSigma = v } else { ok = false }
        }
        return ok ? spec : nil
    }

    /// A class with nothing to break in this topology is a mistake, not a silent no-op.
    /// Checked on the built scenario: the targets are those `FaultTargets` derives.
    func checkTargets(_ scenario: Scenario) -> Bool {
        let targets = FaultTargets(scenario)
        var ok = true
        for p in scenario.faultProcesses where targets.count(p.component) == 0 {
            ok = false
            switch p.component {
            case .sitePartition:
                r.error(at: p.mark, "fault_processes.site_partition needs two sites, the topology has one",
                        hint: "add a second site under topology.sites, or remove site_partition")
            case .manager:
                r.error(at: p.mark, "fault_processes.manager: the design names no manager, monitor or proxy host",
                        hint: "a manager host is one a strategy option (e.g. manager_host) or the proxy front door names")
            case .maintenance:
                r.error(at: p.mark, "fault_processes.maintenance: strategy '\(scenario.architecture.strategy)' has no planned switchover in hasim, or the primary has no replica",
                        hint: "strategies with one: mha, manual (and vip-manual), mmm (the switchover fault in hasim list)")
            default:
                r.error(at: p.mark, "fault_processes.\(p.component.rawValue) has nothing to break in this topology",
                        hint: "remove it")
            }
        }
        return ok
    }
}
