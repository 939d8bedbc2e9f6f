#if canImport(Glibc)
import Glibc

/// glibc's malloc.h is not in the Glibc module: its functions are looked up by name.
private enum GlibcMalloc {
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    typealias MallocTrim = @convention(c) (Int) -> Int32
    typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>) -> Int32
    static func symbol<T>(_ name: String, _ type: T.Type) -> T? {
        dlsym(nil, name).map { unsafeBitCast($0, to: type) }
    }
    static let mallopt = symbol("mallopt", Mallopt.self)
    static let mallocTrim = symbol("malloc_trim", MallocTrim.self)
    static let mallocInfo = symbol("malloc_info", MallocInfo.self)
    /// malloc.h: M_MMAP_THRESHOLD.
    static let mmapThresholdParameter: Int32 = -3
}
#endif

/// The C allocator under the simulation (issue 15: peak memory flat across runs in one
/// process). A finished run frees its whole world (`Simulation.close`), yet resident memory
/// grew with every run: glibc raises its mmap threshold each time a mapped block is freed
/// (up to 32 MiB), so the next run's large arrays (ledger, binlog, event heap) come from the
/// heap instead of fresh mappings, and the heap's top is only returned when it happens to be
/// free. A fixed threshold turns the dynamic growth off: blocks of 1 MiB or more are mapped
/// and unmapped on their own; `trim()` after a run returns the freed heap pages.
/// Elsewhere (macOS) these are no-ops. Nothing here touches what a simulation computes.
public enum ProcessHeap {
    /// Blocks of at least this size get their own mapping (glibc's default starts at 128 KiB
    /// and grows; a fixed value disables the growth).
    public static let mmapThreshold: Int32 = 1 << 20

    private static let configured: Bool = {
        #if canImport(Glibc)
        return GlibcMalloc.mallopt?(GlibcMalloc.mmapThresholdParameter, mmapThreshold) == 1
        #else
        return false
        #endif
    }()

    /// Fixes the mmap threshold, once per process (every simulation asks; later calls are free).
    @discardableResult
    public static func configure() -> Bool { configured }

    /// Returns freed heap memory to the system: after a run and its report are done.
    public static func trim() {
        #if canImport(Glibc)
        _ = GlibcMalloc.mallocTrim?(0)
        #endif
    }

    /// What the allocator holds, in bytes (glibc `malloc_info`, all arenas; zeros elsewhere).
    public struct Usage: Sendable, Equatable {
        /// Bytes in blocks the program holds (heap arenas and mapped blocks).
        public var inUse: Int
        /// Bytes the arenas keep free for reuse (not returned to the system).
        public var free: Int
        /// Bytes in blocks mapped on their own (counted in `inUse` too).
        public var mapped: Int
    }

    public static var usage: Usage {
        #if canImport(Glibc)
        guard let info = GlibcMalloc.mallocInfo else { return Usage(inUse: 0, free: 0, mapped: 0) }
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return Usage(inUse: 0, free: 0, mapped: 0) }
        _ = info(0, stream)
        fclose(stream)
        defer { free(buffer) }
        guard let buffer else { return Usage(inUse: 0, free: 0, mapped: 0) }
        return parse(String(cString: buffer))
        #else
        return Usage(inUse: 0, free: 0, mapped: 0)
        #endif
    }

    /// The process-wide lines at the end of malloc_info's XML (after every arena's own):
    /// `<total type="fast|rest" ... size=>` free bytes, `<total type="mmap" ...>` mapped
    /// blocks, `<system type="current" size=>` bytes the arenas took from the system.
    static func parse(_ xml: String) -> Usage {
        var fastFree = 0, restFree = 0, mapped = 0, system = 0
        // The last occurrence of each is the total over arenas.
        for line in xml.split(separator: "\n") {
            let t = line.trimmingPrefix(while: { $0 == " " })
            func size() -> Int {
                guard let r = t.firstRange(of: "size=\"") else { return 0 }
                return Int(t[r.upperBound...].prefix { $0.isNumber }) ?? 0
            }
            if t.hasPrefix("<total type=\"fast\"") { fastFree = size() }
            else if t.hasPrefix("<total type=\"rest\"") { restFree = size() }
            else if t.hasPrefix("<total type=\"mmap\"") { mapped = size() }
            else if t.hasPrefix("<system type=\"current\"") { system = size() }
        }
        let free = fastFree + restFree
        return Usage(inUse: max(0, system - free) + mapped, free: free, mapped: mapped)
    }
}
