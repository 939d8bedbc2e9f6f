import Testing
import HasimKernel
@testable import HasimNetwork
@testable import HasimDatabase
import HasimWorkload

/// What the group sends per write-set, against what real EVS sends (codership/galera
/// gcomm/src/evs_proto.cpp, handle_user and complete_user): the origin unicasts the user message
/// to each other member (n−1); each receiver, having sent nothing that high, sends one completing
/// message to every other member ((n−1)²); each member whose aru moved sends an empty gap
/// message to every other member (n(n−1)). Nothing is piggybacked when write-sets are further
/// apart than the messages' trips: 12 for three nodes, 40 for five (issue 15: the cost of a
/// Galera incident is these messages, so hasim must send neither more nor fewer).
@Suite struct GaleraMessageCountTests {
    /// Group segments sent per write-set, in a window without keepalives (they go at 0 s and 1 s).
    func perWriteSet(_ n: Int) -> Double {
        let lab = GaleraLab(n: n)
        let a = lab.app(0)
        a.startWorkload(writesPerSecond: 50, updateFraction: 0, hotRows: 10, probeInterval: 0,
                        start: Time.ms(100), stop: Time.ms(800))
        func sent() -> UInt64 {
            lab.nodes.reduce(0) { s, node in s + node.out.all.reduce(0) { $0 + ($1?.sent.client ?? 0) } }
        }
        lab.sim.run(until: Time.ms(50))
        let before = sent(), seqnoBefore = lab.nodes[0].lastSeqno
        lab.sim.run(until: Time.ms(950))
        let writeSets = lab.nodes[0].lastSeqno - seqnoBefore
        #expect(writeSets > 20)
        return Double(sent() - before) / Double(writeSets)
    }

    @Test func aWriteSetCostsWhatEVSSends() {
        // Two write-sets completing on a member at once share one gap message: at most that saves.
        let three = perWriteSet(3)
        #expect(three <= 12 && three >= 11.5)
        let five = perWriteSet(5)
        #expect(five <= 40 && five >= 39)
    }
}
