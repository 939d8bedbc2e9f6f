import Testing
@testable import HasimNetwork

/// The hosts' neighbour entries in one buffer (`NeighbourGrid`): rows and columns added in any
/// order keep every entry where it was, and new ones are empty.
@Suite struct NeighbourGridTests {
    static func entry(_ h: Int, _ v: Int) -> NeighbourEntry {
        NeighbourEntry(holder: HostID(h * 10 + v), state: .reachable, confirmed: Int64(h), updated: Int64(v), used: 0)
    }

    @Test func rowsAndColumnsKeepTheirEntries() {
        var g = NeighbourGrid()
        #expect(g.rows == 0 && g.columns == 0)
        g.addColumn()
        g.ensureRows(3)
        #expect(g.rows == 3 && g.columns == 1)
        for h in 0..<3 { #expect(g[h, 0] == nil, "a new row is empty") }
        g[1, 0] = Self.entry(1, 0)
        g.addColumn()
        g.addColumn()
        #expect(g.columns == 3)
        #expect(g[1, 0]?.holder == HostID(10), "a new column keeps the entries")
        #expect(g[1, 1] == nil && g[1, 2] == nil && g[0, 2] == nil)
        g[2, 2] = Self.entry(2, 2)
        g.ensureRows(2)
        #expect(g.rows == 3, "never shrinks")
        g.ensureRows(9)  // past the capacity: moved
        #expect(g.rows == 9)
        #expect(g[1, 0]?.holder == HostID(10) && g[2, 2]?.holder == HostID(22))
        for h in 3..<9 { for v in 0..<3 { #expect(g[h, v] == nil) } }
        g.at(2, 2).pointee!.used = 7  // in place
        #expect(g[2, 2]?.used == 7 && g[2, 2]?.confirmed == 2)
        g[1, 0] = nil
        #expect(g[1, 0] == nil)
    }
}
