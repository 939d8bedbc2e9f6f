/// One problem found in a scenario file, with where it is and how to fix it.
///
/// Its description reads like a compiler diagnostic:
///
///     scenarios/x.yaml:12:5: error: unknown key 'writes_per_sec' in workload
///       hint: did you mean 'writes_per_second'?
public struct ScenarioIssue: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is; nil when it concerns the whole file (e.g. it cannot be read).
    public var mark: SourceMark?
    public var message: String
    public var hint: String?
    /// The file the issue is about (used when there is no mark).
    public var file: String

    public init(mark: SourceMark?, message: String, hint: String? = nil, file: String? = nil) {
        self.mark = mark
        self.message = message
        self.hint = hint
        self.file = file ?? mark?.file ?? ""
    }

    public var description: String {
        let location = mark?.description ?? file
        // One error per line, one hint per line: a value that contains a line break (a
        // quoted "a\nb") is echoed with the break escaped, never raw.
        var text = location.isEmpty ? "error: \(Self.oneLine(message))" : "\(location): error: \(Self.oneLine(message))"
        if let hint, !hint.isEmpty { text += "\n  hint: \(Self.oneLine(hint))" }
        return text
    }
}

extension ScenarioIssue {
    static func oneLine(_ s: String) -> String {
        guard s.contains(where: { $0.isNewline || $0 == "\t" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "\n", "\r\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where c.isNewline:
                out += c.unicodeScalars.map { "\\u{" + String($0.value, radix: 16) + "}" }.joined()
            default: out.append(c)
            }
        }
        return out
    }
}

/// Every problem found while loading one scenario file, in file order.
public struct ScenarioErrors: Error, Sendable, CustomStringConvertible {
    public var issues: [ScenarioIssue]

    public init(issues: [ScenarioIssue]) { self.issues = issues }

    /// One diagnostic per issue, separated by newlines (no trailing newline).
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
