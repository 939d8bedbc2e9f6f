import Testing
@testable import HasimKernel

// EventQueue is noncopyable: `#expect` cannot capture it, so the tests read its
// properties into locals first.

@Suite("EventQueue")
struct EventQueueTests {
    private func event(_ time: SimTime, _ seq: UInt64) -> Event {
        Event(time: time, seq: seq, target: 0, tag: 0, arg: Int64(seq))
    }

    @Test func emptyQueue() {
        var q = EventQueue()
        let (empty, count, first, minTime) = (q.isEmpty, q.count, q.first, q.minTime)
        #expect(empty)
        #expect(count == 0)
        #expect(first == nil)
        #expect(minTime == nil)
        let popped = q.pop()
        #expect(popped == nil)
    }

    @Test func popsInTimeThenSeqOrder() {
        // Random keys, with many equal times, pushed in random order.
        var rng = SimRandom(seed: 42)
        var q = EventQueue(capacity: 16)
        var keys: [(SimTime, UInt64)] = []
        for seq in 0..<5_000 {
            keys.append((SimTime(rng.below(200)), UInt64(seq)))
        }
        var shuffled = keys
        shuffled.shuffle(using: &rng)
        for (t, s) in shuffled { q.push(event(t, s)) }
        let count = q.count
        #expect(count == keys.count)

        var popped: [(SimTime, UInt64)] = []
        while let e = q.pop() { popped.append((e.time, e.seq)) }
        let expected = keys.sorted { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        #expect(popped.count == expected.count)
        #expect(popped.map(\.0) == expected.map(\.0))
        #expect(popped.map(\.1) == expected.map(\.1))
        let empty = q.isEmpty
        #expect(empty)
    }

    @Test func fifoAmongEqualTimes() {
        var q = EventQueue()
        for seq in 0..<100 { q.push(event(7, UInt64(seq))) }
        var seqs: [UInt64] = []
        while let e = q.pop() { seqs.append(e.seq) }
        #expect(seqs == Array(0..<100))
    }

    @Test func interleavedPushAndPopKeepHeapOrder() {
        // The hold pattern: pop the minimum, push a later event.
        var rng = SimRandom(seed: 7)
        var q = EventQueue()
        var seq: UInt64 = 0
        for _ in 0..<100 {
            q.push(event(SimTime(rng.below(1_000)), seq)); seq += 1
        }
        var last = (SimTime.min, UInt64(0))
        for _ in 0..<10_000 {
            let e = q.popMin()
            #expect(e.time > last.0 || (e.time == last.0 && e.seq > last.1))
            last = (e.time, e.seq)
            let next = q.minTime
            #expect(next.map { $0 >= e.time } ?? true)
            q.push(event(e.time + SimTime(rng.below(1_000)), seq)); seq += 1
        }
        let count = q.count
        #expect(count == 100)
    }

    @Test func firstAndMinTimeAgree() {
        var q = EventQueue()
        q.push(event(30, 0))
        q.push(event(10, 1))
        q.push(event(10, 2))
        let (minTime, first) = (q.minTime, q.first)
        #expect(minTime == 10)
        #expect(first?.seq == 1)
        let popped = q.popMin()
        #expect(popped.seq == 1)
        let second = q.first
        #expect(second?.seq == 2)
    }

    @Test func growsPastItsInitialCapacity() {
        var q = EventQueue(capacity: 1)
        for seq in 0..<10_000 { q.push(event(SimTime(10_000 - seq), UInt64(seq))) }
        var times: [SimTime] = []
        while let e = q.pop() { times.append(e.time) }
        #expect(times == Array(1...10_000).map(SimTime.init))
    }

    /// The bottom-up pop (hole to a leaf, then the last event climbs) must leave the heap laid
    /// out exactly as the classic sift-down does: a model of the classic one runs beside the
    /// queue on the same pushes and pops, with many equal times (the seq decides), and every
    /// slot is compared after each step. Flip: without the climb (`last` left at the leaf),
    /// the layouts part and the pop order breaks.
    @Test func bottomUpPopKeepsTheClassicLayout() {
        var rng = SimRandom(seed: 15)
        var q = EventQueue()
        var model: [Event] = [event(0, 0)]  // slot 0 unused, as in the queue
        var seq: UInt64 = 0
        func pushModel(_ e: Event) {
            model.append(e)
            var hole = model.count - 1
            while hole > 1, e.precedes(model[hole / 2]) { model[hole] = model[hole / 2]; hole /= 2 }
            model[hole] = e
        }
        func popModel() -> Event {
            let top = model[1], last = model.removeLast()
            let n = model.count - 1
            guard n > 0 else { return top }
            var hole = 1
            while 2 * hole <= n {
                var child = 2 * hole
                if child < n && model[child + 1].precedes(model[child]) { child += 1 }
                if !model[child].precedes(last) { break }
                model[hole] = model[child]
                hole = child
            }
            model[hole] = last
            return top
        }
        var now: SimTime = 0
        for step in 0..<20_000 {
            // Phases of growth and shrinkage, so pops run on heaps of every depth.
            let grow = (step / 2_000) % 2 == 0
            if model.count == 1 || rng.below(10) < (grow ? 7 : 3) {
                let e = event(now + SimTime(rng.below(50)), seq)
                seq += 1
                q.push(e)
                pushModel(e)
            } else {
                let a = q.popMin(), b = popModel()
                #expect(a.seq == b.seq)
                now = a.time
            }
            let count = q.count
            #expect(count == model.count - 1)
            if step % 97 == 0 {
                for i in 1..<model.count where q.slots[i].seq != model[i].seq {
                    Issue.record("slot \(i) differs at step \(step)")
                    return
                }
            }
        }
    }

    @Test func eventIsThirtyTwoBytes() {
        #expect(MemoryLayout<Event>.stride == 32)
    }
}
