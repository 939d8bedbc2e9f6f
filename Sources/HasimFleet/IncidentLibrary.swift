import Foundation
import HasimKernel
import HasimScenario

/// Single-failure incidents simulated once per (fault class, target) and entry, then
/// drawn by the composition. Each entry draws its own repair time from the class's
/// process, so drawing an entry uniformly is drawing (repair, phase, jitter) from their
/// distributions; `librarySize` bounds how finely.
public struct IncidentLibrary: Sendable {
    public struct Key: Hashable, Sendable, Comparable {
        public var component: ComponentClass
        public var target: Int
        public static func < (a: Key, b: Key) -> Bool { (a.component.rawValue, a.target) < (b.component.rawValue, b.target) }
    }
    public struct Entry: Sendable {
        public var failure: SampledFailure
        public var result: IncidentResult
        /// The run seed of the window, so `hasim run` can replay it (`hasim fleet --explain`).
        public var seed: UInt64
    }

    /// Keys in a fixed order; entries per key in index order.
    public private(set) var keys: [Key] = []
    private var entries: [[Entry]] = []

    public func entries(_ key: Key) -> [Entry] {
        guard let i = keys.firstIndex(of: key) else { return [] }
        return entries[i]
    }

    public var runs: Int { entries.reduce(0) { $0 + $1.count } }

    /// Every entry, keys in order.
    public var all: [(key: Key, entries: [Entry])] { Array(zip(keys, entries)).map { ($0.0, $0.1) } }

    /// The library entry's failure: offset 0, its repair from its own stream.
    static func failure(_ key: Key, index: Int, process: FaultProcessSpec, seeds: SeedTree) -> SampledFailure {
        var rng = seeds.stream("library.\(key.component.rawValue).\(key.target).\(index).repair")
        return SampledFailure(component: key.component, target: key.target, at: 0, repair: process.repairTime(&rng))
    }

    /// The windows a library needs, in a fixed order: each key's entries in index order.
    public struct Plan: Sendable {
        public var keys: [Key] = []
        public var jobs: [(key: Int, failure: SampledFailure, seed: UInt64)] = []
    }

    public static func plan(processes: [FaultProcessSpec], targets: FaultTargets, config: FleetConfig,
                            seeds: SeedTree) -> Plan {
        var plan = Plan()
        for p in processes {
            for t in 0..<targets.count(p.component) {
                let key = Key(component: p.component, target: t)
                plan.keys.append(key)
                for k in 0..<config.librarySize {
                    plan.jobs.append((plan.keys.count - 1, failure(key, index: k, process: p, seeds: seeds),
                                      seeds.childSeed("library.\(p.component.rawValue).\(t).\(k).run")))
                }
            }
        }
        return plan
    }

    /// The library from its plan and each job's window result (in the plan's order).
    public static func assemble(_ plan: Plan, results: ArraySlice<IncidentResult>) -> IncidentLibrary {
        var lib = IncidentLibrary()
        lib.keys = plan.keys
        lib.entries = Array(repeating: [], count: plan.keys.count)
        for (job, result) in zip(plan.jobs, results) {
            lib.entries[job.key].append(Entry(failure: job.failure, result: result, seed: job.seed))
        }
        return lib
    }
}

/// Runs independent simulations across cores and returns their results in index order,
/// whatever order they finish in (so parallel and serial give the same numbers).
enum ParallelMap {
    private final class Box<T>: @unchecked Sendable {
        var results: [T?]
        var errors: [(Int, String)] = []
        let lock = NSLock()
        init(_ n: Int) { results = Array(repeating: nil, count: n) }
    }

    static func run<T: Sendable>(_ n: Int, parallel: Bool, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
        let box = Box<T>(n)
        let work: @Sendable (Int) -> Void = { i in
            do {
                let r = try body(i)
                box.lock.lock(); box.results[i] = r; box.lock.unlock()
            } catch {
                box.lock.lock(); box.errors.append((i, "\(error)")); box.lock.unlock()
            }
        }
        if parallel && n > 1 {
            DispatchQueue.concurrentPerform(iterations: n, execute: work)
        } else {
            for i in 0..<n { work(i) }
        }
        if let first = box.errors.min(by: { $0.0 < $1.0 }) { throw FleetError.incidentFailed(first.1) }
        return box.results.map { $0! }
    }
}

public enum FleetError: Error, CustomStringConvertible {
    case incidentFailed(String)
    case noProcesses(String)
    public var description: String {
        switch self {
        case .incidentFailed(let s): return "an incident window failed: \(s)"
        case .noProcesses(let s): return s
        }
    }
}
