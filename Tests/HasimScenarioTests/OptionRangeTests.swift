import Foundation
import Testing
import HasimKernel
@testable import HasimScenario
import HasimStrategies

/// Issue 17: every numeric and duration option of every strategy has a documented range,
/// and a value outside it is refused where it is written. Before, a `0s` check interval
/// passed validation and was only caught by the kernel's watchdog at run time.
@Suite struct OptionRangeTests {
    static func scenario(strategy: String, option: String, value: String) -> String {
        """
        name: t
        duration: 1m
        topology:
          sites:
            idc1: [app1, db1, db2]
          databases:
            db1: {role: primary}
            db2: {role: replica, source: db1}
        architecture:
          strategy: \(strategy)
          options:
            \(option): \(value)
        workload:
          client: app1
          writes_per_second: 10
        """
    }

    /// The option's line in `scenario(...)` (1-based) and the column of its value.
    static let optionLine = 12

    /// A value just outside the range, as a scenario writes it; nil when the parser
    /// itself cannot express one (a negative duration is refused as such).
    static func outside(_ r: OptionRange) -> String? {
        switch r {
        case .any: return nil
        case .durations(let d, _): return d.lowerBound > 0 ? OptionRange.written(d.lowerBound - 1) : nil
        case .integers(let i): return String(i.upperBound + 1)
        case .numbers(let n, _, let upperOpen): return upperOpen ? String(n.upperBound) : String(n.upperBound * 2 + 1)
        }
    }

    static func written(_ v: OptionValue) -> String {
        if case .duration(let t) = v { return OptionRange.written(t) }
        return v.description
    }

    @Test func everyNumericOptionHasARangeHoldingItsDefault() {
        for d in StrategyCatalog.all {
            for o in d.options {
                let numeric = o.kind == .duration || o.kind == .int || o.kind == .double
                #expect(numeric == (o.range != .any), "\(d.name).\(o.name): \(o.kind) with range \(o.range)")
                #expect(o.range.contains(o.defaultValue), "\(d.name).\(o.name): default \(o.defaultValue) outside \(o.range)")
            }
        }
    }

    @Test func everyValueOutsideItsRangeIsRefusedWhereItIsWritten() {
        var checked = 0
        for d in StrategyCatalog.all {
            for o in d.options {
                guard let bad = Self.outside(o.range) else { continue }
                let all = issues(Self.scenario(strategy: d.name, option: o.name, value: bad))
                let mine = all.filter { $0.message.contains("architecture.options.\(o.name) is") }
                #expect(mine.count == 1, "\(d.name).\(o.name) = \(bad): \(all.map(\.description))")
                guard let issue = mine.first else { continue }
                #expect(issue.mark?.line == Self.optionLine && issue.mark?.column == o.name.count + 7,
                        "\(d.name).\(o.name): at \(String(describing: issue.mark))")
                #expect(issue.message.hasSuffix("outside its range \(o.range)"))
                #expect(issue.hint?.isEmpty == false)
                // The flip: the default, written at the same place, raises nothing there.
                let text = Self.scenario(strategy: d.name, option: o.name, value: Self.written(o.defaultValue))
                var refused: [ScenarioIssue] = []
                do { _ = try ScenarioLoader.load(text: text, file: "t.yaml") } catch let e as ScenarioErrors { refused = e.issues } catch {}
                #expect(!refused.contains { $0.message.contains("architecture.options.\(o.name)") },
                        "\(d.name).\(o.name): its default is refused: \(refused.map(\.description))")
                checked += 1
            }
        }
        #expect(checked >= 80)
    }

    @Test func aZeroIntervalIsRefusedWithItsReason() {
        // The issue's example: heartbeat's keepalive of 0 s repeated at one instant forever.
        let all = issues(Self.scenario(strategy: "heartbeat-mon", option: "keepalive", value: "0s"))
        let issue = all.first { $0.message.hasPrefix("architecture.options.keepalive") }
        #expect(issue?.message == "architecture.options.keepalive is 0s, outside its range 1ms to 87840h")
        #expect(issue?.hint?.contains("one instant") == true)
    }

    @Test func rangesReadAsADBAWritesThem() {
        #expect(OptionRange.positiveDurations.description == "> 0 and ≤ 87840h")
        #expect(OptionRange.delays.description == "0s to 87840h")
        #expect(OptionRange.intervalOrOff.description == "0 (off) or 1ms to 87840h")
        #expect(OptionRange.intervalOrOff.contains(.duration(0)) && !OptionRange.intervalOrOff.contains(.duration(Time.us(999))))
        #expect(OptionRange.integers(1...254).description == "1 to 254")
        #expect(OptionRange.numbers(0...1, upperOpen: true).description == "≥ 0 and < 1")
        #expect(OptionRange.positive(upTo: 100).description == "> 0 and ≤ 100")
        #expect(!OptionRange.positive(upTo: 100).contains(.double(0)))
        #expect(!OptionRange.numbers(0...1).contains(.double(.nan)))
    }

    @Test func aSweepOutsideTheRangeIsRefused() throws {
        var s = try ScenarioLoader.load(text: Self.scenario(strategy: "heartbeat-mon", option: "keepalive", value: "1s"), file: "t.yaml")
        #expect(throws: SweepError.self) { try Sweep.apply(&s, key: "architecture.options.keepalive", value: "0s") }
        try Sweep.apply(&s, key: "architecture.options.keepalive", value: "2s")
        #expect(s.architecture.options.duration("keepalive") == Time.s(2))
    }

    /// scenarios/README.md documents the standard ranges and every option that narrows them.
    @Test func theReadmeListsEveryOwnRange() throws {
        let readme = try #require(readText(repositoryRoot + "/scenarios/README.md"))
        for d in StrategyCatalog.all {
            for o in d.options where o.range != .any && o.range != .standard(o.kind, default: o.defaultValue) {
                let row = readme.split(separator: "\n").first { $0.contains("| `\(o.name)` | \(o.range) |") }
                #expect(row?.contains("`\(d.name)`") == true, "README lacks \(d.name).\(o.name) \(o.range)")
            }
        }
    }
}
