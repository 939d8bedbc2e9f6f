import Foundation
import HasimKernel
import HasimScenario

/// Several architectures' fleet studies with their incident windows in one pool of workers.
///
/// Run one after the other, each study ended with its cores idle but one while its last windows
/// finished (and began with the plan on one core): with twelve architectures, twelve tails. Here
/// the windows of every study are one list, study after study (each study's compound windows
/// first, as in `FleetSimulator.run`); a worker takes the next window when it is free, so the
/// cores stay busy until the last window of the last study. A study is composed as soon as its
/// last window is in, and handed to `finished` in the order of `scenarios` (a caller that writes
/// each study as it comes keeps what finished if the command is interrupted).
///
/// Every window has its own seed, so the figures are those of `FleetSimulator.run` for each
/// study, whatever order the windows finish in.
public enum FleetPool {
    private final class State: @unchecked Sendable {  // guarded by `lock`
        let lock = NSLock()
        var results: [[IncidentResult?]]
        var remaining: [Int]
        var composed: [ArchitectureFleet?]
        var delivered = 0
        var errors: [(job: Int, error: any Error)] = []
        init(_ plans: [FleetPlan]) {
            results = plans.map { Array(repeating: nil, count: $0.jobCount) }
            remaining = plans.map(\.jobCount)
            composed = Array(repeating: nil, count: plans.count)
        }
    }

    /// Runs the studies of `scenarios`. `planned` is told how many windows there are before any
    /// runs and `window` each time one is done (for a progress line); `finished` gets each study
    /// in order, on whichever worker completed it.
    public static func run(_ scenarios: [Scenario], config: FleetConfig, parallel: Bool = true,
                           planned: (Int) -> Void = { _ in },
                           window: @escaping @Sendable () -> Void = {},
                           finished: @escaping @Sendable (Int, ArchitectureFleet) throws -> Void) throws {
        let plans = try scenarios.map { try FleetPlan($0, config: config) }
        var jobs: [(plan: Int, job: Int)] = []
        for (p, plan) in plans.enumerated() { for j in 0..<plan.jobCount { jobs.append((p, j)) } }
        planned(jobs.count)
        let state = State(plans)
        let all = jobs
        let work: @Sendable (Int) -> Void = { n in
            let (p, j) = all[n]
            let result: IncidentResult
            do {
                result = try plans[p].window(j)
            } catch {
                state.lock.lock(); state.errors.append((n, FleetError.incidentFailed("\(error)"))); state.lock.unlock()
                return
            }
            window()
            state.lock.lock()
            state.results[p][j] = result
            state.remaining[p] -= 1
            let mine = state.remaining[p] == 0 ? state.results[p] : nil
            state.lock.unlock()
            guard let mine else { return }
            // Composed outside the lock (the other worker goes on), delivered under it, in order.
            let fleet = plans[p].compose(mine.map { $0! }[...])
            state.lock.lock()
            defer { state.lock.unlock() }
            state.composed[p] = fleet
            while state.delivered < plans.count, let next = state.composed[state.delivered] {
                do { try finished(state.delivered, next) } catch {
                    // Nothing more is delivered: a caller that writes in order must not skip one.
                    state.errors.append((Int.max, error))
                    state.delivered = plans.count
                    return
                }
                state.composed[state.delivered] = nil
                state.delivered += 1
            }
        }
        if parallel && all.count > 1 {
            DispatchQueue.concurrentPerform(iterations: all.count, execute: work)
        } else {
            for n in all.indices { work(n) }
        }
        if let first = state.errors.min(by: { $0.job < $1.job }) { throw first.error }
    }
}
