import Testing
import HasimKernel
@testable import HasimDatabase
@testable import HasimWorkload

/// The client's op slots (`OpSlots`) give the slot numbers the array of optionals and its free
/// list gave (timers name ops by slot, so a run depends on them), through growth, and keep
/// every op as stored and changed in place.
@Suite struct OpSlotsTests {
    typealias Op = ApplicationClient.Op

    static func op(_ n: Int64) -> Op {
        Op(statement: n % 3 == 0 ? .update(.counters, key: n) : .insert(.orders), txid: n, attemptsLeft: Int(n % 3),
           isProbe: n % 5 == 0, probeIndex: Int(n), issuedAt: n * 7)
    }

    /// A random mix of stores, frees, in-place changes and JVM deaths against the reference.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesArrayWithFreeList(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        var slots = OpSlots()
        var ref: [Op?] = []
        var refFree: [Int] = []
        var next: Int64 = 0
        for _ in 0..<5_000 {
            switch rng.below(10) {
            case 0..<5:
                next += 1
                let o = Self.op(next)
                let s = slots.store(o)
                let r: Int
                if let f = refFree.popLast() { ref[f] = o; r = f } else { ref.append(o); r = ref.count - 1 }
                #expect(s == r)
            case 5..<8:
                let live = ref.indices.filter { ref[$0] != nil }
                guard !live.isEmpty else { continue }
                let s = live[rng.below(live.count)]
                slots.free(s)
                ref[s] = nil
                refFree.append(s)
            case 8:
                let live = ref.indices.filter { ref[$0] != nil }
                guard !live.isEmpty else { continue }
                let s = live[rng.below(live.count)]
                slots[s]!.queryID = Int64(s) * 11
                slots[s]!.awaiting.toggle()
                ref[s]!.queryID = Int64(s) * 11
                ref[s]!.awaiting.toggle()
            default:
                if rng.below(50) == 0 {
                    slots.forgetAll()
                    for i in ref.indices { ref[i] = nil }
                    refFree.removeAll()
                }
            }
            #expect(slots.count == ref.count)
        }
        for s in ref.indices {
            #expect(slots[s]?.txid == ref[s]?.txid)
            #expect(slots[s]?.queryID == ref[s]?.queryID)
            #expect(slots[s]?.awaiting == ref[s]?.awaiting)
            #expect(slots[s]?.issuedAt == ref[s]?.issuedAt)
        }
    }

    /// After a JVM's death no slot of its life is handed out again.
    @Test func forgetAllReusesNoSlot() {
        var slots = OpSlots()
        let a = slots.store(Self.op(1)), b = slots.store(Self.op(2))
        slots.free(a)
        slots.forgetAll()
        #expect(slots[b] == nil)
        #expect(slots.store(Self.op(3)) == 2)
        #expect(slots.store(Self.op(4)) == 3)
    }
}
