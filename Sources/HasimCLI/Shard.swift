import Foundation
import HasimStore

/// `--shard K/N`: this process does part K (from 1) of N of a command's work: the items i with
/// i mod N = K − 1, so shards of a list whose items differ in cost (architectures, faults) stay
/// balanced. Every run's result depends on its scenario and seed only, so the shards' union is
/// the whole command; `hasim merge` interleaves them back into the unsharded order.
public struct Shard: Equatable, Sendable {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public static func parse(_ text: String) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else {
            throw ValidationFailure("--shard \(text): expected K/N with 1 ≤ K ≤ N, e.g. --shard 2/3")
        }
        return Shard(index: k, count: n)
    }

    public func select<T>(_ items: [T]) -> [T] {
        items.indices.filter { $0 % count == index - 1 }.map { items[$0] }
    }

    /// How many of `total` items shard `index` holds.
    public func size(of total: Int) -> Int {
        total >= index ? (total - index) / count + 1 : 0
    }

    /// The `--shard K/N` an invocation was run with, read back from its stored arguments.
    public static func of(_ invocation: StoredInvocation) -> Shard? {
        guard let data = invocation.argumentsJSON.data(using: .utf8),
              let args = try? JSONDecoder().decode([String].self, from: data) else { return nil }
        for (i, a) in args.enumerated() {
            if a == "--shard", i + 1 < args.count { return try? parse(args[i + 1]) }
            if a.hasPrefix("--shard=") { return try? parse(String(a.dropFirst(8))) }
        }
        return nil
    }
}

/// The command line a results database records for its invocation (`invocations.arguments_json`):
/// this process's arguments, or those a caller runs a command with in-process (a test, a
/// driver running several commands), which `hasim merge` reads to tell shards of one command.
public enum InvocationArguments {
    @TaskLocal public static var override: [String]?
    public static var current: [String] { override ?? Array(CommandLine.arguments.dropFirst()) }
}
