import Testing
@testable import HasimKernel

/// `reserve` and `put` are `store` in two steps (session 18: a message moves from the argument
/// straight into its slot): the same slots, reused last freed first.
@Suite struct SlotTableTests {
    @Test func reserveThenPutIsStore() {
        var a = SlotTable<String>(), b = SlotTable<String>()
        for v in 0..<20 {
            let s = b.reserve()
            b.put("v\(v)", at: s)
            #expect(a.store("v\(v)") == s)
        }
        for s in [3, 11, 7] { #expect(a.take(s) == b.take(s)) }
        for v in 0..<5 {
            let s = b.reserve()
            b.put("w\(v)", at: s)
            #expect(a.store("w\(v)") == s, "free slots first, last freed first, then new ones")
        }
        #expect(a.liveCount == b.liveCount && a.liveCount == 22)
        for s in 0..<a.count { #expect(a[s] == b[s]) }
    }
}
