import Testing
import HasimKernel
import HasimScenario
import HasimResults

private let base = """
name: t
duration: 5s
quiesce: 1s
topology:
  sites:
    idc1: [db1, db2, app1]
  databases:
    db1: {role: primary}
    db2: {role: replica, source: db1}
architecture:
  strategy: manual
workload:
  client: app1
  writes_per_second: 50
"""

/// `sample_interval:`: the sampler's period, which bounds every figure read from the samples
/// (a replica's drain time after its source dies was read at 1 s, against a real drain of
/// tens of milliseconds sampled every 100 ms: validation/results/replica-lag-conservative4.json).
@Suite struct SampleIntervalTests {
    @Test func theSamplerRunsAtTheGivenInterval() throws {
        let fine = try ScenarioRunner.run(try ScenarioLoader.load(text: base + "\nsample_interval: 100ms\n", file: "t.yaml"), seed: 1)
        let coarse = try ScenarioRunner.run(try ScenarioLoader.load(text: base, file: "t.yaml"), seed: 1)
        #expect(fine.sampleInterval == Time.ms(100))
        #expect(coarse.sampleInterval == Time.s(1))
        let times = Set(fine.samples.map(\.time)).sorted()
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == Time.ms(100) })
        // 6 s of run, sampled from 0 to the end inclusive, two servers each time.
        #expect(fine.samples.count == 2 * 61)
        #expect(coarse.samples.count == 2 * 7)
        // The interval is a measurement: the run itself is the same.
        #expect(fine.ledger.count == coarse.ledger.count)
        #expect(fine.eventsProcessed > coarse.eventsProcessed)
    }

    @Test func itSurvivesTheResolvedScenario() throws {
        let s = try ScenarioLoader.load(text: base + "\nsample_interval: 250ms\n", file: "t.yaml")
        #expect(s.sampleInterval == Time.ms(250))
        let back = try ScenarioLoader.load(text: ScenarioYAML.emit(s), file: "t.yaml")
        #expect(back.sampleInterval == Time.ms(250))
        #expect(ScenarioParameters.json(back).contains("\"sample_interval_ns\":250000000"))
        #expect(try ScenarioLoader.load(text: base, file: "t.yaml").sampleInterval == nil)
    }

    @Test func anIntervalThatIsZeroOrTooFineIsRefused() throws {
        let zero = try #require(issues(base + "\nsample_interval: 0s\n").first)
        #expect(zero.message == "sample_interval must be longer than 0")
        #expect(zero.mark?.line == 15)
        let fine = try #require(issues(base + "\nsample_interval: 1us\n").first)
        #expect(fine.message.contains("more than 1,000,000 samples"))
        #expect(fine.hint?.contains("coarser") == true)
    }
}

private func issues(_ yaml: String) -> [ScenarioIssue] {
    do {
        _ = try ScenarioLoader.load(text: yaml, file: "t.yaml")
        Issue.record("expected the scenario to be refused")
        return []
    } catch let errors as ScenarioErrors {
        return errors.issues
    } catch {
        Issue.record("unexpected error: \(error)")
        return []
    }
}
