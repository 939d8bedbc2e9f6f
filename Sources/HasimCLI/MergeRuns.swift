import Foundation
import HasimKernel
import HasimStore

/// `hasim merge` of run databases (`hasim run`/`compare --shard K/N`).
extension MergeCommand {
    /// One shard database: the invocation it holds, its K/N and its runs in the order written.
    struct RunShard {
        let path: String
        let invocation: StoredInvocation
        let shard: Shard
        let runIDs: [Int64]
        let store: ResultsStore
    }

    /// The arguments that make two shards parts of one command: all but --shard and --out.
    static func commonArguments(_ invocation: StoredInvocation) -> [String] {
        guard let data = invocation.argumentsJSON.data(using: .utf8),
              let args = try? JSONDecoder().decode([String].self, from: data) else { return [] }
        var out: [String] = []
        var skip = false
        for a in args {
            if skip { skip = false; continue }
            if a == "--shard" || a == "--out" { skip = true; continue }
            if a.hasPrefix("--shard=") || a.hasPrefix("--out=") { continue }
            out.append(a)
        }
        return out
    }

    func openRunShard(_ path: String) throws -> RunShard {
        let store = try ResultsStore(path: path)
        let incomplete = try store.incompleteInvocations()
        guard incomplete.isEmpty else {
            try? store.close()
            throw ValidationFailure("\(path): its runs were interrupted (\(incomplete.count) incomplete invocation); run that shard again")
        }
        let runs = try store.runs()
        let invocationIDs = Array(Set(runs.map(\.invocation))).sorted()
        guard invocationIDs.count == 1, let inv = try store.invocations().first(where: { $0.id == invocationIDs[0] }) else {
            try? store.close()
            throw ValidationFailure("\(path): holds runs of \(invocationIDs.count) commands; a shard holds the runs of one `hasim run|compare --shard K/N`")
        }
        guard let shard = Shard.of(inv) else {
            try? store.close()
            throw ValidationFailure("\(path): was not written with --shard K/N (\(inv.command))")
        }
        return RunShard(path: path, invocation: inv, shard: shard, runIDs: runs.map(\.id), store: store)
    }

    func mergeRuns() throws {
        var parts: [RunShard] = []
        defer { for p in parts { try? p.store.close() } }
        for path in shards { parts.append(try openRunShard(path)) }
        let n = parts[0].shard.count
        let first = parts[0]
        for p in parts {
            guard p.shard.count == n else {
                throw ValidationFailure("\(p.path) is shard \(p.shard.index)/\(p.shard.count), \(first.path) is \(first.shard.index)/\(n): not shards of one command")
            }
            guard p.invocation.command == first.invocation.command,
                  Self.commonArguments(p.invocation) == Self.commonArguments(first.invocation) else {
                throw ValidationFailure("\(p.path) and \(first.path) were run with different commands or arguments: not shards of one command")
            }
        }
        let byIndex = Dictionary(grouping: parts, by: \.shard.index)
        if let twice = byIndex.first(where: { $0.value.count > 1 }) {
            throw ValidationFailure("shard \(twice.key)/\(n) given twice: \(twice.value.map(\.path).joined(separator: ", "))")
        }
        let missing = (1...n).filter { byIndex[$0] == nil }
        guard missing.isEmpty else {
            throw ValidationFailure("shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")) missing: the merge would not be the whole command")
        }
        let ordered = (1...n).map { byIndex[$0]![0] }
        let total = ordered.reduce(0) { $0 + $1.runIDs.count }
        for p in ordered where p.runIDs.count != p.shard.size(of: total) {
            throw ValidationFailure("\(p.path): \(p.runIDs.count) runs where shard \(p.shard.index)/\(n) of \(total) holds \(p.shard.size(of: total)): not shards of one command")
        }
        if FileManager.default.fileExists(atPath: out) {
            let existing = try ResultsStore(path: out)
            let held = try existing.runs(includeIncomplete: true).count
            try existing.close()
            guard held == 0 else { throw ValidationFailure("\(out) already holds \(held) runs; merge into a new database") }
        }
        // The merged database records the unsharded command, so it reads as that command's.
        let sink = try ResultsSink(path: out, command: first.invocation.command,
                                   arguments: Self.commonArguments(first.invocation), plannedJobs: total)
        for i in 0..<total {
            let p = ordered[i % n]
            sink.deliver(i, [try p.store.report(run: p.runIDs[i / n])])
        }
        try sink.finish()
        if !quiet { print("merged \(n) shards: \(total) runs\nresults: \(out)") }
    }
}
