import Testing
@testable import HasimKernel

/// The near and far heaps pop in one (time, seq) order, as a single heap does, whatever heap
/// each event waits in.
@Suite("PendingEvents")
struct PendingEventsTests {
    private func event(_ time: SimTime, _ seq: UInt64) -> Event {
        Event(time: time, seq: seq, target: 0, tag: 0, arg: Int64(seq))
    }

    /// The hold pattern of a run: pop the earliest, schedule from its time a mix of near events
    /// (microseconds to milliseconds ahead, many at the same instant) and far timers (seconds),
    /// against one `EventQueue` fed the same events. `far`: how often a new event is a timer.
    @Test(arguments: [0, 3, 10, 50] as [Int])
    func popsInOneOrderAcrossBothHeaps(far: Int) {
        var rng = SimRandom(seed: UInt64(far) + 1)
        var split = PendingEvents()
        var single = EventQueue()
        var seq: UInt64 = 0
        func schedule(_ time: SimTime, now: SimTime) {
            split.push(event(time, seq), now: now)
            single.push(event(time, seq))
            seq += 1
        }
        for _ in 0..<80 { schedule(SimTime(rng.below(Int(Time.s(10)))), now: 0) }
        var popped = 0
        var mismatch: String?
        while popped < 20_000 {
            let (t, n) = (split.minTime, single.minTime)
            guard t == n else { mismatch = "minTime \(String(describing: t)) != \(String(describing: n))"; break }
            let a = split.popMin(), b = single.popMin()
            guard a.time == b.time, a.seq == b.seq else { mismatch = "popped (\(a.time), \(a.seq)) != (\(b.time), \(b.seq))"; break }
            popped += 1
            for _ in 0..<rng.below(3) {
                let delay: SimTime = rng.below(100) < far ? Time.ms(200) + SimTime(rng.below(Int(Time.s(10))))
                    : rng.below(4) == 0 ? 0 : SimTime(rng.below(Int(Time.ms(2))))
                schedule(a.time + delay, now: a.time)
            }
            if split.isEmpty { schedule(a.time + Time.s(1), now: a.time) }
        }
        #expect(mismatch == nil)
        let (c1, c2) = (split.count, single.count)
        #expect(c1 == c2)
    }

    /// A far timer due before every near event pops first: the pop compares the two heads.
    @Test func aDueTimerComesBeforeLaterNearEvents() {
        var q = PendingEvents()
        q.push(event(Time.s(10), 0), now: 0)                   // far: a socket timer
        q.push(event(Time.s(10) + 1, 1), now: Time.s(10))      // near, scheduled much later
        q.push(event(Time.s(10), 2), now: Time.s(10) - 5)      // near, same instant, later seq
        let order = [q.popMin().seq, q.popMin().seq, q.popMin().seq]
        #expect(order == [0, 2, 1])
        let empty = q.isEmpty
        #expect(empty)
    }

    /// The run loop's step: the earliest event if it is due by the limit, from either heap.
    @Test func popsOnlyWhatIsDueByTheLimit() {
        var q = PendingEvents()
        q.push(event(Time.s(10), 0), now: 0)         // far
        q.push(event(Time.ms(1), 1), now: 0)         // near
        let none = q.popMin(notAfter: Time.ms(1) - 1)
        #expect(none == nil)
        let near = q.popMin(notAfter: Time.s(1))?.seq
        #expect(near == 1)
        let stillFar = q.popMin(notAfter: Time.s(1))
        #expect(stillFar == nil)
        let far = q.popMin(notAfter: Time.s(10))?.seq
        #expect(far == 0)
        let empty = q.popMin(notAfter: .max)
        #expect(empty == nil)
    }
}
