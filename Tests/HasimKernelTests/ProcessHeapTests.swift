import Testing
@testable import HasimKernel

/// The allocator settings behind flat peak memory across runs (issue 15).
@Suite struct ProcessHeapTests {
    /// On glibc the fixed mmap threshold is accepted and the heap figures are read; elsewhere
    /// both are no-ops.
    @Test func configuresAndReadsTheHeap() {
        #if canImport(Glibc)
        #expect(ProcessHeap.configure())
        // Above the threshold, yet not necessarily mapped: glibc maps a block only when its
        // arena has no free chunk that large, and the tests running beside this one may have
        // left one (the full suite saw mapped 0). In use it is, either way.
        let block = [UInt8](repeating: 1, count: 4 << 20)
        let held = ProcessHeap.usage
        #expect(held.inUse >= 4 << 20)
        #expect(held.inUse >= held.mapped)
        withExtendedLifetime(block) {}
        #else
        #expect(!ProcessHeap.configure())
        #endif
    }

    /// The process-wide totals are the last lines of malloc_info, after each arena's own.
    /// Flip: reading the first arena's lines instead would give 100 free bytes, not 300.
    @Test func parsesTheProcessTotals() {
        let xml = """
            <malloc version="1">
            <heap nr="0">
            <sizes>
              <size from="17" to="32" total="64" count="2"/>
            </sizes>
            <total type="fast" count="1" size="40"/>
            <total type="rest" count="2" size="100"/>
            <system type="current" size="1000"/>
            </heap>
            <total type="fast" count="3" size="100"/>
            <total type="rest" count="4" size="200"/>
            <total type="mmap" count="1" size="5000"/>
            <system type="current" size="3000"/>
            <system type="max" size="4000"/>
            </malloc>
            """
        let u = ProcessHeap.parse(xml)
        #expect(u.free == 300)
        #expect(u.mapped == 5000)
        #expect(u.inUse == 3000 - 300 + 5000)
    }
}
