import Testing
import HasimKernel
import HasimNetwork
@testable import HasimDatabase

/// A query and its answer are packed into three words so that neither is boxed in the
/// network's `any WireMessage` (issue 15): each reads back exactly as given, packed or not.
@Suite struct ClientMessageTests {
    /// The existential's inline buffer: a larger message is a malloc and a free per send.
    @Test func bothFitTheExistentialsInlineBuffer() {
        #expect(MemoryLayout<QueryMessage>.size <= 3 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<ResultMessage>.size <= 3 * MemoryLayout<Int>.size)
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func queriesReadBackAsGiven(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        // Edges of each packed field, and values past them (kept whole in a box).
        let txids: [Int64] = [0, 1, 1 << 40 | 7, (1 << 56) - 1, 1 << 56, Int64.max, -1, Int64.min]
        let keys: [Int64] = [0, 1, (1 << 23) - 1, 1 << 23, -1, Int64.max]
        let ids: [Int64] = [0, 1, (1 << 40) - 1, 1 << 40, -5, Int64.max]
        var queries: [Query] = [.ping, .setReadOnly(true), .changeSource(IPAddress("10.0.0.9")),
                                .changeSourceToPosition(IPAddress("db2"), position: 12), .selectLatest(table: .orders),
                                .readBinlog(excluding: GTIDSet()), .showReplicaStatus]
        for t in Table.allCases {
            for txid in txids {
                queries.append(.insert(table: t, txid: txid))
                for key in keys { queries.append(.update(table: t, key: key, txid: txid)) }
            }
        }
        for _ in 0..<2_000 {
            let txid = Int64(rng.below(1 << 16)) << 40 | Int64(rng.below(1 << 30))
            let t = Table.allCases[rng.below(Table.allCases.count)]
            queries.append(rng.below(2) == 0 ? .insert(table: t, txid: txid)
                           : .update(table: t, key: Int64(rng.below(1 << 24)), txid: txid))
        }
        for q in queries {
            for id in ids + [Int64(rng.below(1 << 41))] {
                let m = QueryMessage(id: id, query: q)
                #expect(m.id == id && m.query == q, "\(id) \(q)")
            }
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func resultsReadBackAsGiven(seed: UInt64) {
        var rng = SimRandom(seed: seed)
        let insertIDs: [Int64?] = [nil, 0, 1, (1 << 40) - 1, 1 << 40, -1, Int64.max]
        let affected = [0, 1, 63, 64, -1, Int.max]
        var results: [QueryResult] = [.error(.readOnly), .error(.duplicateKey(7)), .empty, .row(key: 3, txid: 1 << 40),
                                      .replicaStatus(nil), .masterStatus(executed: GTIDSet(), readOnly: true, binlogPosition: 4),
                                      .wsrepStatus(WsrepStatus(clusterStatus: "Primary", localState: 4, lastCommitted: 9)),
                                      .events([])]
        for a in affected { for i in insertIDs { results.append(.ok(affected: a, insertID: i)) } }
        for _ in 0..<2_000 {
            results.append(.ok(affected: rng.below(3), insertID: rng.below(4) == 0 ? nil : Int64(rng.below(1 << 42))))
        }
        let servers = ["db1", "db2", "galera-node-3", "srv-\(seed)"]
        for r in results {
            for name in servers {
                let m = ResultMessage(id: Int64(rng.below(1 << 50)) - 3, result: r, server: name)
                #expect(m.result == r && m.server == name, "\(r) \(name)")
                #expect(m.serverIndex == ServerNames.index(name))
            }
        }
    }
}
