import HasimKernel

/// The type of a strategy option, as written in a scenario file.
public enum OptionKind: String, Sendable {
    case duration, int, double, bool, string
}

/// A value given to an option (or its default).
public enum OptionValue: Sendable, Equatable, CustomStringConvertible {
    case duration(SimTime)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)

    public var description: String {
        switch self {
        case .duration(let t): return Time.text(t)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return s
        }
    }
}

/// One documented option of a strategy: its name in the scenario file, its type,
/// the real tool's default and where that default comes from, and the values the
/// model can honour (`range`).
public struct OptionSpec: Sendable {
    public let name: String
    public let kind: OptionKind
    public let defaultValue: OptionValue
    public let help: String
    /// Where the default comes from (a tool's source, a manual, or our reasoning).
    public let source: String
    /// Allowed strings for `.string` options; empty means any.
    public let choices: [String]
    /// The values validation accepts; `OptionRange.standard` for the kind unless the
    /// option gives its own (the real tool's range, or what the model needs).
    public let range: OptionRange

    public init(_ name: String, _ kind: OptionKind, default value: OptionValue, help: String,
                source: String, choices: [String] = [], range: OptionRange? = nil) {
        self.name = name
        self.kind = kind
        self.defaultValue = value
        self.help = help
        self.source = source
        self.choices = choices
        self.range = range ?? .standard(kind, default: value)
    }
}

/// Option values after validation: every option of the spec has a value
/// (the scenario's or the default).
public struct OptionValues: Sendable, Equatable {
    public private(set) var values: [String: OptionValue]

    public init(_ values: [String: OptionValue] = [:]) { self.values = values }

    public init(defaultsOf specs: [OptionSpec], overrides: [String: OptionValue] = [:]) {
        var v: [String: OptionValue] = [:]
        for s in specs { v[s.name] = overrides[s.name] ?? s.defaultValue }
        values = v
    }

    public subscript(name: String) -> OptionValue? { values[name] }

    public func duration(_ name: String) -> SimTime {
        if case .duration(let t)? = values[name] { return t }
        preconditionFailure("option \(name) is not a duration")
    }
    public func int(_ name: String) -> Int {
        if case .int(let i)? = values[name] { return i }
        preconditionFailure("option \(name) is not an int")
    }
    public func double(_ name: String) -> Double {
        switch values[name] {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: preconditionFailure("option \(name) is not a number")
        }
    }
    public func bool(_ name: String) -> Bool {
        if case .bool(let b)? = values[name] { return b }
        preconditionFailure("option \(name) is not a bool")
    }
    public func string(_ name: String) -> String {
        if case .string(let s)? = values[name] { return s }
        preconditionFailure("option \(name) is not a string")
    }

    /// Sorted "name=value" pairs, for the results database and reports.
    public var sortedPairs: [(String, String)] {
        values.keys.sorted().map { ($0, values[$0]!.description) }
    }
}
