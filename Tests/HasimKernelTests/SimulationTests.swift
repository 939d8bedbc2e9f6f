import Testing
@testable import HasimKernel

/// Records every event it handles, with the clock at that moment.
final class Recorder: EventHandler {
    var log: [(now: SimTime, tag: UInt32, arg: Int64)] = []
    var onHandle: ((Event, Simulation) -> Void)?

    func handle(_ event: Event, in sim: Simulation) {
        log.append((sim.now, event.tag, event.arg))
        onHandle?(event, sim)
    }
}

@Suite("Simulation")
struct SimulationTests {
    @Test func runsInTimeThenSeqOrderWithFIFOAmongEqualTimes() {
        let sim = Simulation(seed: 1)
        let r = Recorder()
        let id = sim.register(r)
        sim.schedule(at: 300, id, tag: 0, arg: 0)
        sim.schedule(at: 100, id, tag: 0, arg: 1)
        sim.schedule(at: 200, id, tag: 0, arg: 2)
        sim.schedule(at: 100, id, tag: 0, arg: 3)
        sim.schedule(at: 100, id, tag: 0, arg: 4)
        sim.schedule(after: 0, id, tag: 0, arg: 5)
        let handled = sim.run()
        #expect(handled == 6)
        #expect(r.log.map(\.arg) == [5, 1, 3, 4, 2, 0])
        #expect(r.log.map(\.now) == [0, 100, 100, 100, 200, 300])
        #expect(sim.now == 300)  // queue ran dry: the clock rests at the last event
        #expect(sim.eventsProcessed == 6)
        #expect(sim.pendingCount == 0)
    }

    @Test func eventsScheduledForNowRunAfterThoseAlreadyQueued() {
        let sim = Simulation(seed: 1)
        let r = Recorder()
        let id = sim.register(r)
        r.onHandle = { e, sim in
            if e.arg == 0 { sim.schedule(after: 0, id, tag: 0, arg: 10) }
        }
        sim.schedule(at: 50, id, tag: 0, arg: 0)
        sim.schedule(at: 50, id, tag: 0, arg: 1)
        sim.run()
        #expect(r.log.map(\.arg) == [0, 1, 10])
    }

    @Test func dispatchesToTheRightHandler() {
        let sim = Simulation(seed: 1)
        let a = Recorder(), b = Recorder()
        let ia = sim.register(a), ib = sim.register(b)
        #expect(ia != ib)
        sim.schedule(at: 1, ia, tag: 7, arg: 1)
        sim.schedule(at: 2, ib, tag: 8, arg: 2)
        sim.schedule(at: 3, ia, tag: 9, arg: 3)
        sim.run()
        #expect(a.log.map(\.tag) == [7, 9])
        #expect(b.log.map(\.tag) == [8])
    }

    @Test func cancelSkipsTheEvent() {
        let sim = Simulation(seed: 1)
        let r = Recorder()
        let id = sim.register(r)
        sim.schedule(at: 10, id, tag: 0, arg: 0)
        let doomed = sim.schedule(at: 20, id, tag: 0, arg: 1)
        sim.schedule(at: 30, id, tag: 0, arg: 2)
        sim.cancel(doomed)
        #expect(sim.run() == 2)
        #expect(r.log.map(\.arg) == [0, 2])
        #expect(sim.now == 30)
    }

    @Test func cancelFromAHandlerAtTheSameTime() {
        let sim = Simulation(seed: 1)
        let r = Recorder()
        let id = sim.register(r)
        sim.schedule(at: 10, id, tag: 0, arg: 0)
        let sameTime = sim.schedule(at: 10, id, tag: 0, arg: 1)
        r.onHandle = { e, sim in if e.arg == 0 { sim.cancel(sameTime) } }
        sim.run()
        #expect(r.log.map(\.arg) == [0])
    }

    /// Tombstones live in a heap of their own and match a popped event by (time, seq): cancelling
    /// at random (some events twice, some at the instant being handled, some already fired) skips
    /// exactly the cancelled events and leaves no tombstone behind.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func cancellationSkipsExactlyTheCancelled(seed: UInt64) {
        let sim = Simulation(seed: seed)
        var rng = SimRandom(seed: seed)
        let r = Recorder()
        let id = sim.register(r)
        var ids: [EventID] = []
        for i in 0..<400 { ids.append(sim.schedule(at: SimTime(rng.below(50)), id, tag: 0, arg: Int64(i))) }
        var cancelled = Set<Int64>()
        for i in 0..<400 where rng.below(4) == 0 {
            sim.cancel(ids[i])
            if rng.below(2) == 0 { sim.cancel(ids[i]) }  // twice
            cancelled.insert(Int64(i))
        }
        // While running: each handled event cancels a later one at random (maybe already fired).
        var plan: [Int64: Int] = [:]
        for i in 0..<400 where rng.below(5) == 0 { plan[Int64(i)] = Int(rng.below(400)) }
        var fired = Set<Int64>()
        r.onHandle = { e, sim in
            fired.insert(e.arg)
            if let j = plan[e.arg] {
                let target = ids[j]
                let pending = !fired.contains(Int64(j))
                sim.cancel(target)
                if pending { cancelled.insert(Int64(j)) }
            }
        }
        sim.run()
        let expected = (0..<400).map { Int64($0) }.filter { !cancelled.contains($0) }
            .sorted { (ids[Int($0)].time, ids[Int($0)].seq) < (ids[Int($1)].time, ids[Int($1)].seq) }
        #expect(r.log.map(\.arg) == expected)
        let tombstones = sim.core.pointee.cancelled.count
        #expect(tombstones == 0)
    }

    @Test func cancellingAFiredEventIsHarmless() {
        let sim = Simulation(seed: 1)
        let r = Recorder()
        let id = sim.register(r)
        let first = sim.schedule(at: 10, id, tag: 0, arg: 0)
        var selfID: EventID?
        r.onHandle = { e, sim in
            if e.arg == 1, let me = selfID { sim.cancel(me) }  // cancel the event being handled
        }
        selfID = sim.schedule(at: 20, id, tag: 0, arg: 1)
        sim.run(until: 15)
        sim.cancel(first)  // already fired
        sim.schedule(at: 20, id, tag: 0, arg: 2)
        sim.run()
        #expect(r.log.map(\.arg) == [0, 1, 2])
        let tombstones = sim.core.pointee.cancelled.count
        #expect(tombstones == 0)  // no stale tombstones left behind
    }

    @Test func runUntilLeavesTheClockAtTheLimit() {
        let sim = Simulation(seed: 1)
        let r = Recorder()
        let id = sim.register(r)
        sim.schedule(at: Time.s(1), id, tag: 0, arg: 0)
        sim.schedule(at: Time.s(5), id, tag: 0, arg: 1)
        sim.schedule(at: Time.s(10), id, tag: 0, arg: 2)
        #expect(sim.run(until: Time.s(5)) == 2)  // events at the limit run
        #expect(sim.now == Time.s(5))
        #expect(sim.run(until: Time.s(7)) == 0)
        #expect(sim.now == Time.s(7))
        #expect(sim.pendingCount == 1)
        // The clock never goes back: scheduling is relative to the limit now.
        sim.schedule(after: Time.s(1), id, tag: 0, arg: 3)
        sim.run()
        #expect(r.log.map(\.arg) == [0, 1, 3, 2])
        #expect(r.log.map(\.now) == [Time.s(1), Time.s(5), Time.s(8), Time.s(10)])
    }

    @Test func stopEndsTheRunAfterTheCurrentEvent() {
        let sim = Simulation(seed: 1)
        let r = Recorder()
        let id = sim.register(r)
        for i in 0..<5 { sim.schedule(at: SimTime(i + 1), id, tag: 0, arg: Int64(i)) }
        r.onHandle = { e, sim in if e.arg == 1 { sim.stop() } }
        #expect(sim.run(until: 100) == 2)
        #expect(sim.now == 2)  // a stopped run does not advance to the limit
        r.onHandle = nil
        #expect(sim.run() == 3)
        #expect(r.log.map(\.arg) == [0, 1, 2, 3, 4])
    }

    @Test func closureScheduling() {
        let sim = Simulation(seed: 1)
        var seen: [(String, SimTime)] = []
        sim.after(Time.ms(20)) { seen.append(("b", sim.now)) }
        sim.at(Time.ms(10)) { seen.append(("a", sim.now)) }
        sim.after(Time.ms(20)) {
            seen.append(("c", sim.now))
            sim.after(0) { seen.append(("d", sim.now)) }
            sim.at(0) { seen.append(("e", sim.now)) }  // in the past: runs now
        }
        let doomed = sim.after(Time.ms(15)) { seen.append(("x", sim.now)) }
        sim.cancel(doomed)
        sim.run()
        #expect(seen.map(\.0) == ["a", "b", "c", "d", "e"])
        #expect(seen.map(\.1) == [Time.ms(10), Time.ms(20), Time.ms(20), Time.ms(20), Time.ms(20)])
    }

    @Test func closureSlotsAreReused() {
        let sim = Simulation(seed: 1)
        var count = 0
        func chain() {
            count += 1
            if count < 1_000 { sim.after(Time.ms(1), chain) }
        }
        sim.after(0, chain)
        sim.run()
        #expect(count == 1_000)
        #expect(sim.now == Time.ms(999))
    }

    @Test func cancelledClosuresAreReleased() {
        final class Token {}
        let sim = Simulation(seed: 1)
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            let id = sim.after(Time.s(1)) { _ = token; Issue.record("cancelled closure ran") }
            sim.cancel(id)
        }
        sim.after(Time.s(2)) {}
        #expect(weakToken != nil)  // held until its event is popped
        sim.run(until: Time.s(1))
        #expect(weakToken == nil)
        sim.run()
        #expect(sim.closures.liveCount == 0)
        let tombstones = sim.core.pointee.cancelled.count
        #expect(tombstones == 0)
    }

    @Test func recordStampsTheTrace() {
        let sim = Simulation(seed: 1)
        let kind = TraceKind("test")
        sim.after(Time.s(2)) { sim.record("db1", kind, "hello") }
        sim.run()
        #expect(sim.trace.records == [TraceRecord(time: Time.s(2), node: "db1", kind: kind, detail: "hello")])
    }

    @Test func handlersRegisteredDuringARunAreDispatched() {
        let sim = Simulation(seed: 1)
        let late = Recorder()
        sim.after(1) {
            // Registering may grow the handler table while an event is dispatched.
            for _ in 0..<64 { _ = sim.register(Recorder()) }
            let id = sim.register(late)
            sim.schedule(after: 1, id, tag: 5, arg: 0)
        }
        sim.run()
        #expect(late.log.map(\.tag) == [5])
        #expect(late.log.map(\.now) == [2])
    }

    @Test func sameSeedSameRunDifferentSeedDifferentRun() {
        func run(seed: UInt64) -> [SimTime] {
            let sim = Simulation(seed: seed)
            var rng = sim.random("arrivals")
            var times: [SimTime] = []
            func arrive() {
                times.append(sim.now)
                if times.count < 200 {
                    sim.after(Time.fromSeconds(rng.exponential(mean: 0.01)), arrive)
                }
            }
            sim.after(0, arrive)
            sim.run()
            return times
        }
        #expect(run(seed: 9) == run(seed: 9))
        #expect(run(seed: 9) != run(seed: 10))
    }
}

@Suite("Random streams")
struct RandomTests {
    private func draws(_ r: SimRandom, _ n: Int = 64) -> [UInt64] {
        var r = r
        return (0..<n).map { _ in r.next() }
    }

    @Test func sameSeedSameStreams() {
        let a = SeedTree(seed: 1234), b = SeedTree(seed: 1234)
        #expect(draws(a.stream("network")) == draws(b.stream("network")))
        #expect(draws(Simulation(seed: 5).random("faults")) == draws(Simulation(seed: 5).random("faults")))
    }

    @Test func differentNamesDifferentStreams() {
        let t = SeedTree(seed: 1234)
        let names = ["network", "faults", "workload", "client-1", "client-2", "db1", "db2", ""]
        let streams = names.map { draws(t.stream($0)) }
        #expect(Set(streams.map { $0[0] }).count == names.count)
        for i in names.indices {
            for j in names.indices where i < j {
                #expect(streams[i] != streams[j], "\(names[i]) vs \(names[j])")
            }
        }
    }

    @Test func differentSeedsDifferentStreams() {
        #expect(draws(SeedTree(seed: 1).stream("network")) != draws(SeedTree(seed: 2).stream("network")))
    }

    @Test func childSeedIsAFixedFunctionOfSeedAndName() {
        // Pinned: a stream must not change across processes (no `Hasher`).
        let t = SeedTree(seed: 42)
        #expect(t.childSeed("network") == SeedTree(seed: 42).childSeed("network"))
        #expect(t.childSeed("network") != t.childSeed("networl"))
    }

    @Test func distributionsStayInRange() {
        var r = SimRandom(seed: 3)
        var sum = 0.0
        for _ in 0..<100_000 {
            let u = r.unit()
            #expect(u >= 0 && u < 1)
            sum += r.exponential(mean: 2.0)
        }
        let mean = sum / 100_000
        #expect(abs(mean - 2.0) < 0.05)
        for _ in 0..<1_000 { #expect((0..<7).contains(r.below(7))) }
    }
}

@Suite("Hold benchmark")
struct HoldBenchmarkTests {
    @Test(arguments: [1, 10, 1_000])
    func processesTheRequestedNumberOfEvents(pending: Int) {
        let r = HoldBenchmark.run(pending: pending, events: 20_000, seed: 1, repetitions: 3)
        #expect(r.events == 20_000)
        #expect(r.pending == pending)
        #expect(r.allSeconds.count == 3)
        #expect(r.allSeconds == r.allSeconds.sorted())
        #expect(r.seconds == r.allSeconds[1])
        #expect(r.eventsPerSecond > 0)
    }

    @Test func isDeterministic() {
        let a = HoldBenchmark.once(pending: 100, events: 10_000, seed: 7)
        let b = HoldBenchmark.once(pending: 100, events: 10_000, seed: 7)
        let c = HoldBenchmark.once(pending: 100, events: 10_000, seed: 8)
        #expect(a.finalTime == b.finalTime)
        #expect(a.finalTime != c.finalTime)
        #expect(HoldBenchmark.run(pending: 100, events: 10_000, seed: 7).finalTime == a.finalTime)
        // Mean hold 1 s with 100 timers: 10,000 events take about 100 simulated s.
        #expect(a.finalTime > Time.s(80) && a.finalTime < Time.s(120))
    }

    @Test func fewerEventsThanTimers() {
        #expect(HoldBenchmark.once(pending: 1_000, events: 10, seed: 1).events == 10)
        #expect(HoldBenchmark.once(pending: 10, events: 0, seed: 1).events == 0)
    }
}

@Suite struct WatchdogTests {
    final class Spinner: EventHandler, NamedComponent {
        var id = HandlerID(raw: 0)
        let interval: SimTime
        init(interval: SimTime) { self.interval = interval }
        var componentName: String { "spinner (interval \(Time.format(interval)))" }
        func handle(_ event: Event, in sim: Simulation) { sim.schedule(after: interval, id, tag: 0) }
    }

    @Test func aZeroIntervalLoopIsStoppedAndNamed() {
        let sim = Simulation(seed: 1)
        sim.watchdogLimit = 10_000
        let s = Spinner(interval: 0)
        s.id = sim.register(s)
        sim.schedule(at: Time.s(1), s.id, tag: 0)
        sim.run(until: Time.s(10))
        let stall = try! #require(sim.stall)
        #expect(stall.time == Time.s(1))
        #expect(stall.component.contains("spinner"))
    }

    @Test func aPositiveIntervalRunsToTheEnd() {
        // The flip: the same loop with a 1 ms interval handles as many events but moves time.
        let sim = Simulation(seed: 1)
        sim.watchdogLimit = 10_000
        let s = Spinner(interval: Time.ms(1))
        s.id = sim.register(s)
        sim.schedule(at: Time.s(1), s.id, tag: 0)
        sim.run(until: Time.s(30))
        #expect(sim.stall == nil)
        #expect(sim.now == Time.s(30))
    }
}
