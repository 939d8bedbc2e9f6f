import Foundation
import HasimScenario

/// An architecture file combined with a fault file (`hasim compare ARCH... --faults DIR`).
///
/// The architecture file says what is built (topology, strategy, front door, workload);
/// the fault file says what happens to it and for how long (`faults`, `duration`,
/// `quiesce`, `seeds`, `mysql`). A key the fault file gives replaces the architecture's,
/// so every architecture faces the same timeline. The fault file's `name` becomes the
/// scenario's `group`: `hasim compare` and the report compare architectures within a fault
/// and show each architecture across faults in the scorecard.
///
/// The two texts are joined line for line (the architecture's replaced keys blanked, not
/// removed), so every problem the scenario loader finds is reported at its line in the
/// file it is in: a host the fault names that the architecture lacks points at the fault
/// file, a misspelt strategy at the architecture file.
public enum FaultSuite {
    /// Top-level keys a fault file may set.
    public static let faultKeys = ["name", "description", "duration", "quiesce", "seeds", "faults", "mysql"]
    /// Keys that describe the architecture: refused in a fault file.
    static let architectureKeys = ["topology", "architecture", "front_door", "workload", "expect", "group"]

    public static func combine(architecture archPath: String, faults faultPath: String) throws -> Scenario {
        let archText = try read(archPath)
        let faultText = try read(faultPath)
        var faultLines = lines(faultText)
        var issues: [ScenarioIssue] = []
        var group: String?
        // The fault file's own keys: name (the group), description (its documentation).
        for (key, line, column) in topLevelKeys(faultLines) {
            if architectureKeys.contains(key) {
                issues.append(ScenarioIssue(mark: SourceMark(file: faultPath, line: line + 1, column: column + 1),
                                            message: "'\(key)' describes the architecture, not the fault",
                                            hint: "a fault file sets only \(faultKeys.joined(separator: ", ")); put \(key) in the architecture file",
                                            file: faultPath))
            } else if key == "name" {
                group = scalarValue(faultLines[line], key: key)
            }
        }
        if group == nil || group!.isEmpty {
            issues.append(ScenarioIssue(mark: SourceMark(file: faultPath, line: 1, column: 1),
                                        message: "the fault file has no name",
                                        hint: "add e.g. `name: primary host crash` (it names the fault in the scorecard)",
                                        file: faultPath))
        }
        guard issues.isEmpty, let group else { throw ScenarioErrors(issues: issues) }
        let replaced = Set(topLevelKeys(faultLines).map(\.key)).subtracting(["name", "description"])
        blank(&faultLines, keys: ["name", "description"])
        var archLines = lines(archText)
        blank(&archLines, keys: replaced.union(["group", "expect"]))
        let joined = archLines + faultLines + ["group: " + jsonQuoted(group)]
        do {
            var s = try ScenarioLoader.load(text: joined.joined(separator: "\n"), file: archPath)
            s.file = archPath + "+" + faultPath
            return s
        } catch let e as ScenarioErrors {
            throw ScenarioErrors(issues: e.issues.map { relocate($0, archLines: archLines.count, faultPath: faultPath) })
        }
    }

    /// An issue found in the joined text, moved to the file and line it came from.
    static func relocate(_ issue: ScenarioIssue, archLines: Int, faultPath: String) -> ScenarioIssue {
        guard var mark = issue.mark, mark.line > archLines else { return issue }
        mark.file = faultPath
        mark.line -= archLines
        var i = issue
        i.mark = mark
        i.file = faultPath
        return i
    }

    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioErrors(issues: [ScenarioIssue(mark: nil, message: "cannot read \(path)", file: path)])
        }
        switch ScenarioLoader.decode(Array(data), file: path) {
        case .success(let t): return t
        case .failure(let issue): throw ScenarioErrors(issues: [issue])
        }
    }

    static func lines(_ text: String) -> [String] {
        var l = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if l.last == "" { l.removeLast() }
        return l
    }

    /// Keys at column 0 (the document's top level), with their 0-based line and column.
    static func topLevelKeys(_ lines: [String]) -> [(key: String, line: Int, column: Int)] {
        lines.enumerated().compactMap { i, l in
            guard let first = l.first, first != " ", first != "#", first != "-", let colon = l.firstIndex(of: ":") else { return nil }
            return (String(l[..<colon]).trimmingCharacters(in: .whitespaces), i, 0)
        }
    }

    /// Blanks each of `keys`' lines and its block (indented, empty, comment or `- ` lines
    /// after it), keeping the line count so line numbers still hold.
    static func blank(_ lines: inout [String], keys: Set<String>) {
        var inBlock = false
        for i in lines.indices {
            let l = lines[i]
            let topLevel = l.first.map { $0 != " " && $0 != "#" && $0 != "-" } ?? false
            if topLevel {
                let key = l.firstIndex(of: ":").map { String(l[..<$0]).trimmingCharacters(in: .whitespaces) } ?? ""
                inBlock = keys.contains(key)
            }
            if inBlock { lines[i] = "" }
        }
    }

    /// `name: primary host crash` → "primary host crash" (quotes removed).
    static func scalarValue(_ line: String, key: String) -> String {
        var v = String(line.dropFirst(key.count + 1))
        if let hash = v.range(of: " #") { v = String(v[..<hash.lowerBound]) }
        v = v.trimmingCharacters(in: .whitespaces)
        if v.count >= 2, let f = v.first, f == "\"" || f == "'", v.last == f { v = String(v.dropFirst().dropLast()) }
        return v
    }

    static func jsonQuoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Every architecture against every fault, fault by fault (the report's group order).
    public static func scenarios(architectures: [String], faults: [String]) throws -> [Scenario] {
        var out: [Scenario] = []
        var problems: [String] = []
        for f in faults {
            for a in architectures {
                do { out.append(try combine(architecture: a, faults: f)) } catch { problems.append("\(error)") }
            }
        }
        // One problem of a fault file shows once, not once per architecture.
        var seen = Set<String>()
        let unique = problems.filter { seen.insert($0).inserted }
        if !unique.isEmpty { throw CLIError(unique.joined(separator: "\n")) }
        return out
    }
}
