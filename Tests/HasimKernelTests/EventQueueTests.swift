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

    @Test func eventIsThirtyTwoBytes() {
        #expect(MemoryLayout<Event>.stride == 32)
    }
}
