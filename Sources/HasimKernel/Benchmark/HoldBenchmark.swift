/// Result of one hold-model measurement (the median of its repetitions).
public struct HoldResult: Sendable, Equatable {
    /// Pending timers (the size of the event heap during the run).
    public var pending: Int
    /// Events handled in the timed run.
    public var events: UInt64
    /// Wall-clock seconds of the timed part (`run` only; setup excluded).
    public var seconds: Double
    /// Wall seconds of every repetition, sorted.
    public var allSeconds: [Double]
    /// Simulated clock at the end of the first repetition (seed `seed`): equal for
    /// equal seeds, so it shows the run is deterministic and not optimised away.
    public var finalTime: SimTime

    public var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }

    public init(pending: Int, events: UInt64, seconds: Double, allSeconds: [Double], finalTime: SimTime) {
        self.pending = pending
        self.events = events
        self.seconds = seconds
        self.allSeconds = allSeconds
        self.finalTime = finalTime
    }
}

/// The classic hold model (as in ns-3 `bench-scheduler` and the SimPy anchor):
/// `pending` timers; each one, when it fires, re-arms itself at now + Exp(mean 1 s).
/// The heap therefore always holds `pending` events, and each handled event costs
/// one pop, one dispatch to a handler, one random draw and one push.
///
/// Goes through the real `Simulation` API (`register`, `schedule(after:)`, `run`),
/// so it measures what a model pays per event. This file is the benchmark harness:
/// the wall clock it reads never feeds back into a simulated run.
public enum HoldBenchmark {
    /// Runs the hold model `repetitions` times (seeds `seed`, `seed + 1`, ...) and
    /// reports the median wall time, as the reference floor does.
    public static func run(pending: Int, events: Int, seed: UInt64, repetitions: Int = 3) -> HoldResult {
        precondition(pending > 0 && events >= 0 && repetitions > 0)
        var runs: [(seconds: Double, events: UInt64, finalTime: SimTime)] = []
        for r in 0..<repetitions {
            runs.append(once(pending: pending, events: events, seed: seed &+ UInt64(r)))
        }
        let sorted = runs.sorted { $0.seconds < $1.seconds }
        let median = sorted[sorted.count / 2]
        return HoldResult(pending: pending, events: median.events, seconds: median.seconds,
                          allSeconds: sorted.map(\.seconds), finalTime: runs[0].finalTime)
    }

    /// One timed run: `events` events handled with `pending` timers in the heap.
    public static func once(pending: Int, events: Int, seed: UInt64) -> (seconds: Double, events: UInt64, finalTime: SimTime) {
        let sim = Simulation(seed: seed, expectedPending: pending + 1)
        let timers = HoldTimers(random: sim.random("hold"), budget: UInt64(events))
        let id = sim.register(timers)
        timers.id = id
        if events > 0 {
            for i in 0..<pending {
                sim.schedule(after: timers.draw(), id, tag: 0, arg: Int64(i))
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let handled = sim.run()
        let elapsed = start.duration(to: clock.now)
        let c = elapsed.components
        let seconds = Double(c.seconds) + Double(c.attoseconds) * 1e-18
        return (seconds, handled, sim.now)
    }
}

/// The timers of the hold model: one handler for all of them (`arg` = timer index).
final class HoldTimers: EventHandler {
    var random: SimRandom
    var id = HandlerID(raw: 0)
    /// Events still to handle; the run stops when it reaches zero.
    var budget: UInt64

    init(random: SimRandom, budget: UInt64) {
        self.random = random
        self.budget = budget
    }

    /// Exp(mean 1 s), in integer nanoseconds.
    ///
    /// The stream is copied to a local around the draw: mutating the stored
    /// property in place would hold a dynamically checked exclusive access to it
    /// across the call to `log` (`swift_beginAccess`, ~5 % of an event here).
    /// The same idiom pays off in any model's hot handler.
    @inline(__always)
    func draw() -> SimTime {
        var r = random
        let seconds = r.exponential(mean: 1.0)
        random = r
        return Time.fromSeconds(seconds)
    }

    func handle(_ event: Event, in sim: Simulation) {
        budget -= 1
        if budget == 0 {
            sim.stop()
            return
        }
        sim.schedule(after: draw(), id, tag: event.tag, arg: event.arg)
    }
}
