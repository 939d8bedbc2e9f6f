import Foundation
import Testing
@testable import HasimKernel

/// Issue 17: durations built from user values (a 10-year timeout times a count, a
/// lognormal tail, 1/rate of a tiny rate) saturate at `Time.never` instead of trapping.
@Suite struct SaturatingTimeTests {
    @Test func sumsSaturateAtNever() {
        #expect(Time.sum(Time.horizon, Time.horizon) == 2 * Time.horizon)
        #expect(Time.sum(Time.never, Time.horizon) == Time.never)
        #expect(Time.sum(.max, .max) == Time.never)
        // The flip: ordinary sums are exact.
        #expect(Time.sum(Time.s(1), Time.ms(5)) == Time.ms(1005))
    }

    @Test func productsSaturateAtNever() {
        #expect(Time.scaled(Time.horizon, 1_000_000) == Time.never)
        #expect(Time.scaled(Time.horizon, Int64.max) == Time.never)
        #expect(Time.scaled(Time.minute, 480) == 480 * Time.minute)
        #expect(Time.scaled(Time.ms(10), by: 2.5) == Time.ms(25))
        #expect(Time.scaled(Time.horizon, by: 1e12) == Time.never)
        #expect(Time.scaled(Time.s(1), by: .infinity) == Time.never)
        #expect(Time.scaled(Time.s(1), by: .nan) == 0)
    }

    @Test func conversionsFromSecondsSaturate() {
        #expect(Time.fromSeconds(1e300) == Time.never)
        #expect(Time.fromSeconds(.infinity) == Time.never)
        #expect(Time.fromSeconds(.nan) == 0)
        #expect(Time.fromSeconds(-1) == 0)
        #expect(Time.fromSeconds(0.0012345) == 1_234_500)
    }

    /// `fromSeconds` rounds by hand (no libm `round`): it must give what `rounded()` gave for
    /// every double, so every sampled latency is the same nanosecond as before. Checked on
    /// lognormal draws like the wire's, on exact halves (k + 0.5 ns) and their neighbours, on
    /// both sides of 2^52, 2^53 and 2^62 ns, and on the special values. Flip: rounding halves
    /// down (`> 0.5`) fails on the halves.
    @Test func conversionFromSecondsMatchesRounded() {
        func reference(_ v: Double) -> SimTime {
            let ns = (v * 1e9).rounded()
            guard !ns.isNaN, ns > 0 else { return 0 }
            return ns < Double(Time.never) ? SimTime(ns) : Time.never
        }
        var values: [Double] = [0, -0.0, .nan, .infinity, -.infinity, .leastNonzeroMagnitude,
                                .greatestFiniteMagnitude, 1e-9, 0.5e-9, 1.5e-9, 2.5e-9, -0.5e-9]
        for p in [52.0, 53.0, 62.0, 63.0] {
            let x = pow(2.0, p)
            for y in [x.nextDown, x, x.nextUp, x - 0.5, x + 0.5, x - 1, x + 1] { values.append(y / 1e9) }
        }
        var rng = SimRandom(seed: 15)
        for _ in 0..<20_000 {
            let k = Double(rng.below(1 << 40))
            let half = (k + 0.5) / 1e9
            values += [half, half.nextUp, half.nextDown]
            values.append(rng.logNormal(median: 200e-6, sigma: 0.25))
            values.append(rng.logNormal(median: 1, sigma: 8))
            values.append(rng.unit() * pow(10, Double(rng.below(30)) - 12))
        }
        var differ = 0
        for v in values where Time.fromSeconds(v) != reference(v) { differ += 1 }
        #expect(differ == 0)
    }

    /// A timer a strategy arms with a saturated delay never fires within the run, and
    /// scheduling it does not trap.
    @Test func aNeverTimerDoesNotFire() {
        let sim = Simulation(seed: 1)
        var fired = false
        sim.after(Time.never) { fired = true }
        sim.after(Time.s(1)) { _ = sim.after(.max) { fired = true } }
        sim.run(until: Time.horizon)
        #expect(!fired)
        #expect(sim.now == Time.horizon)
    }

    /// The monitor sees the run every `monitorEvery` events and can stop it; a run it
    /// does not stop is the same as without it.
    @Test func theMonitorWatchesAndCanStopARun() {
        func run(stopAt: SimTime?) -> (Simulation, [SimTime]) {
            let sim = Simulation(seed: 1)
            var seen: [SimTime] = []
            func tick() { sim.after(Time.ms(1)) { tick() } }
            tick()
            sim.monitor = { s in
                seen.append(s.now)
                if let stopAt, s.now >= stopAt { return "over budget" }
                return nil
            }
            sim.run(until: Time.s(300))
            return (sim, seen)
        }
        let (free, seen) = run(stopAt: nil)
        #expect(free.now == Time.s(300) && free.interruption == nil)
        #expect(seen.count == Int(free.eventsProcessed / Simulation.monitorEvery))
        let (stopped, _) = run(stopAt: Time.s(100))
        #expect(stopped.interruption == "over budget")
        #expect(stopped.now >= Time.s(100) && stopped.now < Time.s(300))
    }
}
