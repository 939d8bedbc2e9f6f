import Testing
@testable import HasimDatabase

/// `TxidSet` keeps its newest range apart from the older ones, and `GTIDSet`'s insert and
/// contains are inlined up to the newest interval (session 17): the edges of those fast paths
/// (an empty set, a set emptied again, an id past a gap, below the newest range, the first of
/// a new origin) give the same sets and answers as the general paths.
@Suite struct NewestRangeApartTests {
    @Test func txidSetEmptiedIsEmpty() {
        var set = TxidSet()
        #expect(!set.contains(0))
        let inserted7 = set.insert(7)
        #expect(inserted7)
        #expect(set.contains(7) && !set.contains(0) && !set.contains(8))
        set.remove(7)
        #expect(set.isEmpty && set == TxidSet() && set.description == "")
        #expect(!set.contains(0) && !set.contains(7))
        // 0 right after the empty set's placeholder range (0...0) is an ordinary first insert.
        let inserted1 = set.insert(1)
        #expect(inserted1)
        #expect(set.description == "1" && set.count == 1 && !set.contains(0))
    }

    @Test func txidSetNewestRangeMovesOnAndBack() {
        var set = TxidSet([1, 2, 3])
        let past = set.insert(10)        // past a gap: a new newest range
        let next = set.insert(11)        // extends it in place
        #expect(past && next)
        #expect(set.description == "1-3,10-11")
        let again2 = set.insert(2), again11 = set.insert(11)
        #expect(!again2 && !again11)
        let below = set.insert(5)        // below the newest range
        #expect(below)
        #expect(set.description == "1-3,5,10-11")
        set.remove(10)
        set.remove(11)                   // the newest range gone: the next one below takes its place
        #expect(set.description == "1-3,5" && set.count == 4)
        let six = set.insert(6)
        #expect(six && set.description == "1-3,5-6")
        let four = set.insert(4)
        #expect(four && set.description == "1-6")
        #expect(set == TxidSet([6, 5, 4, 3, 2, 1]))
        #expect(set.subtracting(TxidSet([2, 3])).description == "1,4-6")
    }

    @Test func gtidSetFastPathsMatchTheGeneralOnes() {
        var set = GTIDSet()
        #expect(!set.contains(GTID(origin: 1, seq: 1)))
        set.insert(GTID(origin: 2, seq: 1))   // a new origin
        set.insert(GTID(origin: 2, seq: 2))   // the next number
        set.insert(GTID(origin: 1, seq: 5))   // a new origin, before the first
        set.insert(GTID(origin: 2, seq: 2))   // already held
        set.insert(GTID(origin: 2, seq: 4))   // past a gap
        set.insert(GTID(origin: 2, seq: 3))   // fills it
        set.insert(GTID(origin: 1, seq: 2))   // below the newest interval
        #expect(set.description == "1:2:5,2:1-4")
        #expect(set.contains(GTID(origin: 1, seq: 2)) && !set.contains(GTID(origin: 1, seq: 3)))
        #expect(set.contains(GTID(origin: 2, seq: 4)) && !set.contains(GTID(origin: 2, seq: 5)))
        #expect(!set.contains(GTID(origin: 3, seq: 1)))
        var other = GTIDSet()
        for g in [GTID(origin: 2, seq: 3), GTID(origin: 1, seq: 5), GTID(origin: 2, seq: 1),
                  GTID(origin: 1, seq: 2), GTID(origin: 2, seq: 4), GTID(origin: 2, seq: 2)] { other.insert(g) }
        #expect(other == set)
    }
}
