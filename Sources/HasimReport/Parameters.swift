import HasimKernel

/// A run's `parameters_json` as the rows a DBA reads: "options.detection_delay =
/// 5m 00.000s", durations in s/min, the topology and faults in one line each.
public enum Parameters {
    /// (key, value) rows in a stable order: strategy and options first, then
    /// faults, topology, workload, mysql, the rest.
    public static func rows(_ p: JSONValue) -> [(key: String, value: String)] {
        var out: [(String, String)] = []
        flatten(p, prefix: "", into: &out)
        return out.filter { !["name", "file", "group"].contains($0.0) }
            .enumerated().sorted { (rank($0.element.0), $0.offset) < (rank($1.element.0), $1.offset) }
            .map { (key: $0.element.0, value: $0.element.1) }
    }

    /// strategy, options, faults, topology, front door, workload, mysql, run length, the rest.
    static func rank(_ k: String) -> Int {
        let order = ["strategy", "options.", "faults", "topology.", "front_door", "workload.", "mysql.", "duration", "quiesce"]
        return order.firstIndex { k == $0 || k.hasPrefix($0) } ?? order.count
    }

    static func flatten(_ v: JSONValue, prefix: String, into out: inout [(String, String)]) {
        switch (prefix, v) {
        case ("faults", .array(let a)):
            out.append(("faults", a.isEmpty ? "none" : a.map(fault).joined(separator: "; ")))
        case ("topology.databases", .array(let a)):
            out.append((prefix, a.map { db in
                let host = db["host"]?.string ?? "?"
                let role = db["role"]?.string ?? "?"
                if let s = db["source"]?.string { return "\(host) \(role) of \(s)" }
                return "\(host) \(role)"
            }.joined(separator: ", ")))
        case ("topology.sites", .array(let a)):
            out.append((prefix, a.map { s in
                "\(s["name"]?.string ?? "?"): " + (s["hosts"]?.array ?? []).compactMap(\.string).joined(separator: " ")
            }.joined(separator: " · ")))
        case (_, .object(let pairs)):
            for (k, x) in pairs { flatten(x, prefix: prefix.isEmpty ? k : "\(prefix).\(k)", into: &out) }
        default:
            var key = prefix
            if key.hasSuffix("_ns") {
                key.removeLast(3)
                if let n = v.int { out.append((key, Time.text(n))); return }
            }
            out.append((key, scalar(v)))
        }
    }

    static func scalar(_ v: JSONValue) -> String {
        switch v {
        case .null: return "—"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return Units.trimmed(d)
        case .string(let s): return s.isEmpty ? "(empty)" : s
        case .array(let a): return a.map(scalar).joined(separator: ", ")
        case .object: return v.compact
        }
    }

    /// "at 5 min: host_crash db1, recovers after 5 min".
    public static func fault(_ f: JSONValue) -> String {
        let at = f["at_ns"]?.int.map(Time.text(_:)) ?? "?"
        var what = ""
        if case .object(let pairs) = f {
            for (k, v) in pairs where !["at_ns", "recover_after_ns", "until_ns"].contains(k) {
                switch v {
                case .string(let s): what = "\(k) \(s)"
                case .object:
                    let a = (v["between"]?.array ?? []).compactMap(\.string).joined(separator: ",")
                    let b = (v["and"]?.array ?? []).compactMap(\.string).joined(separator: ",")
                    var extra = ""
                    if let add = v["add_ns"]?.int { extra = " +\(Time.text(add))" }
                    if let rate = v["rate"] { extra = " \(scalar(rate)) lost" }
                    if case .bool(true)? = v["one_way"] { extra += " (one-way)" }
                    what = "\(k) \(a) | \(b)\(extra)"
                default: what = "\(k) \(scalar(v))"
                }
            }
        }
        let rec = f["until_ns"]?.int.map { " until \(Time.text($0))" }
            ?? f["recover_after_ns"]?.int.map { ", recovers after \(Time.text($0))" } ?? ""
        return "at \(at): \(what)\(rec)"
    }

    /// Parameter rows across architectures: those whose values differ, and
    /// those every architecture shares.
    public static func comparison(_ archs: [ArchitectureSummary]) -> (differ: [(key: String, values: [String])], shared: [(key: String, value: String)]) {
        let perArch = archs.map { Dictionary(rows($0.parameters).map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
        var keys: [String] = []
        for a in archs { for r in rows(a.parameters) where !keys.contains(r.key) { keys.append(r.key) } }
        keys = keys.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        var differ: [(key: String, values: [String])] = []
        var shared: [(key: String, value: String)] = []
        for k in keys {
            let values = perArch.map { $0[k] ?? "—" }
            if Set(values).count == 1 { shared.append((k, values[0])) } else { differ.append((k, values)) }
        }
        return (differ, shared)
    }
}
