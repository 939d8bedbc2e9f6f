import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase

/// The redo log's value jobs (a target, tag and arguments instead of a closure per commit, as
/// Galera acknowledges its local commits) and its flush as an event of its own: the same group
/// commits, at the same times and in the same order, as the closures they replaced.
@Suite struct RedoLogJobTests {
    final class Recorder: ComputeTarget {
        let sim: Simulation
        var done: [(id: Int64, at: SimTime)] = []
        init(sim: Simulation) { self.sim = sim }
        func computed(_ tag: UInt32, _ arg: Int64, _ arg2: Int64) { done.append((arg, sim.now)) }
    }

    /// Commits arriving with jitter, each as a job or a closure (`jobs` says which); returns
    /// every commit's durable time by id and the fsyncs.
    static func run(seed: UInt64, jobs: (Int) -> Bool, loseAt: SimTime? = nil) -> (done: [Int64: SimTime], flushes: Int) {
        let sim = Simulation(seed: seed)
        let log = RedoLog(sim: sim, fsync: .logNormal(median: Time.us(800), sigma: 0.5), stream: "t")
        let r = Recorder(sim: sim)
        var closures: [(id: Int64, at: SimTime)] = []
        var rng = sim.random("arrivals")
        var t: SimTime = 0
        for i in 0..<400 {
            t += Time.fromSeconds(rng.logNormal(median: 300e-6, sigma: 0.8))
            let id = Int64(i), job = jobs(i)
            _ = sim.at(t) {
                if job { log.commit(r, tag: 7, id, 0) } else { log.commit { closures.append((id, sim.now)) } }
            }
        }
        if let loseAt { _ = sim.at(loseAt) { log.lose() } }
        sim.run()
        var done: [Int64: SimTime] = [:]
        for (id, at) in r.done + closures { done[id] = at }
        return (done, log.flushes)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func jobsAreDurableWhenClosuresWere(seed: UInt64) {
        let closures = Self.run(seed: seed, jobs: { _ in false })
        let jobs = Self.run(seed: seed, jobs: { _ in true })
        let mixed = Self.run(seed: seed, jobs: { $0 % 3 == 0 })
        #expect(closures.done.count == 400)
        // Group commit happened (fewer fsyncs than commits), and the same groups either way.
        #expect(closures.flushes < 400)
        #expect(jobs.flushes == closures.flushes && mixed.flushes == closures.flushes)
        #expect(jobs.done == closures.done)
        #expect(mixed.done == closures.done)
    }

    @Test func aLostLogNeverAcknowledgesWhatWaited() {
        // Flip: without the loss every commit is durable; with it, those in the fsync in flight
        // and waiting for the next are never acknowledged, jobs and closures alike.
        let whole = Self.run(seed: 4, jobs: { $0 % 2 == 0 })
        let lost = Self.run(seed: 4, jobs: { $0 % 2 == 0 }, loseAt: Time.ms(40))
        #expect(whole.done.count == 400)
        #expect(lost.done.count < 400)
        #expect(lost.done.count > 0)
        // What was acknowledged before the loss is the same.
        for (id, at) in lost.done where at < Time.ms(40) { #expect(whole.done[id] == at) }
    }
}
