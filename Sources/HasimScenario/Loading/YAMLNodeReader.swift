import HasimKernel
import Yams

/// A mapping of a scenario file whose keys have been checked: only known keys
/// remain, in file order.
struct YAMLMapping {
    struct Entry {
        let key: String
        let keyNode: Node
        let value: Node
    }

    let node: Node
    /// Dotted path of the mapping ("" for the document root), for messages.
    let path: String
    let entries: [Entry]
    /// Known keys suggested for unknown ones ("did you mean ...?"): a key
    /// suggested here is probably present under a typo, so it is not also
    /// reported as missing.
    var suggestedKeys: Set<String> = []

    /// The value of `key`, nil when absent or null (`key:` with nothing after it).
    func value(_ key: String) -> Node? {
        guard let entry = entries.first(where: { $0.key == key }) else { return nil }
        return entry.value.isNull ? nil : entry.value
    }

    func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }

    func has(_ key: String) -> Bool { value(key) != nil }

    /// Dotted path of a key of this mapping, as used in messages ("workload.client").
    func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// How the mapping is named in "unknown key 'x' in ...".
    var name: String { path.isEmpty ? "the scenario" : path }
}

extension Node {
    /// The resolved tag's name (`.int`, `.str`, `.null`, ...).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }

    var isNull: Bool {
        if case .scalar = self { return tagName == .null }
        return false
    }
}

/// Reads typed values out of a Yams node tree, recording an issue (with the
/// node's line and column) for every value of the wrong shape instead of
/// stopping at the first.
final class YAMLNodeReader {
    let file: String
    private(set) var issues: [ScenarioIssue] = []

    init(file: String) { self.file = file }

    // MARK: Issues

    func mark(_ node: Node?) -> SourceMark? {
        guard let m = node?.mark else { return nil }
        return SourceMark(file: file, line: m.line, column: m.column)
    }

    func error(_ node: Node?, _ message: String, hint: String? = nil) {
        error(at: mark(node), message, hint: hint)
    }

    func error(at mark: SourceMark?, _ message: String, hint: String? = nil) {
        issues.append(ScenarioIssue(mark: mark, message: message, hint: hint, file: file))
    }

    // MARK: Shapes

    /// A short description of what a node is, for "expected X, found Y".
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            if node.isNull { return "nothing" }
            let text = s.string.count > 40 ? String(s.string.prefix(37)) + "..." : s.string
            switch node.tagName {
            case .int, .float: return "the number \(text)"
            case .bool: return "the boolean \(text)"
            default: return "'\(text)'"
            }
        }
    }

    /// Reads a mapping, reporting keys that are not in `allowed` (with the
    /// nearest allowed key as a hint), keys that are not plain names, and
    /// `required` keys that are missing (at the mapping's own mark).
    /// `allowed == nil` accepts any key (e.g. site names).
    func mapping(_ node: Node, path: String, allowed: [String]?, required: [String] = [],
                 examples: [String: String] = [:]) -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            let name = path.isEmpty ? "the scenario file" : path
            error(node, "expected a mapping (key: value lines) for \(name), found \(Self.describe(node))",
                  hint: path.isEmpty ? "a scenario file starts with keys such as 'name:' and 'duration:'" : nil)
            return nil
        }
        var entries: [YAMLMapping.Entry] = []
        var suggested: Set<String> = []
        let shown = path.isEmpty ? "the scenario" : path
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, !keyNode.isNull else {
                error(keyNode, "keys in \(shown) must be plain names, found \(Self.describe(keyNode))",
                      hint: "write 'name: value'")
                continue
            }
            let key = scalar.string
            if let allowed, !allowed.contains(key) {
                if let near = Suggestions.nearest(key, in: allowed) { suggested.insert(near) }
                error(keyNode, "unknown key '\(key)' in \(shown)",
                      hint: Suggestions.hint(for: key, in: allowed, listing: "known keys"))
                continue
            }
            entries.append(.init(key: key, keyNode: keyNode, value: value))
        }
        let result = YAMLMapping(node: node, path: path, entries: entries, suggestedKeys: suggested)
        for key in required where !suggested.contains(key) {
            if let entry = entries.first(where: { $0.key == key }) {
                if entry.value.isNull {
                    error(entry.value, "'\(result.path(key))' has no value",
                          hint: examples[key].map { "e.g. \($0)" })
                }
            } else {
                error(node, "missing required key '\(key)' in \(shown)",
                      hint: examples[key].map { "add e.g. '\($0)'" })
            }
        }
        return result
    }

    func sequence(_ node: Node, path: String) -> [Node]? {
        guard case .sequence(let seq) = node else {
            error(node, "expected a list for \(path), found \(Self.describe(node))",
                  hint: "write a list, e.g. [a, b] or one '- item' per line")
            return nil
        }
        return Array(seq)
    }

    // MARK: Scalars

    /// Any non-null scalar, as written.
    func string(_ node: Node, path: String) -> String? {
        guard case .scalar(let s) = node, !node.isNull else {
            error(node, "expected a string for \(path), found \(Self.describe(node))",
                  hint: "write a plain value; quote it if it contains ':' or starts with '[' or '{'")
            return nil
        }
        return s.string
    }

    func stringList(_ node: Node, path: String) -> [(String, Node)]? {
        guard let items = sequence(node, path: path) else { return nil }
        var result: [(String, Node)] = []
        var ok = true
        for item in items {
            if let s = string(item, path: "an entry of \(path)") { result.append((s, item)) } else { ok = false }
        }
        return ok ? result : nil
    }

    func int(_ node: Node, path: String) -> Int? {
        if case .scalar(let s) = node {
            if node.tagName == .int {
                if let v = Int.construct(from: s) { return v }
                error(node, "\(path) is too large: \(s.string)", hint: "the largest allowed is \(Int.max)")
                return nil
            }
            if node.tagName == .float, let d = Double.construct(from: s), d.isFinite,
               d == d.rounded(), abs(d) < 1e15 {
                return Int(d)
            }
        }
        error(node, "expected a whole number for \(path), found \(Self.describe(node))",
              hint: "write an integer, e.g. 3")
        return nil
    }

    func number(_ node: Node, path: String) -> Double? {
        if case .scalar(let s) = node {
            switch node.tagName {
            case .int:
                if let v = Int.construct(from: s) { return Double(v) }
            case .float:
                if let d = Double.construct(from: s), d.isFinite { return d }
            default:
                break
            }
        }
        error(node, "expected a number for \(path), found \(Self.describe(node))",
              hint: "write a plain number, e.g. 0.5")
        return nil
    }

    func bool(_ node: Node, path: String) -> Bool? {
        if case .scalar(let s) = node, node.tagName == .bool, let b = Bool.construct(from: s) {
            return b
        }
        error(node, "expected true or false for \(path), found \(Self.describe(node))",
              hint: "write true or false")
        return nil
    }

    static let durationHint = "write a number with a unit (\(DurationParser.unitList)), e.g. 250ms, 1.5s, 5m"

    /// A duration such as "250ms"; a bare number is refused with the hint "add a unit".
    func duration(_ node: Node, path: String) -> SimTime? {
        guard case .scalar(let s) = node, !node.isNull else {
            error(node, "expected a duration for \(path), found \(Self.describe(node))",
                  hint: Self.durationHint)
            return nil
        }
        switch DurationParser.parse(s.string) {
        case .success(let t):
            return t
        case .failure(.bareNumber):
            error(node, "expected a duration for \(path), found the bare number \(s.string)",
                  hint: "add a unit, e.g. 30s")
        case .failure(.negative):
            error(node, "\(path) cannot be negative: \(s.string)", hint: "a duration is a length of time, e.g. 5s")
        case .failure(.unknownUnit(let u)):
            error(node, "unknown unit '\(u)' in duration '\(s.string)' for \(path)",
                  hint: "units: \(DurationParser.unitList)")
        case .failure(.tooLarge):
            error(node, "duration '\(s.string)' for \(path) is too large", hint: "durations are limited to \(DurationParser.horizonText)")
        case .failure(.empty), .failure(.malformed):
            error(node, "expected a duration for \(path), found \(Self.describe(node))",
                  hint: Self.durationHint)
        }
        return nil
    }

    /// A number in [0, 1].
    func probability(_ node: Node, path: String) -> Double? {
        guard let p = number(node, path: path) else { return nil }
        guard p >= 0 && p <= 1 else {
            error(node, "\(path) must be between 0 and 1, found \(p.plainDescription)",
                  hint: "a probability or fraction: 0 is never, 1 is always")
            return nil
        }
        return p
    }
}

extension Double {
    /// "500" rather than "500.0" for integral values.
    var plainDescription: String {
        if isFinite, self == rounded(), abs(self) < 1e15 { return String(Int64(self)) }
        return String(self)
    }
}
