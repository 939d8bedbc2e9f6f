import ArgumentParser
import Foundation
import HasimStore
import HasimStrategies
import HasimReport
import HasimResults
import HasimScenario

/// `--format text|json|csv`: what a tool reads. The names and shapes are stable (documented
/// in results/README.md, checked against results/hasim-output.schema.json by the tests):
/// a run is `scenario`, `file`, `group`, `strategy`, `seed`, `metrics` {name: number|null};
/// every duration is a number of seconds (a metric's unit is in `units`), never "19.2 min".
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json, csv
}

struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "Output: text (for people), json or csv (for tools; see results/README.md).")
    var format: OutputFormat = .text
}

enum MachineOutput {
    // MARK: JSON writing (sorted keys, so the same input gives the same bytes)

    indirect enum J {
        case str(String), num(Double?), int(Int64), bool(Bool), arr([J]), obj([(String, J)])

        var text: String {
            switch self {
            case .str(let s): return quote(s)
            case .num(let d):
                guard let d, d.isFinite else { return "null" }
                if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
                return "\(d)"
            case .int(let i): return String(i)
            case .bool(let b): return b ? "true" : "false"
            case .arr(let a): return "[" + a.map(\.text).joined(separator: ",") + "]"
            case .obj(let o): return "{" + o.map { quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
            }
        }

        func quote(_ s: String) -> String { ScenarioParameters.str(s) }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func csv(_ rows: [[String]]) -> String {
        rows.map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n")
    }

    static func number(_ d: Double?) -> String { J.num(d).text == "null" ? "" : J.num(d).text }

    // MARK: Runs (run, compare, check)

    static func group(of r: RunReport) -> String {
        JSONValue.parse(r.parametersJSON)["group"]?.string ?? (r.scenarioFile as NSString).deletingLastPathComponent
    }

    /// Every metric name of the runs, sorted (stable columns whatever order runs come in).
    static func metricNames(_ reports: [RunReport]) -> [String] {
        Array(Set(reports.flatMap { $0.metrics.map(\.name) })).sorted()
    }

    static func runsJSON(command: String, database: String?, reports: [RunReport], misses: [CheckMiss] = []) -> String {
        let names = metricNames(reports)
        var units: [(String, J)] = []
        for n in names {
            if let u = reports.lazy.compactMap({ $0.metrics.first { $0.name == n }?.unit }).first { units.append((n, .str(u))) }
        }
        let runs: [J] = reports.map { r in
            let values = Dictionary(r.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            return .obj([("file", .str(r.scenarioFile)), ("group", .str(group(of: r))),
                         ("metrics", .obj(names.map { ($0, .num(values[$0].flatMap { $0.isNaN ? nil : $0 })) })),
                         ("scenario", .str(r.scenarioName)), ("seed", .int(Int64(bitPattern: r.seed))),
                         ("strategy", .str(r.strategy))])
        }
        var top: [(String, J)] = [("command", .str(command))]
        if let database { top.append(("database", .str(database))) }
        if command == "check" {
            top.append(("misses", .arr(misses.map { m in
                .obj([("actual", .num(m.actual)), ("expect", .str(m.expectation.boundDescription)),
                      ("file", .str(m.file)), ("location", .str(m.expectation.mark.map { "\($0)" } ?? m.file)),
                      ("metric", .str(m.expectation.metric)), ("seed", .int(Int64(bitPattern: m.seed)))])
            })))
        }
        top += [("runs", .arr(runs)), ("schema", .str("hasim-output/1")), ("units", .obj(units))]
        return J.obj(top.sorted { $0.0 < $1.0 }).text
    }

    static func runsCSV(_ reports: [RunReport]) -> String {
        let names = metricNames(reports)
        var rows = [["scenario", "file", "group", "strategy", "seed"] + names]
        for r in reports {
            let values = Dictionary(r.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            rows.append([r.scenarioName, r.scenarioFile, group(of: r), r.strategy, String(r.seed)]
                        + names.map { n in values[n].map { $0.isNaN ? "" : number($0) } ?? "" })
        }
        return csv(rows)
    }

    // MARK: list

    static func listJSON() -> String {
        J.obj([("schema", .str("hasim-output/1")), ("strategies", .arr(StrategyCatalog.all.map { d in
            .obj([("name", .str(d.name)), ("options", .arr(d.options.map(option))), ("summary", .str(d.summary))])
        }))]).text
    }

    static func option(_ o: OptionSpec) -> J {
        var pairs: [(String, J)] = [("choices", .arr(o.choices.map { .str($0) })), ("default", defaultValue(o.defaultValue)),
                                    ("help", .str(o.help)), ("kind", .str(o.kind.rawValue)), ("name", .str(o.name)),
                                    ("source", .str(o.source))]
        if o.kind == .duration { pairs.append(("unit", .str("s"))) }
        if let r = range(o.range) { pairs.append(("range", r)) }
        return .obj(pairs.sorted { $0.0 < $1.0 })
    }

    /// The accepted values in the option's machine unit (seconds for durations).
    static func range(_ r: OptionRange) -> J? {
        let bounds: (Double, Double, Bool, Bool)
        var orZero = false
        switch r {
        case .any: return nil
        case .durations(let d, let orOff):
            bounds = (Double(d.lowerBound) / 1e9, Double(d.upperBound) / 1e9, false, false)
            orZero = orOff
        case .integers(let i): bounds = (Double(i.lowerBound), Double(i.upperBound), false, false)
        case .numbers(let n, let lo, let hi): bounds = (n.lowerBound, n.upperBound, lo, hi)
        }
        var pairs: [(String, J)] = [("max", .num(bounds.1)), ("max_exclusive", .bool(bounds.3)),
                                    ("min", .num(bounds.0)), ("min_exclusive", .bool(bounds.2))]
        // 0 turns the check off, besides min...max (an interval "0: none").
        if orZero { pairs.append(("or_zero", .bool(true))) }
        return .obj(pairs)
    }

    /// A duration default in seconds, like every duration of the machine output.
    static func defaultValue(_ v: OptionValue) -> J {
        switch v {
        case .duration(let t): return .num(Double(t) / 1e9)
        case .int(let i): return .int(Int64(i))
        case .double(let d): return .num(d)
        case .bool(let b): return .bool(b)
        case .string(let s): return .str(s)
        }
    }

    static func listCSV() -> String {
        var rows = [["strategy", "option", "kind", "default", "unit", "source", "help", "range"]]
        for d in StrategyCatalog.all {
            for o in d.options {
                rows.append([d.name, o.name, o.kind.rawValue, defaultValue(o.defaultValue).text.trimmingCharacters(in: ["\""]),
                             o.kind == .duration ? "s" : "", o.source, o.help, o.range == .any ? "" : o.range.description])
            }
        }
        return csv(rows)
    }
}

extension MachineOutput {
    // MARK: validate

    struct Validated {
        var file: String
        var scenario: Scenario?
        var issues: [ScenarioIssue]
    }

    static func issueJSON(_ i: ScenarioIssue) -> J {
        .obj([("column", i.mark.map { .int(Int64($0.column)) } ?? .num(nil)), ("file", .str(i.mark?.file ?? i.file)),
              ("hint", i.hint.map { .str($0) } ?? .num(nil)), ("line", i.mark.map { .int(Int64($0.line)) } ?? .num(nil)),
              ("message", .str(i.message))])
    }

    static func validateJSON(_ files: [Validated]) -> String {
        J.obj([("files", .arr(files.map { v in
            .obj([("errors", .arr(v.issues.map(issueJSON))), ("faults", v.scenario.map { .int(Int64($0.faults.count)) } ?? .num(nil)),
                  ("file", .str(v.file)), ("ok", .bool(v.issues.isEmpty)),
                  ("seeds", .arr((v.scenario?.seeds ?? []).map { .int(Int64(bitPattern: $0)) })),
                  ("strategy", v.scenario.map { .str($0.architecture.strategy) } ?? .num(nil))])
        })), ("schema", .str("hasim-output/1"))]).text
    }

    static func validateCSV(_ files: [Validated]) -> String {
        var rows = [["file", "ok", "strategy", "line", "column", "message", "hint"]]
        for v in files {
            if v.issues.isEmpty { rows.append([v.file, "true", v.scenario?.architecture.strategy ?? "", "", "", "", ""]) }
            for i in v.issues {
                rows.append([i.mark?.file ?? i.file, "false", "", i.mark.map { String($0.line) } ?? "",
                             i.mark.map { String($0.column) } ?? "", i.message, i.hint ?? ""])
            }
        }
        return csv(rows)
    }
}
