import Foundation
import Testing
import HasimStore
import HasimScenario
@testable import HasimCLI

@Suite struct ProgressTests {
    final class Captured: @unchecked Sendable {
        var text = ""
        let lock = NSLock()
        func add(_ s: String) { lock.lock(); text += s; lock.unlock() }
    }

    @Test func progressLineText() {
        let p = ProgressLine(label: "hasim compare", total: 10, delay: 0) { _ in }
        #expect(p.text(done: 3, elapsed: 12.43) == "hasim compare: 3/10 runs done · 12.4 s elapsed · about 29 s left")
        #expect(p.text(done: 10, elapsed: 64.2) == "hasim compare: 10/10 runs done · 1 min 04 s elapsed")
    }

    @Test func noProgressLineWhenQuietOrNotATerminal() {
        #expect(ProgressLine.make(label: "x", total: 3, quiet: true) == nil)
        // Under `swift test` stderr is a pipe or a file, never drawn on.
        if isatty(STDERR_FILENO) == 0 { #expect(ProgressLine.make(label: "x", total: 3, quiet: false) == nil) }
    }

    /// The line only watches: the same reports, in the same order, as without it;
    /// it is drawn while runs go and erased at the end.
    @Test func progressNeverChangesResults() throws {
        let scenarios = try Runner.load(try ScenarioFiles.expand([fixtures]))
        let jobs = Runner.jobs(scenarios, seeds: [1, 2])
        let plain = try Runner.run(jobs)
        let out = Captured()
        let line = ProgressLine(label: "hasim run", total: jobs.count, delay: 0) { out.add($0) }
        line.start()
        let watched = try ProgressRunner.run(jobs, parallel: true, progress: line)
        #expect(watched == plain)
        #expect(out.text.contains("/4 runs done"))
        #expect(out.text.hasSuffix("\r\u{1B}[2K"))

        let checked = try ProgressRunner.check(scenarios, seeds: nil,
                                               progress: ProgressLine(label: "c", total: 0, delay: 0) { _ in })
        let reference = try Checker.check(scenarios, seeds: nil)
        #expect(checked.reports == reference.reports)
        #expect(checked.skipped == reference.skipped)
        #expect(checked.misses.map(\.description) == reference.misses.map(\.description))
    }
}

/// Issue 17: a long run is not "0/1 runs done" for its whole length.
@Suite struct ProgressInFlightTests {
    @Test func runsInFlightShowTheirSimulatedTime() {
        let p = ProgressLine(label: "hasim run", total: 1, delay: 0) { _ in }
        #expect(p.text(done: 0, elapsed: 125, inFlight: [(now: 3 * 3600 * 1_000_000_000 + 12 * 60 * 1_000_000_000, end: 24 * 3600 * 1_000_000_000 + 60_000_000_000)])
                == "hasim run: 0/1 runs done · simulated 3h 12m of 24h 1m · 2 min 05 s elapsed")
        #expect(p.text(done: 3, elapsed: 1, inFlight: [(now: 50, end: 100), (now: 1, end: 100)])
                == "hasim run: 3/1 runs done · 2 in flight: simulated 50 %, 1 % · 1 s elapsed")
        // The flip: nothing in flight, the line as before.
        #expect(p.text(done: 1, elapsed: 1) == "hasim run: 1/1 runs done · 1 s elapsed")
    }
}
