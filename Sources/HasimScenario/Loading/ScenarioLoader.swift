import Foundation
import HasimKernel
import Yams

/// Reads a scenario file (YAML, see scenarios/README.md "Scenario file
/// reference") into a checked `Scenario`. Every problem found is reported with
/// its file:line:column and, where possible, a hint; loading never crashes on
/// bad input.
public enum ScenarioLoader {
    /// Loads and validates the scenario file at `path`.
    /// - Throws: `ScenarioErrors` listing every problem found.
    public static func load(path: String) throws -> Scenario {
        let text: String
        switch readFile(path) {
        case .success(let t): text = t
        case .failure(let issue): throw ScenarioErrors(issues: [issue])
        }
        return try load(text: text, file: path)
    }

    /// Loads and validates scenario text; `file` is used in messages and stored
    /// in `Scenario.file`.
    /// - Throws: `ScenarioErrors` listing every problem found.
    public static func load(text: String, file: String) throws -> Scenario {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ScenarioErrors(issues: [syntaxIssue(error, file: file, text: text)])
        }
        guard let root else {
            throw ScenarioErrors(issues: [ScenarioIssue(
                mark: SourceMark(file: file, line: 1, column: 1),
                message: "the scenario file is empty",
                hint: "a scenario needs at least name, duration, topology, architecture and workload",
                file: file)])
        }
        let reader = YAMLNodeReader(file: file)
        let builder = ScenarioBuilder(reader: reader)
        let scenario = builder.build(root)
        if !reader.issues.isEmpty {
            throw ScenarioErrors(issues: sortedByPosition(reader.issues))
        }
        guard let scenario else {
            throw ScenarioErrors(issues: [ScenarioIssue(
                mark: nil, message: "the scenario could not be loaded (internal error: no issue was reported)",
                file: file)])
        }
        return scenario
    }

    // MARK: - Helpers

    static func readFile(_ path: String) -> Result<String, ScenarioIssue> {
        func fail(_ message: String, _ hint: String? = nil) -> Result<String, ScenarioIssue> {
            .failure(ScenarioIssue(mark: nil, message: message, hint: hint, file: path))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return fail("cannot read scenario file: no such file", "check the path (relative paths start from the current directory)")
        }
        if isDirectory.boolValue {
            return fail("cannot read scenario file: it is a directory", "give the path of a .yaml file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return fail("cannot read scenario file: permission denied or I/O error")
        }
        return decode(Array(data), file: path)
    }

    /// The bytes of a scenario file as text; a byte sequence that is not UTF-8 is
    /// reported at its line and column (a stray Latin-1 'é' pasted from a document).
    public static func decode(_ bytes: [UInt8], file: String) -> Result<String, ScenarioIssue> {
        var line = 1, column = 1
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00..<0x80: length = 1
            case 0xC2..<0xE0: length = 2
            case 0xE0..<0xF0: length = 3
            case 0xF0..<0xF5: length = 4
            default: length = 0
            }
            var valid = length > 0 && i + length <= bytes.count
            if valid && length > 1 {
                for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { valid = false }
                // Overlong and surrogate forms that String would refuse.
                if valid && length == 3 {
                    let c = bytes[i + 1]
                    if (b == 0xE0 && c < 0xA0) || (b == 0xED && c >= 0xA0) { valid = false }
                }
                if valid && length == 4 {
                    let c = bytes[i + 1]
                    if (b == 0xF0 && c < 0x90) || (b == 0xF4 && c >= 0x90) { valid = false }
                }
            }
            if !valid {
                let hex = bytes[i..<min(bytes.count, i + 4)].map { String($0, radix: 16, uppercase: true) }
                    .map { $0.count == 1 ? "0x0" + $0 : "0x" + $0 }.joined(separator: " ")
                return .failure(ScenarioIssue(
                    mark: SourceMark(file: file, line: line, column: column),
                    message: "the file is not UTF-8 text: invalid bytes \(hex)",
                    hint: "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)", file: file))
            }
            if b == 0x0A { line += 1; column = 1 } else { column += 1 }
            i += length
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// Issues in file order (stable: issues at one position keep their order);
    /// issues without a position come first.
    static func sortedByPosition(_ issues: [ScenarioIssue]) -> [ScenarioIssue] {
        issues.enumerated().sorted { a, b in
            let ka = (a.element.mark?.line ?? 0, a.element.mark?.column ?? 0, a.offset)
            let kb = (b.element.mark?.line ?? 0, b.element.mark?.column ?? 0, b.offset)
            return ka < kb
        }.map(\.element)
    }

    /// Converts an error of the YAML parser to an issue at its line and column.
    static func syntaxIssue(_ error: Error, file: String, text: String) -> ScenarioIssue {
        func at(_ mark: Yams.Mark) -> SourceMark { SourceMark(file: file, line: mark.line, column: mark.column) }
        func contextHint(_ context: YamlError.Context?) -> String? {
            guard let context else { return "check the indentation and quoting around this line" }
            return "\(context.text) at line \(context.mark.line), column \(context.mark.column)"
        }
        guard let yamlError = error as? YamlError else {
            return ScenarioIssue(mark: nil, message: "invalid YAML: \(error)", file: file)
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let hint = isTab(at: mark, in: text)
                ? "YAML does not allow tabs for indentation; use spaces"
                : contextHint(context)
            return ScenarioIssue(mark: at(mark), message: "invalid YAML: \(problem)", hint: hint, file: file)
        case .reader(let problem, let offset, _, _):
            var mark: SourceMark?
            if let offset { mark = position(ofCharacterOffset: offset, in: text, file: file) }
            return ScenarioIssue(mark: mark, message: "invalid YAML: \(problem)", file: file)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            let mark = context.mark.line > 0 ? at(context.mark) : nil
            return ScenarioIssue(mark: mark, message: "duplicate key \(keys) in the same mapping",
                                 hint: "each key may appear only once; merge the two entries", file: file)
        default:
            return ScenarioIssue(mark: nil, message: "invalid YAML: \(yamlError)", file: file)
        }
    }

    /// Whether the character at a parser mark (1-based line, column in Unicode scalars) is a tab.
    static func isTab(at mark: Yams.Mark, in text: String) -> Bool {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count, mark.column >= 1 else { return false }
        let scalars = Array(lines[mark.line - 1].unicodeScalars)
        return mark.column <= scalars.count && scalars[mark.column - 1] == "\t"
    }

    /// 1-based line and column (in Unicode scalars) of a character offset.
    static func position(ofCharacterOffset offset: Int, in text: String, file: String) -> SourceMark {
        var line = 1, column = 1
        for (i, c) in text.enumerated() {
            if i >= offset { break }
            if c == "\n" || c == "\r\n" { line += 1; column = 1 } else { column += c.unicodeScalars.count }
        }
        return SourceMark(file: file, line: line, column: column)
    }
}
