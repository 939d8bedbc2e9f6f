import Foundation
import Testing
@testable import HasimCLI
import HasimReport

/// The subset of JSON Schema results/hasim-output.schema.json uses: type, const, enum,
/// required, properties, additionalProperties, items, oneOf. Returns the problems found.
/// Values are read as `JSONValue`, which keeps true apart from 1 (Foundation on Linux does not).
func schemaProblems(_ value: JSONValue, _ schema: [String: Any], path: String = "$") -> [String] {
    if let one = schema["oneOf"] as? [[String: Any]] {
        let passing = one.filter { schemaProblems(value, $0, path: path).isEmpty }.count
        return passing == 1 ? [] : ["\(path): matches \(passing) of the oneOf schemas, want 1"]
    }
    var problems: [String] = []
    if let t = schema["type"] {
        let types = (t as? [String]) ?? [t as! String]
        func isType(_ name: String) -> Bool {
            switch (name, value) {
            case ("object", .object), ("array", .array), ("string", .string), ("null", .null), ("boolean", .bool),
                 ("integer", .int), ("number", .int), ("number", .double): return true
            default: return false
            }
        }
        if !types.contains(where: isType) { return ["\(path): not of type \(types)"] }
    }
    if let c = schema["const"] as? String, value.string != c { problems.append("\(path): not \(c)") }
    if let e = schema["enum"] as? [String], let s = value.string, !e.contains(s) { problems.append("\(path): \(s) not in \(e)") }
    if let o = value.object {
        let keys = Set(o.map(\.key))
        for r in schema["required"] as? [String] ?? [] where !keys.contains(r) { problems.append("\(path): missing \(r)") }
        let props = schema["properties"] as? [String: Any] ?? [:]
        for (k, v) in o {
            if let s = props[k] as? [String: Any] {
                problems += schemaProblems(v, s, path: "\(path).\(k)")
            } else if let extra = schema["additionalProperties"] {
                if let s = extra as? [String: Any] { problems += schemaProblems(v, s, path: "\(path).\(k)") }
                else if let b = extra as? Bool, !b { problems.append("\(path): unexpected key \(k)") }
            }
        }
    }
    if let a = value.array, let items = schema["items"] as? [String: Any] {
        for (i, v) in a.enumerated() { problems += schemaProblems(v, items, path: "\(path)[\(i)]") }
    }
    return problems
}

@Suite struct MachineOutputTests {
    let schema = try! JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: repoRoot + "/results/hasim-output.schema.json"))) as! [String: Any]

    /// What a command prints on stdout.
    func output(_ args: [String]) throws -> String {
        let pipe = Pipe()
        let saved = dup(STDOUT_FILENO)
        dup2(pipe.fileHandleForWriting.fileDescriptor, STDOUT_FILENO)
        // A command that ends with exit 1 on purpose still printed its output.
        if var c = try? Hasim.parseAsRoot(args) { try? c.run() }
        fflush(nil)
        dup2(saved, STDOUT_FILENO)
        close(saved)
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text
    }

    func parse(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func listJSONFollowsTheSchema() throws {
        let v = try parse(MachineOutput.listJSON())
        #expect(schemaProblems(v, schema).isEmpty, "\(schemaProblems(v, schema))")
        // Flip: a strategy without its options breaks the schema (the check can fail).
        let broken = try parse(MachineOutput.listJSON().replacingOccurrences(of: "\"options\":", with: "\"option\":"))
        #expect(!schemaProblems(broken, schema).isEmpty)
    }

    @Test func durationsAreSecondsEverywhere() throws {
        let v = try parse(MachineOutput.listJSON())
        let hb = try #require(v["strategies"]?.array?.first { $0["name"]?.string == "heartbeat-mon" })
        let deadtime = try #require(hb["options"]?.array?.first { $0["name"]?.string == "deadtime" })
        #expect(deadtime["default"]?.int == 30)
        #expect(deadtime["unit"]?.string == "s")
    }

    @Test func validateJSONFollowsTheSchemaAndLocatesErrors() throws {
        let good = MachineOutput.Validated(file: "a.yaml", scenario: nil, issues: [])
        let bad = MachineOutput.Validated(file: "b.yaml", scenario: nil, issues: [
            .init(mark: .init(file: "b.yaml", line: 4, column: 11), message: "expected a duration", hint: "add a unit")])
        let v = try parse(MachineOutput.validateJSON([good, bad]))
        #expect(schemaProblems(v, schema).isEmpty, "\(schemaProblems(v, schema))")
        let files = try #require(v["files"]?.array)
        let err = try #require(files[1]["errors"]?.array?.first)
        #expect(err["line"]?.int == 4 && err["column"]?.int == 11 && files[1]["ok"] == .bool(false))
        #expect(MachineOutput.validateCSV([good, bad]).split(separator: "\n")[2] == "b.yaml,false,,4,11,expected a duration,add a unit")
    }

    @Test func runJSONAndCSVFollowTheSchema() throws {
        let dir = temporaryFolder("format-json")
        let json = try output(["run", fixtures + "/single.yaml", "--seed", "1", "--out", dir + "/r.sqlite", "--format", "json"])
        let v = try parse(json)
        #expect(schemaProblems(v, schema).isEmpty, "\(schemaProblems(v, schema))")
        let run = try #require(v["runs"]?.array?.first)
        #expect(run["metrics"]?["write_downtime"]?.int != nil || run["metrics"]?["write_downtime"].map { if case .double = $0 { return true }; return false } == true)
        #expect(v["units"]?["write_downtime"]?.string == "s")
        let csv = try output(["run", fixtures + "/single.yaml", "--seed", "1", "--out", dir + "/c.sqlite", "--format", "csv"])
        let header = csv.split(separator: "\n")[0]
        #expect(header.hasPrefix("scenario,file,group,strategy,seed,"))
        #expect(header.contains("write_downtime") && csv.split(separator: "\n").count == 2)
    }
}
