import ArgumentParser
import Foundation
import HasimKernel

/// `hasim bench`: the kernel's speed on the hold model (N pending timers, each
/// re-armed at now + Exp(1 s) when it fires), and later a full scenario's speed.
///
/// The table is read by `scripts/bench` (which puts it next to the Swift heap
/// floor and SimPy): keep the `# hold` header and the four numeric columns, or
/// use `--json`.
public struct Bench: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernel events/s (hold model) and full-scenario speed; build with -c release",
        discussion: """
        Hold model: N timers are pending in the event heap; each, when it fires, is
        re-armed at now + Exp(mean 1 s) through the ordinary Simulation API (register,
        schedule(after:), run). Reported: the median wall time of --repetitions runs
        (seeds seed, seed+1, ...), setup excluded. Compare with scripts/bench, which
        runs the Swift heap floor and SimPy side by side on the same machine.
        """)

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Pending timer counts N (space- or comma-separated), e.g. --pending 10 1000 100000.",
                               discussion: "Default 10 1000 100000; with --scenario or --fleet the hold model runs only when --pending is given."))
    var pending: [String] = []

    @Option(name: .long, help: "Events handled per run.")
    var events: Int = 2_000_000

    @Option(name: .long, help: "Runs per N; the median is reported.")
    var repetitions: Int = 3

    @Option(name: .long, help: "Seed of the first run.")
    var seed: UInt64 = 1

    @Option(name: .long, help: ArgumentHelp(
        "Scenario file for the full-scenario benchmark (e.g. scenarios/bench/mha-1000.yaml).",
        discussion: "Reports CPU seconds per run, memory per acknowledged write and peak memory after the first and last run."))
    var scenario: String?

    @Option(name: .long, help: "Run the scenario with seeds 1...N instead of its own seeds (peak memory must stay flat).")
    var seeds: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Scenario file or folder for the fleet-year benchmark (e.g. scenarios/architectures/).",
        discussion: "Each architecture: 250 clusters, one year, 100 replications, a library of 4 runs per fault class, 20-minute windows at 20 writes/s (the settings of scripts/main); CPU and wall seconds, all cores."))
    var fleet: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    public init() {}

    /// `pending` with commas split and parsed.
    var pendingSizes: [Int] {
        get throws {
            if pending.isEmpty { return (scenario ?? fleet) == nil ? [10, 1000, 100000] : [] }
            return try pending.flatMap { $0.split(separator: ",") }.map { s in
                let t = s.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
                guard let n = Int(t), n > 0 else {
                    throw ValidationError("--pending: '\(s)' is not a positive integer")
                }
                return n
            }
        }
    }

    public func validate() throws {
        if !pending.isEmpty, try pendingSizes.isEmpty { throw ValidationError("--pending: give at least one N") }
        guard events > 0 else { throw ValidationError("--events must be positive") }
        guard repetitions > 0 else { throw ValidationError("--repetitions must be positive") }
    }

    public mutating func run() throws {
        let sizes = try pendingSizes
        #if DEBUG
        Self.note("warning: debug build; figures are meaningless. Build with: swift build -c release --product hasim")
        #endif

        if !json, !sizes.isEmpty {
            print("# hold model: N timers re-armed at now + Exp(1 s); median of \(repetitions) run(s), \(events) events each")
            print(Self.row("pending", "events", "seconds", "events/s"))
        }
        var results: [HoldResult] = []
        for n in sizes {
            let r = HoldBenchmark.run(pending: n, events: events, seed: seed, repetitions: repetitions)
            results.append(r)
            if !json {
                print(Self.row(String(r.pending), String(r.events), Self.fixed(r.seconds, 4),
                               String(Int64(r.eventsPerSecond.rounded()))))
            }
        }

        var scenarioNote = "scenario benchmark: pass --scenario"
        var scenarioJSON = "null"
        if let path = scenario {
            let r = try ScenarioBench.run(path: path, seeds: seeds)
            let mb = { (b: Int) in Self.fixed(Double(b) / 1_048_576, 1) }
            scenarioNote = "scenario \(r.file): \(r.runs) runs, \(r.events) events in \(Self.fixed(r.wallSeconds, 3)) s = "
                + "\(Int64(r.eventsPerSecond.rounded())) events/s, \(Self.fixed(r.speedup, 0)) simulated s per wall s; "
                + "CPU \(Self.fixed(r.cpuPerRun, 3)) s per run (median \(Self.fixed(r.cpuMedian, 3)), fastest \(Self.fixed(r.cpuFastest, 3))); \(r.acknowledgedWrites) acknowledged writes, "
                + "\(Self.fixed(r.bytesPerAcknowledgedWrite, 0)) B of peak memory per acknowledged write; "
                + "peak RSS \(mb(r.peakAfterFirst)) MB after run 1, \(mb(r.peakAfterLast)) MB after run \(r.runs); "
                + "heap \(Self.fixed(r.heapBytesPerAcknowledgedWrite, 0)) B in use per acknowledged write (malloc_info), "
                + "\(mb(r.heapAfterLast.inUse)) MB in use and \(mb(r.heapAfterLast.free)) MB free after run \(r.runs)"
            scenarioJSON = "{\"file\": \"\(r.file)\", \"runs\": \(r.runs), \"events\": \(r.events), "
                + "\"wall_seconds\": \(r.wallSeconds), \"events_per_second\": \(Int64(r.eventsPerSecond.rounded())), "
                + "\"simulated_seconds\": \(r.simulatedSeconds), \"simulated_per_wall_second\": \(r.speedup), "
                + "\"cpu_seconds_per_run\": \(r.cpuPerRun), \"cpu_seconds_median\": \(r.cpuMedian), "
                + "\"cpu_seconds_fastest\": \(r.cpuFastest), \"cpu_seconds_by_run\": \(r.cpuByRun), \"acknowledged_writes\": \(r.acknowledgedWrites), "
                + "\"bytes_per_acknowledged_write\": \(r.bytesPerAcknowledgedWrite), "
                + "\"peak_rss_after_first\": \(r.peakAfterFirst), \"peak_rss_after_last\": \(r.peakAfterLast), "
                + "\"heap_bytes_per_acknowledged_write\": \(r.heapBytesPerAcknowledgedWrite), "
                + "\"heap_in_use_after_last\": \(r.heapAfterLast.inUse), \"heap_free_after_last\": \(r.heapAfterLast.free)}"
        }

        if let fleet {
            for r in try FleetBench.run(paths: [fleet]) {
                let downtime = r.downtime.map {
                    "downtime \(Self.fixed($0.mean, 1)) [\(Self.fixed($0.low, 1))-\(Self.fixed($0.high, 1))] min/db-year; "
                } ?? ""
                print("fleet \(r.file): \(Self.fixed(r.cpuSeconds, 1)) s CPU, \(Self.fixed(r.wallSeconds, 1)) s wall; "
                      + "\(downtime)\(r.windows) incident windows simulated")
            }
        }

        if json {
            print(Self.json(results, repetitions: repetitions, seed: seed, scenarioNote: scenarioNote, scenarioJSON: scenarioJSON))
        } else {
            print(scenarioNote)
        }
    }

    // MARK: - Output

    static func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
        pad(a, 8) + pad(b, 12) + pad(c, 10) + pad(d, 13)
    }

    private static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
    }

    /// Fixed-point formatting that does not depend on the locale.
    static func fixed(_ x: Double, _ digits: Int) -> String {
        Time.formatFixed(x, digits)
    }

    static func json(_ results: [HoldResult], repetitions: Int, seed: UInt64, scenarioNote: String,
                     scenarioJSON: String = "null") -> String {
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        var build = "release"
        #if DEBUG
        build = "debug"
        #endif
        let rows = results.map { r in
            """
                {"pending": \(r.pending), "events": \(r.events), "seconds": \(number(r.seconds)), \
            "events_per_second": \(Int64(r.eventsPerSecond.rounded())), \
            "runs_seconds": [\(r.allSeconds.map(number).joined(separator: ", "))], "final_time_ns": \(r.finalTime)}
            """
        }
        return """
        {
          "model": "hold", "build": "\(build)", "repetitions": \(repetitions), "seed": \(seed),
          "hold": [
        \(rows.joined(separator: ",\n"))
          ],
          "scenario": \(scenarioJSON),
          "note": "\(scenarioNote.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"
        }
        """
    }

    private static func note(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }
}
