import Testing
import HasimScenario

/// Input a loader meets in the wild: files saved in another encoding, values with line
/// breaks. Every error keeps its place and its one line.
@Suite struct LoaderInputHardeningTests {
    @Test func bytesThatAreNotUTF8AreLocated() throws {
        var bytes = Array("name: t\nduration: 10m\ndescription: caf".utf8)
        bytes.append(0xE9)  // Latin-1 'é'
        bytes += Array("\n".utf8)
        guard case .failure(let issue) = ScenarioLoader.decode(bytes, file: "t.yaml") else {
            Issue.record("accepted Latin-1 bytes as UTF-8"); return
        }
        #expect(issue.mark?.line == 3)
        #expect(issue.mark?.column == 17)
        #expect(issue.message == "the file is not UTF-8 text: invalid bytes 0xE9 0x0A")
    }

    @Test func validUTF8IsDecodedUnchanged() {
        // The flip: the same text in UTF-8 decodes.
        let text = "name: t\ndescription: café ✓ 𝄞\n"
        #expect(ScenarioLoader.decode(Array(text.utf8), file: "t.yaml") == .success(text))
    }

    @Test func aValueWithALineBreakIsEchoedOnOneLine() {
        let all = issues("""
        name: t
        duration: "10\\nminutes"
        """)
        let desc = all.map(\.description)
        #expect(!desc.isEmpty)
        for d in desc {
            let lines = d.split(separator: "\n")
            #expect(lines.count <= 2, "\(d)")
            if lines.count == 2 { #expect(lines[1].hasPrefix("  hint: ")) }
        }
        #expect(desc.contains { $0.contains("10\\nminutes") })
    }
}
