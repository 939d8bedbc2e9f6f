import HasimKernel
import HasimStrategies

/// `--set KEY=V1,V2,...` on the command line: a parameter grid over scenario settings.
/// Each combination of values is one variant of every scenario, named after the values it
/// sets (`mha [ping_interval=1s]`), so results group by the swept values.
public struct SweepParameter: Sendable, Equatable {
    public var key: String
    public var values: [String]

    /// The keys a sweep may set, besides `architecture.options.<option>`.
    public static let scalarKeys = ["workload.writes_per_second", "workload.update_fraction", "workload.pool_size",
                                    "mysql.sql_thread_rate", "mysql.commit_latency", "duration"]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }

    /// Parses `architecture.options.ping_interval=1s,3s`.
    public init(parsing text: String) throws {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw SweepError("--set \(text): expected KEY=VALUE[,VALUE...]",
                             hint: "e.g. --set architecture.options.ping_interval=1s,3s")
        }
        key = String(text[..<eq])
        values = text[text.index(after: eq)...].split(separator: ",", omittingEmptySubsequences: false)
            .map { String(String($0).trimmingWhitespace()) }
        guard !values.contains(where: \.isEmpty) else {
            throw SweepError("--set \(text): an empty value", hint: "separate values with commas, e.g. 1s,3s")
        }
    }
}

public struct SweepError: Error, CustomStringConvertible {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }
    public var description: String { "error: \(message)" + (hint.map { "\n  hint: \($0)" } ?? "") }
}

public enum Sweep {
    /// Every scenario × every combination of the parameters' values (the first parameter
    /// varies slowest), in that order. Values are checked against each scenario.
    public static func expand(_ scenarios: [Scenario], _ parameters: [SweepParameter]) throws -> [Scenario] {
        guard !parameters.isEmpty else { return scenarios }
        var combos: [[(String, String)]] = [[]]
        for p in parameters {
            combos = combos.flatMap { c in p.values.map { c + [(p.key, $0)] } }
        }
        var out: [Scenario] = []
        for s in scenarios {
            for combo in combos {
                var v = s
                for (k, value) in combo { try apply(&v, key: k, value: value) }
                v.name = name(s.name, combo.map { (String($0.0.split(separator: ".").last!), $0.1) })
                out.append(v)
            }
        }
        return out
    }

    /// A variant's name: the scenario's, then the values it sets (`mha [ping_interval=1s, pool_size=60]`),
    /// the last part of each key. `settings(of:)` reads it back.
    public static func name(_ base: String, _ settings: [(key: String, value: String)]) -> String {
        "\(base) [" + settings.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "]"
    }

    /// The scenario's own name and the swept settings of a variant's name, or nil for a name
    /// no sweep made. A value never holds a comma (`--set` splits on them), a key never an '='.
    public static func settings(of name: String) -> (base: String, settings: [(key: String, value: String)])? {
        guard name.hasSuffix("]"), let open = name.range(of: " [", options: .backwards) else { return nil }
        let inside = name[open.upperBound..<name.index(before: name.endIndex)]
        var out: [(key: String, value: String)] = []
        for part in inside.components(separatedBy: ", ") {
            guard let eq = part.firstIndex(of: "="), eq != part.startIndex else { return nil }
            out.append((String(part[..<eq]), String(part[part.index(after: eq)...])))
        }
        return out.isEmpty ? nil : (String(name[..<open.lowerBound]), out)
    }

    static func apply(_ s: inout Scenario, key: String, value: String) throws {
        let prefix = "architecture.options."
        if key.hasPrefix(prefix) {
            let name = String(key.dropFirst(prefix.count))
            guard let d = StrategyCatalog.descriptor(named: s.architecture.strategy) else { return }
            guard let spec = d.options.first(where: { $0.name == name }) else {
                throw SweepError("--set \(key): strategy '\(d.name)' of \(s.file) has no option '\(name)'",
                                 hint: Suggestions.hint(for: name, in: d.options.map(\.name), listing: "its options"))
            }
            var given = s.architecture.options.values
            let v = try optionValue(spec, value, key: key)
            guard spec.range.contains(v) else {
                throw SweepError("--set \(key)=\(value): outside the option's range \(spec.range)", hint: OptionRange.hint(spec))
            }
            given[name] = v
            s.architecture.options = OptionValues(defaultsOf: d.options, overrides: given)
            return
        }
        switch key {
        case "workload.writes_per_second": s.workloads[0].writesPerSecond = try number(value, key: key, min: 0)
        case "workload.update_fraction": s.workloads[0].updateFraction = try number(value, key: key, min: 0, max: 1)
        case "workload.pool_size": s.workloads[0].poolSize = Int(try number(value, key: key, min: 1, integer: true))
        case "mysql.sql_thread_rate": s.mysql.sqlThreadRate = try number(value, key: key, min: .leastNonzeroMagnitude)
        case "mysql.commit_latency": s.mysql.commitLatency = try duration(value, key: key)
        case "duration": s.duration = try duration(value, key: key, positive: true)
        default:
            throw SweepError("--set \(key): not a key a sweep can set",
                             hint: "architecture.options.<option> or one of " + SweepParameter.scalarKeys.joined(separator: ", "))
        }
    }

    static func optionValue(_ spec: OptionSpec, _ text: String, key: String) throws -> OptionValue {
        switch spec.kind {
        case .duration: return .duration(try duration(text, key: key))
        case .int: return .int(Int(try number(text, key: key, min: -Double.greatestFiniteMagnitude, integer: true)))
        case .double: return .double(try number(text, key: key, min: -Double.greatestFiniteMagnitude))
        case .bool:
            guard let b = ["true": true, "false": false][text] else {
                throw SweepError("--set \(key)=\(text): expected true or false")
            }
            return .bool(b)
        case .string:
            guard spec.choices.isEmpty || spec.choices.contains(text) else {
                throw SweepError("--set \(key)=\(text): not one of \(spec.choices.joined(separator: ", "))",
                                 hint: Suggestions.hint(for: text, in: spec.choices, listing: "choices"))
            }
            return .string(text)
        }
    }

    static func number(_ text: String, key: String, min: Double, max: Double = .greatestFiniteMagnitude,
                       integer: Bool = false) throws -> Double {
        guard let v = Double(text), v.isFinite, v >= min, v <= max, !integer || v == v.rounded() else {
            throw SweepError("--set \(key)=\(text): expected \(integer ? "an integer" : "a number")"
                             + (min > -Double.greatestFiniteMagnitude ? " ≥ \(min == .leastNonzeroMagnitude ? "more than 0" : "\(min)")" : ""))
        }
        return v
    }

    static func duration(_ text: String, key: String, positive: Bool = false) throws -> SimTime {
        guard case .success(let t) = DurationParser.parse(text), !positive || t > 0 else {
            throw SweepError("--set \(key)=\(text): expected a duration with a unit", hint: "units: \(DurationParser.unitList), e.g. 1s")
        }
        return t
    }
}
