import Foundation
import ArgumentParser

/// One `--seed` argument: a seed (`7`), a range (`1-5`) or a list (`1,2,3`, `1-3,8`).
/// Every command that takes seeds parses them here, so they read the same everywhere.
public struct SeedList: ExpressibleByArgument, Sendable, Equatable {
    public let seeds: [UInt64]

    /// At most this many seeds from one argument (a typo such as `1-1000000000` would
    /// otherwise queue a billion runs).
    public static let limit = 100_000

    public init?(argument: String) {
        guard let s = try? SeedList.parse(argument) else { return nil }
        seeds = s
    }

    public static func parse(_ text: String) throws -> [UInt64] {
        var out: [UInt64] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.trimmingCharacters(in: .whitespaces)
            let bounds = p.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let lo = UInt64(bounds[0]), let hi = UInt64(bounds.last!), lo <= hi,
                  hi - lo < UInt64(limit), out.count + Int(hi - lo) + 1 <= limit
            else { throw ValidationError("invalid seed '\(p)' in '\(text)'") }
            out += Array(lo...hi)
        }
        return out
    }

    public static var defaultValueDescription: String { "" }
    public static var allValueStrings: [String] { [] }
}

extension Array where Element == SeedList {
    /// The seeds of every argument, in the order given.
    var seeds: [UInt64] { flatMap(\.seeds) }
}
