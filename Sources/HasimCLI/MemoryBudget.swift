import HasimScenario

/// `--max-memory SIZE` (issue 17): a run whose process passes it stops with an error
/// instead of the kernel's OOM killer ending the whole command (a 24 h run at 50,000
/// writes/s needs ~21 MB per simulated second).
enum MemoryBudget {
    /// The default share of the machine: half, so the machine stays usable (the other
    /// engineers' builds, the database writes) and the error comes before the OOM killer.
    static let defaultShare = 0.5

    /// Bytes for `--max-memory`: nil (no budget) for "0", the default share of MemTotal
    /// when not given (none when /proc/meminfo cannot be read).
    static func bytes(_ text: String?) throws -> UInt64? {
        guard let text else {
            return RunWatch.machineMemoryBytes().map { UInt64(Double($0) * defaultShare) }
        }
        let units: [(String, UInt64)] = [("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("", 1)]
        var body = text.uppercased()
        if body.hasSuffix("B") { body.removeLast() }
        for (suffix, scale) in units where body.hasSuffix(suffix) {
            let number = String(body.dropLast(suffix.count))
            guard let v = Double(number), v.isFinite, v >= 0, v * Double(scale) < 1.8e19 else { break }
            return v == 0 ? nil : UInt64(v * Double(scale))
        }
        throw CLIError("--max-memory \(text): expected a size such as 4G, 512M or 0 (no limit)")
    }
}
