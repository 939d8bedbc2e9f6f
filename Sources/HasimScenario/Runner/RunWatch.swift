import Foundation
import HasimKernel

/// What watches runs from outside the model (issue 17): how far each run in flight has
/// got in simulated time (the progress line of a long run) and the memory budget that
/// stops a run before the machine runs out. It reads the process's resident memory, never
/// anything a run decides on, so a run it does not stop gives the same results without it.
///
/// The CLI installs one for the whole command (`RunWatch.current`); tests pass their own.
public final class RunWatch: @unchecked Sendable {
    /// Resident memory (bytes) past which a run stops; nil: no budget.
    public let memoryBudget: UInt64?
    /// Reads the process's resident memory; /proc/self/statm by default (tests replace it).
    let residentBytes: @Sendable () -> UInt64?

    private let lock = NSLock()
    private var next = 0
    private var inFlight: [Int: (now: SimTime, end: SimTime)] = [:]

    public init(memoryBudget: UInt64?, residentBytes: @escaping @Sendable () -> UInt64? = RunWatch.processResidentBytes) {
        self.memoryBudget = memoryBudget
        self.residentBytes = residentBytes
    }

    private static let currentLock = NSLock()
    nonisolated(unsafe) private static var _current: RunWatch?
    /// The watch runs use when none is given: set by the CLI for a command, nil otherwise.
    public static var current: RunWatch? {
        get { currentLock.lock(); defer { currentLock.unlock() }; return _current }
        set { currentLock.lock(); _current = newValue; currentLock.unlock() }
    }

    /// Simulated time done and to do of every run in flight, in the order they started.
    public var runsInFlight: [(now: SimTime, end: SimTime)] {
        lock.lock(); defer { lock.unlock() }
        return inFlight.keys.sorted().map { inFlight[$0]! }
    }

    /// Installs the watch on one run's simulation; `finish` ends it.
    /// `growth` names what the run holds, for the memory error ("1.2 M acknowledged writes").
    func begin(_ sim: Simulation, run: String, end: SimTime, growth: @escaping () -> String) -> Int {
        lock.lock()
        let token = next
        next += 1
        inFlight[token] = (0, end)
        lock.unlock()
        sim.monitor = { [weak self] sim in
            guard let self else { return nil }
            self.lock.lock(); self.inFlight[token] = (sim.now, end); self.lock.unlock()
            guard let budget = self.memoryBudget, let rss = self.residentBytes(), rss > budget else { return nil }
            return "\(run) stopped at simulated \(Time.format(sim.now)) of \(Time.format(end)): the process's resident memory "
                + "\(Self.megabytes(rss)) passed --max-memory \(Self.megabytes(budget)); what grows: \(growth()), "
                + "\(sim.pendingCount) events pending (a shorter duration or fewer writes per second needs less)"
        }
        return token
    }

    /// Refuses, before anything is built, a run whose acknowledged writes alone could not fit the
    /// memory budget: a ten-year duration at 200 writes/s is 6e10 ledger entries (3.5 TB), which
    /// would otherwise run for hours before the budget stopped it, looking like a hang.
    func preflight(run: String, duration: SimTime, plannedWrites: Double, bytesPerWrite: Int) -> String? {
        guard let budget = memoryBudget, plannedWrites.isFinite else { return nil }
        let bytes = plannedWrites * Double(bytesPerWrite)
        guard bytes > Double(budget) else { return nil }
        return "\(run) refused: in \(Time.text(seconds: Time.seconds(duration))) its clients would acknowledge up to "
            + "\(Self.count(plannedWrites)) writes (probes included), whose ledger alone needs \(Self.size(bytes)), "
            + "over --max-memory \(Self.megabytes(budget)). Shorten `duration`, lower `writes_per_second`, or study "
            + "years with `hasim fleet` (it simulates incident windows, not every write of the year)"
    }

    static func size(_ bytes: Double) -> String {
        bytes >= 1e12 ? "\((bytes / 1e12 * 10).rounded() / 10) TB" : bytes >= 1e9 ? "\((bytes / 1e9 * 10).rounded() / 10) GB"
            : "\(Int(bytes / 1e6)) MB"
    }

    static func count(_ x: Double) -> String {
        x >= 1e9 ? "\((x / 1e9 * 10).rounded() / 10) billion" : x >= 1e6 ? "\((x / 1e6 * 10).rounded() / 10) million" : "\(Int(x))"
    }

    func finish(_ token: Int) {
        lock.lock(); inFlight[token] = nil; lock.unlock()
    }

    static func megabytes(_ bytes: UInt64) -> String { "\(bytes / 1_048_576) MB" }

    /// Resident set size of this process: the second field of /proc/self/statm, in pages.
    @Sendable public static func processResidentBytes() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return nil }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// MemTotal of /proc/meminfo, in bytes.
    public static func machineMemoryBytes() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }
}
