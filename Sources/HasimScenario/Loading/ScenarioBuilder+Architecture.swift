import HasimKernel
import HasimNetwork
import HasimStrategies
import Yams

// architecture: the strategy, its options, and its own checks of the topology.

extension ScenarioBuilder {
    // MARK: - Architecture

    func readArchitecture(_ node: Node) -> Architecture? {
        if case .scalar = node, let name = node.string {
            r.error(node, "expected a mapping for architecture, found '\(name)'",
                    hint: "write 'architecture: {strategy: \(name)}'")
            return nil
        }
        guard let m = r.mapping(node, path: "architecture", allowed: ["strategy", "options"], required: ["strategy"],
                                examples: ["strategy": "strategy: \(StrategyCatalog.names.first ?? "manual")"])
        else { return nil }
        architectureNode = node
        guard let strategyNode = m.value("strategy"), let name = r.string(strategyNode, path: "architecture.strategy")
        else { return nil }
        guard let descriptor = StrategyCatalog.descriptor(named: name) else {
            let known = "known strategies: " + StrategyCatalog.names.joined(separator: ", ")
            let near = Suggestions.nearest(name, in: StrategyCatalog.names)
            r.error(strategyNode, "unknown strategy '\(name)'", hint: near.map { "did you mean '\($0)'? \(known)" } ?? known)
            return nil
        }
        strategy = descriptor
        var given: [String: OptionValue] = [:]
        var ok = true
        if let optionsNode = m.value("options"), let om = r.mapping(optionsNode, path: "architecture.options", allowed: nil) {
            let names = descriptor.options.map(\.name)
            for entry in om.entries {
                guard let spec = descriptor.option(entry.key) else {
                    let hint = names.isEmpty
                        ? "strategy '\(name)' takes no options"
                        : Suggestions.hint(for: entry.key, in: names, listing: "options of '\(name)'")
                    r.error(entry.keyNode, "unknown option '\(entry.key)' for strategy '\(name)'", hint: hint)
                    ok = false
                    continue
                }
                if let value = readOption(spec, entry.value, path: om.path(entry.key)) {
                    given[spec.name] = value
                } else {
                    ok = false
                }
            }
        } else if m.value("options") != nil {
            ok = false
        }
        guard ok else { return nil }
        return Architecture(strategy: name, options: OptionValues(defaultsOf: descriptor.options, overrides: given))
    }

    func readOption(_ spec: OptionSpec, _ node: Node, path: String) -> OptionValue? {
        switch spec.kind {
        case .duration: return inRange(spec, r.duration(node, path: path).map { .duration($0) }, node, path: path)
        case .int: return inRange(spec, r.int(node, path: path).map { .int($0) }, node, path: path)
        case .double: return inRange(spec, r.number(node, path: path).map { .double($0) }, node, path: path)
        case .bool: return r.bool(node, path: path).map { .bool($0) }
        case .string:
            guard let s = r.string(node, path: path) else { return nil }
            if !spec.choices.isEmpty && !spec.choices.contains(s) {
                r.error(node, "'\(s)' is not a valid value for \(path)",
                        hint: Suggestions.nearest(s, in: spec.choices).map { "did you mean '\($0)'?" }
                            ?? "one of: " + spec.choices.joined(separator: ", "))
                return nil
            }
            return .string(s)
        }
    }

    /// The option's documented range (issue 17): a value outside it is refused where it
    /// is written, with the range in the message.
    private func inRange(_ spec: OptionSpec, _ value: OptionValue?, _ node: Node, path: String) -> OptionValue? {
        guard let value else { return nil }
        guard spec.range.contains(value) else {
            let shown = if case .duration(let t) = value { OptionRange.written(t) } else { value.description }
            r.error(node, "\(path) is \(shown), outside its range \(spec.range)", hint: OptionRange.hint(spec))
            return nil
        }
        return value
    }

    // MARK: - Strategy checks

    /// Runs the strategy's own topology checks, reported at the architecture section.
    func validateStrategy(_ architecture: Architecture) {
        guard let databases, let siteOf, let descriptor = StrategyCatalog.descriptor(named: architecture.strategy)
        else { return }
        let topology = StrategyTopology(
            primaries: databases.filter { $0.role == .primary }.map(\.host),
            replicas: databases.filter { $0.role == .replica }
                .compactMap { d in d.source.map { StrategyTopology.Replica(host: d.host, source: $0) } },
            siteOf: siteOf)
        for problem in descriptor.validate(topology) {
            r.error(architectureNode, problem, hint: "the databases and their roles are under topology.databases")
        }
        for problem in descriptor.validateOptions(topology, architecture.options) {
            r.error(architectureNode, problem, hint: "see `hasim list` for the strategy's options")
        }
    }
}
