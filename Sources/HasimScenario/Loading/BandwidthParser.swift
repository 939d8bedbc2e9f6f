import HasimKernel
import Yams

/// Link capacities as scenario files write them: a number and a unit of bits per second,
/// `100Mbit`, `1Gbit`, `2.5Gbit/s`, `500kbit`. A bare number is refused (bits or bytes?),
/// and so are bytes (`MB`): NICs are sold and configured in bits.
public enum BandwidthParser {
    static let units: [(name: String, bits: Double)] = [
        ("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1), ("gbps", 1e9), ("mbps", 1e6), ("kbps", 1e3), ("bps", 1),
    ]
    public static let unitList = "bit, kbit, Mbit, Gbit (per second; /s optional)"

    public struct Failure: Error, Sendable { public let reason: String; init(_ r: String) { reason = r } }

    /// Bits per second, or the reason it is not one.
    public static func parse(_ text: String) -> Result<Int64, Failure> {
        var t = text.trimmingWhitespace().lowercased()
        if t.hasSuffix("/s") { t.removeLast(2) }
        guard let unit = units.first(where: { t.hasSuffix($0.name) }) else {
            if Double(t) != nil { return .failure(Failure("the bare number \(text) has no unit")) }
            return .failure(Failure("unknown bandwidth '\(text)'"))
        }
        guard let v = Double(String(t.dropLast(unit.name.count)).trimmingWhitespace()), v > 0, v * unit.bits <= 1e13 else {
            return .failure(Failure("'\(text)' is not a capacity from 1 bit/s to 10 Tbit/s"))
        }
        return .success(Int64((v * unit.bits).rounded()))
    }

    /// As `hasim list` and the resolved YAML write it.
    public static func format(_ bits: Int64) -> String {
        if bits % 1_000_000_000 == 0 { return "\(bits / 1_000_000_000)Gbit" }
        if bits % 1_000_000 == 0 { return "\(bits / 1_000_000)Mbit" }
        if bits % 1_000 == 0 { return "\(bits / 1_000)kbit" }
        return "\(bits)bit"
    }
}

extension ScenarioBuilder {
    func bandwidth(_ node: Node, path: String) -> Int64? {
        guard let s = r.string(node, path: path) else { return nil }
        switch BandwidthParser.parse(s) {
        case .success(let v): return v
        case .failure(let why):
            r.error(node, "\(path): \(why.reason)", hint: "a capacity in bits per second with a unit: \(BandwidthParser.unitList), e.g. 1Gbit")
            return nil
        }
    }

    /// topology.nics: {lb1: {bandwidth: 1Gbit, packet_cost: 1us}}.
    func readNICs(_ node: Node) -> [NICSpec]? {
        guard let m = r.mapping(node, path: "topology.nics", allowed: nil) else { return nil }
        var out: [NICSpec] = []
        var ok = true
        for entry in m.entries {
            let path = "topology.nics.\(entry.key)"
            guard checkHost(entry.key, entry.keyNode, path: "topology.nics"),
                  let mm = r.mapping(entry.value, path: path, allowed: ["bandwidth", "packet_cost"])
            else { ok = false; continue }
            var spec = NICSpec(host: entry.key)
            if let n = mm.value("bandwidth") { if let v = bandwidth(n, path: "\(path).bandwidth") { spec.bitsPerSecond = v } else { ok = false } }
            if let n = mm.value("packet_cost") { if let v = r.duration(n, path: "\(path).packet_cost") { spec.packetCost = v } else { ok = false } }
            out.append(spec)
        }
        return ok ? out : nil
    }
}
