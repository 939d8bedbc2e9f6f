import Foundation
import Testing
import HasimKernel
@testable import HasimScenario
import HasimStore
@testable import HasimCLI
@testable import HasimReport

/// `hasim compare ARCH... --faults DIR`: an architecture file and a fault file make one
/// scenario, and every problem is reported in the file it is in.
@Suite struct FaultSuiteTests {
    let arch = repoRoot + "/scenarios/architectures/mha.yaml"

    func write(_ dir: String, _ name: String, _ text: String) -> String {
        let p = dir + "/" + name
        try! text.write(toFile: p, atomically: true, encoding: .utf8)
        return p
    }

    /// The first problem combining `a` and `f` reports (nil: they combine).
    func firstIssue(_ a: String, _ f: String) -> ScenarioIssue? {
        do { _ = try FaultSuite.combine(architecture: a, faults: f) } catch let e as ScenarioErrors { return e.issues.first } catch {}
        return nil
    }

    @Test func theFaultFileReplacesTheArchitecturesTimeline() throws {
        let dir = temporaryFolder("suite-combine")
        let f = write(dir, "f.yaml", """
            name: mysqld crash
            description: >
              mysqld dies.
            duration: 3m
            seeds: [4, 5]
            faults:
              - {at: 70s, process_crash: db1}
            """)
        let s = try FaultSuite.combine(architecture: arch, faults: f)
        #expect(s.name == "MHA + VIP")             // the architecture's name
        #expect(s.group == "mysqld crash")         // the fault's name groups the runs
        #expect(s.duration == 3 * Time.minute)
        #expect(s.seeds == [4, 5])
        #expect(s.quiesce == 60 * Time.second)     // not in the fault file: the architecture's
        #expect(s.faults.count == 1 && s.faults[0].kind == .processCrash(host: "db1") && s.faults[0].at == 70 * Time.second)
        #expect(s.architecture.strategy == "mha")
        // Flip: without the fault file, the architecture's own host crash at 5 min.
        let alone = try ScenarioLoader.load(path: arch)
        #expect(alone.faults[0].kind == .hostCrash(host: "db1") && alone.faults[0].at == 5 * Time.minute)
    }

    @Test func anErrorInTheFaultFileIsLocatedInTheFaultFile() throws {
        let dir = temporaryFolder("suite-errors")
        let bad = write(dir, "bad.yaml", "name: cut\nduration: 3m\nfaults:\n  - {at: 70s, host_crash: db9}\n")
        let issue = try #require(firstIssue(arch, bad), "a host the architecture lacks was accepted")
        #expect(issue.mark?.file == bad)
        #expect(issue.mark?.line == 4)
        #expect("\(issue)".contains("db9"))
        // Flip: the same file naming a host of the architecture loads.
        let good = write(dir, "good.yaml", "name: cut\nduration: 3m\nfaults:\n  - {at: 70s, host_crash: db1}\n")
        #expect(throws: Never.self) { try FaultSuite.combine(architecture: arch, faults: good) }
    }

    @Test func anErrorInTheArchitectureFileIsLocatedThere() throws {
        let dir = temporaryFolder("suite-arch-errors")
        let archText = try String(contentsOfFile: arch, encoding: .utf8)
            .replacingOccurrences(of: "strategy: mha", with: "strategy: mah")
        let a = write(dir, "arch.yaml", archText)
        let f = write(dir, "f.yaml", "name: crash\nfaults:\n  - {at: 70s, host_crash: db1}\n")
        let line = archText.components(separatedBy: "\n").firstIndex { $0.contains("strategy: mah") }! + 1
        let issue = try #require(firstIssue(a, f))
        #expect(issue.mark?.file == a)
        #expect(issue.mark?.line == line)
    }

    @Test func aFaultFileCannotRedefineTheArchitecture() throws {
        let dir = temporaryFolder("suite-keys")
        let f = write(dir, "f.yaml", "name: crash\nworkload:\n  client: app1\nfaults: []\n")
        let issue = try #require(firstIssue(arch, f), "a fault file with workload: was accepted")
        #expect(issue.mark == SourceMark(file: f, line: 2, column: 1))
        #expect(issue.hint?.contains("architecture file") == true)
    }

    @Test func theShippedSuiteLoadsWithEveryArchitecture() throws {
        let archs = try ScenarioFiles.expand([repoRoot + "/scenarios/architectures"])
        let faults = try ScenarioFiles.expand([repoRoot + "/scenarios/faults"])
        #expect(archs.count >= 12 && faults.count >= 7)
        let all = try FaultSuite.scenarios(architectures: archs, faults: faults)
        #expect(all.count == archs.count * faults.count)
        // Every architecture of one fault faces the same timeline.
        for g in Set(all.compactMap(\.group)) {
            let members = all.filter { $0.group == g }
            #expect(Set(members.map { "\($0.faults)|\($0.duration)|\($0.seeds)" }).count == 1, "fault \(g)")
        }
    }
}

@Suite struct SeedListTests {
    @Test func rangesAndListsParse() throws {
        #expect(try SeedList.parse("7") == [7])
        #expect(try SeedList.parse("1-5") == [1, 2, 3, 4, 5])
        #expect(try SeedList.parse("1,2,3") == [1, 2, 3])
        #expect(try SeedList.parse("1-3,8") == [1, 2, 3, 8])
        for bad in ["5-1", "a", "1-", "-3", "1,,2", "1-2-3", "0-99999999999"] {
            #expect(throws: (any Error).self, "\(bad)") { try SeedList.parse(bad) }
        }
    }

    @Test func theCommandLineTakesEveryForm() throws {
        let c = try Hasim.parseAsRoot(["run", "x.yaml", "--seed", "1-3", "5,9", "11"]) as! RunCommand
        #expect(c.common.seeds == [1, 2, 3, 5, 9, 11])
        let none = try Hasim.parseAsRoot(["run", "x.yaml"]) as! RunCommand
        #expect(none.common.seeds == nil)
        #expect(throws: (any Error).self) { try Hasim.parseAsRoot(["run", "x.yaml", "--seed", "3-1"]) }
    }
}

@Suite struct RunCommandEdgeTests {
    @Test func anEmptyFolderIsAnErrorAndCreatesNoDatabase() throws {
        let dir = temporaryFolder("empty-run")
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        var c = try Hasim.parseAsRoot(["run", dir + "/empty", "--out", dir + "/r.sqlite", "--quiet"])
        #expect(throws: (any Error).self) { try c.run() }
        #expect(!FileManager.default.fileExists(atPath: dir + "/r.sqlite"))
        // Flip: a folder with a scenario runs and writes the database.
        try FileManager.default.copyItem(atPath: repoRoot + "/Tests/HasimReportTests/Fixtures/compare",
                                         toPath: dir + "/full")
        var ok = try Hasim.parseAsRoot(["run", dir + "/full", "--seed", "1", "--out", dir + "/r.sqlite", "--quiet"])
        try ok.run()
        #expect(FileManager.default.fileExists(atPath: dir + "/r.sqlite"))
    }
}

@Suite struct ExplainTests {
    @Test func everyMetricExpectAcceptsIsExplained() {
        for m in ScenarioBuilder.metrics {
            #expect(ExplainCommand.explain(m)?.contains("(metric,") == true, "\(m)")
        }
    }

    /// Error code 0 is hasim's, not MySQL's: explained where a user meets it.
    @Test func errorCodeZeroIsDocumented() throws {
        #expect(ExplainCommand.explain("failed_writes")?.contains("code 0 is not a MySQL error") == true)
        let metrics = try String(contentsOfFile: repoRoot + "/docs/metrics.md", encoding: .utf8)
        let results = try String(contentsOfFile: repoRoot + "/results/README.md", encoding: .utf8)
        #expect(metrics.contains("**code 0**") && results.contains("**0** when the application rejected"))
    }

    @Test func optionsShowTheirDefaultAndSource() throws {
        let text = try #require(ExplainCommand.explain("heartbeat-mon.deadtime"))
        #expect(text.contains("default:") && text.contains("source: heartbeat/config.c"))
        // A bare option name finds it too; an unknown name explains nothing (the command exits 1).
        #expect(ExplainCommand.explain("deadtime")?.contains("heartbeat-mon.deadtime") == true)
        #expect(ExplainCommand.explain("no_such_thing") == nil)
        var c = try Hasim.parseAsRoot(["explain", "no_such_thing"])
        #expect(throws: (any Error).self) { try c.run() }
    }
}

@Suite struct ScenarioFolderTests {
    @Test func aParentFolderSkipsItsFaultSuite() throws {
        let under = try ScenarioFiles.expand([repoRoot + "/scenarios"])
        #expect(!under.contains { $0.contains("/faults/") })
        #expect(under.contains { $0.hasSuffix("architectures/mha.yaml") })
        // Flip: the fault folder given itself lists its fault files.
        let faults = try ScenarioFiles.expand([repoRoot + "/scenarios/faults"])
        #expect(faults.count >= 7 && faults.allSatisfy { $0.contains("/faults/") })
    }
}
