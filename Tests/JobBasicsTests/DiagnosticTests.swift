import JobBasics
import Testing

private typealias Place = JobBasics.SourceLocation

@Suite("Diagnostics")
struct DiagnosticTests {
    @Test func headlineWithPlace() {
        let d = Diagnostic("unknown key 'outptu' in rule 'a'", at: Place(file: "Jobfile", line: 12, column: 5))
        #expect(d.headline == "Jobfile:12:5: error: unknown key 'outptu' in rule 'a'")
        #expect(d.severity == .error)
    }

    @Test func headlineWithoutPlaceAndOtherSeverities() {
        #expect(Diagnostic("no Jobfile here", at: nil).headline == "error: no Jobfile here")
        let w = Diagnostic("odd", at: Place(file: "jobs/Other.yml", line: 1, column: 1), severity: .warning)
        #expect(w.headline == "jobs/Other.yml:1:1: warning: odd")
        #expect(Diagnostic("see here", at: nil, severity: .note).headline == "note: see here")
    }

    @Test func advancedByColumnsKeepsFileAndLine() {
        let p = Place(file: "Jobfile", line: 4, column: 13).advanced(byColumns: 4)
        #expect(p == Place(file: "Jobfile", line: 4, column: 17))
    }

    static let source = """
        version: 1
        rules:
          a:
            outptu: build/a.txt
            run: touch ${out}
        """

    @Test func rendersQuotedLineAndCaretUnderColumn() {
        let renderer = DiagnosticRenderer(sources: ["Jobfile": Self.source])
        let d = Diagnostic("unknown key 'outptu'", at: Place(file: "Jobfile", line: 4, column: 5))
        #expect(renderer.render(d) == """
            Jobfile:4:5: error: unknown key 'outptu'
                outptu: build/a.txt
                ^
            """)
    }

    @Test func caretInMiddleOfLastLineWithoutNewline() {
        let renderer = DiagnosticRenderer(sources: ["Jobfile": Self.source])
        // "    run: touch ${out}": the `${` is at column 16.
        let d = Diagnostic("bad", at: Place(file: "Jobfile", line: 5, column: 16))
        let lines = renderer.render(d).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[1] == "    run: touch ${out}")
        #expect(lines[2] == String(repeating: " ", count: 15) + "^")
        let caretOffset = lines[2].count - 1
        #expect(lines[1].dropFirst(caretOffset).hasPrefix("${out}"))
    }

    @Test func caretAtFirstColumnOfFirstLine() {
        let renderer = DiagnosticRenderer(sources: ["Jobfile": "vesion: 1\nrules: {}\n"])
        let d = Diagnostic("unknown key", at: Place(file: "Jobfile", line: 1, column: 1))
        #expect(renderer.render(d) == "Jobfile:1:1: error: unknown key\nvesion: 1\n^")
    }

    @Test func tabsAreKeptSoTheCaretLinesUp() {
        let renderer = DiagnosticRenderer(sources: ["F": "a: 1\n\tb: x\n"])
        let d = Diagnostic("here", at: Place(file: "F", line: 2, column: 5))
        #expect(renderer.render(d) == "F:2:5: error: here\n\tb: x\n\t   ^")
    }

    @Test func columnsCountCharactersNotBytes() {
        // "é" is two bytes in UTF-8 but one column.
        let renderer = DiagnosticRenderer(sources: ["F": "name: é${x}"])
        let d = Diagnostic("unknown name", at: Place(file: "F", line: 1, column: 8))
        #expect(renderer.render(d) == "F:1:8: error: unknown name\nname: é${x}\n       ^")
    }

    @Test func withoutSourceOrPastTheEndOnlyTheHeadline() {
        let d = Diagnostic("boom", at: Place(file: "Jobfile", line: 2, column: 1))
        #expect(DiagnosticRenderer().render(d) == "Jobfile:2:1: error: boom")
        let other = DiagnosticRenderer(sources: ["Other": "x: 1\ny: 2\n"])
        #expect(other.render(d) == "Jobfile:2:1: error: boom")
        let short = DiagnosticRenderer(sources: ["Jobfile": "x: 1\n"])
        #expect(short.render(Diagnostic("far", at: Place(file: "Jobfile", line: 7, column: 1)))
                == "Jobfile:7:1: error: far")
        #expect(short.render(Diagnostic("nowhere", at: nil)) == "error: nowhere")
    }

    @Test func emptyLineAfterTrailingNewlineIsQuotable() {
        let renderer = DiagnosticRenderer(sources: ["F": "a: 1\n"])
        #expect(renderer.render(Diagnostic("end", at: Place(file: "F", line: 2, column: 1)))
                == "F:2:1: error: end\n\n^")
    }

    @Test func bagCollectsEveryErrorAndThrowsThemAll() {
        var bag = DiagnosticBag()
        #expect(!bag.hasErrors)
        bag.append(Diagnostic("just a note", at: nil, severity: .note))
        #expect(!bag.hasErrors)
        #expect(throws: Never.self) { try bag.throwIfErrors() }
        bag.error("first", at: Place(file: "F", line: 1, column: 1))
        bag.append(contentsOf: [Diagnostic("second", at: nil), Diagnostic("third", at: nil)])
        #expect(bag.hasErrors)
        do {
            try bag.throwIfErrors()
            Issue.record("expected a UsageError")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["just a note", "first", "second", "third"])
        }
    }

    @Test func bagThrowsTheSameDiagnosticOnce() {
        var bag = DiagnosticBag()
        let here = Place(file: "Jobfile", line: 4, column: 22)
        for _ in 0..<3 { bag.error("unknown name '${typo}'", at: here) }
        bag.error("unknown name '${typo}'", at: here.advanced(byColumns: 1))   // another place
        bag.error("another", at: here)
        #expect(bag.diagnostics.count == 5)      // everything found is kept...
        do {
            try bag.throwIfErrors()
            Issue.record("expected a UsageError")
        } catch {
            // ...and reported once.
            #expect(error.diagnostics.map(\.headline) == [
                "Jobfile:4:22: error: unknown name '${typo}'",
                "Jobfile:4:23: error: unknown name '${typo}'",
                "Jobfile:4:22: error: another",
            ])
        }
    }
}

@Suite("nearestName")
struct NearestNameTests {
    @Test func suggestsTheClosestKnownName() {
        #expect(nearestName(to: "outptu", in: ["inputs", "output", "outputs", "run"]) == "output")
        #expect(nearestName(to: "ruls", in: ["version", "vars", "rules", "targets"]) == "rules")
        #expect(nearestName(to: "descripton", in: ["description", "env", "pool"]) == "description")
        #expect(nearestName(to: "Pool", in: ["pool", "env"]) == "pool")
    }

    @Test func exactMatchWins() {
        #expect(nearestName(to: "vars", in: ["var", "vars", "bars"]) == "vars")
    }

    @Test func nothingWhenTooFar() {
        #expect(nearestName(to: "xyzzy", in: ["output", "inputs", "run"]) == nil)
        #expect(nearestName(to: "anything", in: [String]()) == nil)
        // Two letters wrong is near enough for a short word, three is not.
        #expect(nearestName(to: "abc", in: ["xyz"]) == nil)
        #expect(nearestName(to: "abc", in: ["xbz"]) == "xbz")
    }

    @Test func longerWordsAllowMoreEdits() {
        // 12 letters: up to 4 edits.
        #expect(nearestName(to: "abcdefghijkl", in: ["abcdefghwxyz"]) == "abcdefghwxyz")
        #expect(nearestName(to: "abcdefghijkl", in: ["abcdefgvwxyz"]) == nil)
    }

    @Test func tiesGoToTheFirstCandidate() {
        #expect(nearestName(to: "outputz", in: ["output", "outputs"]) == "output")
        #expect(nearestName(to: "outputz", in: ["outputs", "output"]) == "outputs")
    }
}
