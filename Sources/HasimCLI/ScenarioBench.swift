import Foundation
import HasimKernel
import HasimScenario
import HasimFleet

/// Speed and memory of a full scenario: every seed of one file run once, serially, timed
/// around the simulation only (loading and metrics excluded).
public struct ScenarioBenchResult: Sendable {
    public let file: String
    public let runs: Int
    public let events: UInt64
    public let simulatedSeconds: Double
    public let wallSeconds: Double
    /// Processor time (user + system) of the runs: what a loaded machine does not inflate
    /// as much as wall time.
    public let cpuSeconds: Double
    /// Acknowledged writes of the first run.
    public let acknowledgedWrites: Int
    /// Growth of the process's peak resident memory during the first run (its outcome still
    /// held), divided by the writes it acknowledged.
    public let bytesPerAcknowledgedWrite: Double
    /// Peak resident memory after the first run and after the last (bytes): equal when a
    /// finished run leaves nothing behind.
    public let peakAfterFirst: Int
    public let peakAfterLast: Int
    /// The allocator's own count (glibc malloc_info): heap in use during the first run's
    /// outcome, per acknowledged write (what the run holds, without the arenas' free
    /// space and page granularity that RSS adds).
    public let heapBytesPerAcknowledgedWrite: Double
    /// Heap in use and kept free by the allocator after the last run was dropped and
    /// trimmed: what a finished run leaves behind.
    public let heapAfterLast: ProcessHeap.Usage
    public var eventsPerSecond: Double { Double(events) / max(wallSeconds, 1e-9) }
    /// Simulated seconds per wall-clock second.
    public var speedup: Double { simulatedSeconds / max(wallSeconds, 1e-9) }
    /// CPU seconds per run.
    public var cpuPerRun: Double { cpuSeconds / Double(max(runs, 1)) }
    /// Each run's CPU seconds, in seed order. On a shared virtual machine one run can take a
    /// third longer than the next (steal time, frequency): the median and the fastest say what
    /// the code costs, the mean what this machine gave it.
    public let cpuByRun: [Double]
    public var cpuMedian: Double {
        let s = cpuByRun.sorted()
        guard !s.isEmpty else { return 0 }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    public var cpuFastest: Double { cpuByRun.min() ?? 0 }
}

public enum ScenarioBench {
    /// Runs the scenario's seeds, or seeds 1...`seeds` when given.
    public static func run(path: String, seeds: Int? = nil) throws -> ScenarioBenchResult {
        let scenario = try ScenarioLoader.load(path: path)
        let seedList = seeds.map { n in (1...UInt64(max(n, 1))).map { $0 } } ?? scenario.seeds
        var events: UInt64 = 0
        var simulated: SimTime = 0
        let clock = ContinuousClock()
        var wall = Duration.zero
        var cpu = 0.0
        var cpuByRun: [Double] = []
        var acked = 0, perWrite = 0.0, peakFirst = 0, heapPerWrite = 0.0
        for (i, seed) in seedList.enumerated() {
            // In a function of its own so the outcome is released before the trim.
            func one() throws {
                let rssBefore = ProcessMemory.residentBytes
                let heapBefore = ProcessHeap.usage.inUse
                let cpuStart = ProcessMemory.cpuSeconds
                let start = clock.now
                let outcome = try ScenarioRunner.run(scenario, seed: seed)
                wall += clock.now - start
                let used = ProcessMemory.cpuSeconds - cpuStart
                cpu += used
                cpuByRun.append(used)
                events += outcome.eventsProcessed
                simulated += outcome.endTime
                if i == 0 {
                    acked = outcome.ledger.count
                    peakFirst = ProcessMemory.peakResidentBytes
                    perWrite = Double(max(0, peakFirst - rssBefore)) / Double(max(acked, 1))
                    heapPerWrite = Double(max(0, ProcessHeap.usage.inUse - heapBefore)) / Double(max(acked, 1))
                }
                withExtendedLifetime(outcome) {}
            }
            try one()
            ProcessHeap.trim()
        }
        let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
        return ScenarioBenchResult(file: path, runs: seedList.count, events: events,
                                   simulatedSeconds: Time.seconds(simulated), wallSeconds: seconds, cpuSeconds: cpu,
                                   acknowledgedWrites: acked, bytesPerAcknowledgedWrite: perWrite,
                                   peakAfterFirst: peakFirst, peakAfterLast: ProcessMemory.peakResidentBytes,
                                   heapBytesPerAcknowledgedWrite: heapPerWrite, heapAfterLast: ProcessHeap.usage,
                                   cpuByRun: cpuByRun)
    }
}

/// The process's own memory and processor time, as the kernel counts them.
enum ProcessMemory {
    /// Current resident set (Linux: /proc/self/statm; elsewhere the peak).
    static var residentBytes: Int {
        if let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let fields = text.split(separator: " ")
            if fields.count > 1, let pages = Int(fields[1]) { return pages * Int(sysconf(Int32(_SC_PAGESIZE))) }
        }
        return peakResidentBytes
    }

    private static func usage() -> rusage {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return usage
    }

    /// Peak resident set since the process started (getrusage ru_maxrss).
    static var peakResidentBytes: Int {
        let usage = usage()
        #if os(Linux)
        return usage.ru_maxrss * 1024  // kilobytes on Linux
        #else
        return usage.ru_maxrss  // bytes on macOS
        #endif
    }

    /// User + system processor time of the process so far.
    static var cpuSeconds: Double {
        let usage = usage()
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}

/// The fleet-year benchmark (issue 15): each architecture's study with the settings of
/// scripts/main, timed around the study (loading excluded).
enum FleetBench {
    struct Result {
        var file: String
        var cpuSeconds: Double
        var wallSeconds: Double
        /// Mean and CI of one study (nil for the pooled run of all of them).
        var downtime: Estimate?
        var windows: Int
    }

    static func run(paths: [String]) throws -> [Result] {
        let files = try ScenarioFiles.expand(paths)
        let scenarios = try files.map { try ScenarioLoader.load(path: $0) }
        var results = try zip(files, scenarios).map { file, scenario in
            var study: ArchitectureFleet?
            let (cpu, wall) = try timed { study = try FleetSimulator.run(scenario, config: config) }
            return Result(file: file, cpuSeconds: cpu, wallSeconds: wall, downtime: study!.estimate(.databaseDowntime),
                          windows: study!.libraryRuns + study!.compoundIncidents)
        }
        // Then every study at once, their windows in one pool, as `hasim fleet` runs a folder.
        guard scenarios.count > 1 else { return results }
        final class Sum: @unchecked Sendable { var windows = 0 }  // added to under the pool's lock
        let sum = Sum()
        let (cpu, wall) = try timed {
            try FleetPool.run(scenarios, config: config) { _, study in sum.windows += study.libraryRuns + study.compoundIncidents }
        }
        results.append(Result(file: "all \(scenarios.count) in one pool", cpuSeconds: cpu, wallSeconds: wall, downtime: nil,
                              windows: sum.windows))
        return results
    }

    /// The settings of scripts/main's fleet view.
    static var config: FleetConfig {
        var config = FleetConfig()
        config.librarySize = 4
        config.window = 20 * Time.minute
        config.writesPerSecond = 20
        return config
    }

    /// Processor and wall seconds of `body` (loading excluded by the callers).
    private static func timed(_ body: () throws -> Void) rethrows -> (cpu: Double, wall: Double) {
        let cpu = ProcessMemory.cpuSeconds
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let wall = clock.now - start
        return (ProcessMemory.cpuSeconds - cpu,
                Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18)
    }
}
