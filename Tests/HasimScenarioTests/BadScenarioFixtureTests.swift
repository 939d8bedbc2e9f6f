import Foundation
import HasimScenario
import Testing

@Suite struct BadScenarioFixtureTests {
    /// The whole report for Fixtures/bad-scenario.yaml must match
    /// Fixtures/bad-scenario.expected.txt exactly (file named as in messages:
    /// "Fixtures/bad-scenario.yaml", so the text does not depend on the checkout path).
    @Test func reportMatchesTheCommittedText() throws {
        let yaml = try #require(readText(fixturesDirectory + "/bad-scenario.yaml"))
        var expected = try #require(readText(fixturesDirectory + "/bad-scenario.expected.txt"))
        if expected.hasSuffix("\n") { expected.removeLast() }
        do {
            _ = try ScenarioLoader.load(text: yaml, file: "Fixtures/bad-scenario.yaml")
            Issue.record("the bad scenario loaded")
        } catch let errors as ScenarioErrors {
            #expect(errors.description == expected)
            #expect(errors.issues.count == 4)
        }
    }

    /// Loading by path names the file by that path in every message.
    @Test func reportByPathUsesThePath() throws {
        let path = fixturesDirectory + "/bad-scenario.yaml"
        do {
            _ = try ScenarioLoader.load(path: path)
            Issue.record("the bad scenario loaded")
        } catch let errors as ScenarioErrors {
            #expect(errors.issues.allSatisfy { $0.mark?.file == path })
            #expect(errors.description.hasPrefix(path + ":4:11: error: "))
        }
    }
}
