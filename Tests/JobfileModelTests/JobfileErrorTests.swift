import Foundation
import JobBasics
import JobfileModel
import JobRecipes
import Testing

/// Every error names its place: line and column (both from 1) of the offending text.
@Suite("Jobfile errors")
struct JobfileErrorTests {
    @Test func unknownTopLevelKeyWithSuggestion() throws {
        let d = try singleError("""
            version: 1
            varz:
              a: b
            rules:
              r:
                output: o
                run: x
            """)
        expectDiagnostic(d, line: 2, column: 1, "unknown key 'varz' in the Jobfile", "(did you mean 'vars'?)")
        #expect(d.headline == "Jobfile:2:1: error: unknown key 'varz' in the Jobfile (did you mean 'vars'?)")
    }

    @Test func unknownRuleKeyWithSuggestion() throws {
        let d = try singleError("""
            rules:
              r:
                output: o
                run: x
                descripton: hi
            """)
        expectDiagnostic(d, line: 5, column: 5, "unknown key 'descripton' in rule 'r'", "(did you mean 'description'?)")

        let typo = errors("""
            rules:
              r:
                outptu: o
                run: x
            """)
        let unknown = try #require(typo.first { $0.message.contains("unknown key 'outptu'") })
        expectDiagnostic(unknown, line: 3, column: 5, "(did you mean 'output'?)")
    }

    @Test func missingRecipe() throws {
        let d = try singleError("""
            rules:
              good:
                output: g
                run: x
              r:
                output: o
            """)
        expectDiagnostic(d, line: 5, column: 3, "rule 'r' has no recipe")
    }

    @Test func twoRecipes() throws {
        let d = try singleError("""
            rules:
              r:
                output: o
                run: x
                tts:
                  text: hi
            """)
        expectDiagnostic(d, line: 5, column: 5, "rule 'r' has 2 recipes ('run', 'tts')")
    }

    @Test func unknownNamePointsAtTheDollarBrace() throws {
        let all = sortedByPlace(errors("""
            vars:
              name: x
            rules:
              r:
                output: out/${naem}.txt
                run: touch ${out}
              s:
                output: s.txt
                run: echo ${nope} > ${out}
              t:
                output: "q/${zz}.txt"
                run: x
              u:
                inputs: ["a/${yy}"]
                output: u.txt
                run: x
              v:
                output: v.txt
                run: echo ${oops
            """))
        #expect(all.count == 5, "\(all.map(\.headline))")
        guard all.count == 5 else { return }
        expectDiagnostic(all[0], line: 5, column: 17, "unknown name '${naem}'", "(did you mean '${name}'?)")
        expectDiagnostic(all[1], line: 9, column: 15, "unknown name '${nope}'")
        expectDiagnostic(all[2], line: 11, column: 16, "unknown name '${zz}'")
        expectDiagnostic(all[3], line: 14, column: 17, "unknown name '${yy}'")
        expectDiagnostic(all[4], line: 19, column: 15, "unterminated '${'")
    }

    @Test func referencesBeforeAnUnterminatedOneAreJudgedFirst() throws {
        let all = errors("""
            rules:
              v:
                output: v.txt
                run: echo ${nope} é ${oops
            """)
        #expect(all.map(\.message) == ["unknown name '${nope}'", "unterminated '${' (write '$${' for a literal '${')"])
        #expect(all.map { $0.location?.column } == [15, 25])
    }

    @Test func textsCutOnceServeEveryInstanceWithItsOwnValues() throws {
        // The second pass keeps each text's cutting for the next instance (a cache per core).
        let values = (0..<5_000).map { "\"\($0)\"" }.joined(separator: ", ")
        let jobfile = try load("""
            vars:
              tool: sed
            rules:
              r:
                foreach: {n: [\(values)]}
                output: out/${n}.txt
                run: ${tool} 's/$${x}/${n}/' in/${n}.txt > ${out}
            """)
        #expect(jobfile.instances.count == 5_000)
        let commands = jobfile.instances.map { $0.invocation.commands[0].display(outputs: $0.outputs) }
        #expect(commands[0] == "sed 's/${x}/0/' in/0.txt > out/0.txt")
        #expect(commands[4_321] == "sed 's/${x}/4321/' in/4321.txt > out/4321.txt")
    }

    @Test func aMistakeInAForeachRuleIsReportedOnce() throws {
        let all = errors("""
            rules:
              a:
                foreach: {k: [x, y, z]}
                output: out/${k}-${typo}.txt
                run: touch ${out}
              b:
                foreach: {k: [x, y, z]}
                output: b/${k}.txt
                run: touch ${out}
                retries: often
            """)
        #expect(all.count == 2, "\(all.map(\.headline))")
        guard all.count == 2 else { return }
        expectDiagnostic(all[0], line: 4, column: 22, "unknown name '${typo}'")
        expectDiagnostic(all[1], line: 10, column: 14, "'retries' must be a whole number")
    }

    @Test func columnsCountCharactersNotBytes() throws {
        // `é` and `ü` are two bytes each in UTF-8, one column each, as YAML counts them.
        let d = try singleError("""
            rules:
              a:
                output: o
                run: echo "déjà vü ${nope}" > ${out}
            """)
        expectDiagnostic(d, line: 4, column: 24, "unknown name '${nope}'")
        let literal = try load("""
            rules:
              a:
                output: o
                run: echo "é $${x} $$HOME" > ${out}
            """)
        #expect(literal.instances[0].invocation.commands[0].display(outputs: ["o"]) == "echo \"é ${x} $$HOME\" > o")
    }

    @Test func unknownOutputAndInputNamesAndRules() throws {
        let all = sortedByPlace(errors("""
            rules:
              a:
                outputs: {video: v.mp4}
                run: x ${out.vidoe}
              b:
                inputs: {left: l.txt}
                output: b.txt
                run: x ${in.rigth}
              c:
                output: c.txt
                run: x ${rules.aa}
              d:
                inputs: ["${in}"]
                output: d.txt
                run: x
            """))
        #expect(all.count == 4, "\(all.map(\.headline))")
        guard all.count == 4 else { return }
        expectDiagnostic(all[0], line: 4, column: 12, "unknown name '${out.vidoe}'", "did you mean '${out.video}'")
        expectDiagnostic(all[1], line: 8, column: 12, "unknown name '${in.rigth}'")
        expectDiagnostic(all[2], line: 11, column: 12, "unknown rule '${rules.aa}'", "did you mean '${rules.a}'")
        expectDiagnostic(all[3], line: 13, column: 15, "'${in}' cannot be used here")
    }

    @Test func reservedNames() throws {
        let all = sortedByPlace(errors("""
            vars:
              in: x
              rules: y
            rules:
              r:
                foreach: {out: [a]}
                output: o
                run: x
            """))
        #expect(all.count == 3, "\(all.map(\.headline))")
        guard all.count == 3 else { return }
        expectDiagnostic(all[0], line: 2, column: 3, "'in' is reserved and cannot be a var name")
        expectDiagnostic(all[1], line: 3, column: 3, "'rules' is reserved and cannot be a var name")
        expectDiagnostic(all[2], line: 6, column: 15, "'out' is reserved and cannot be a foreach key")
    }

    @Test func reservedNamesTheOtherWayRound() throws {
        let all = sortedByPlace(errors("""
            vars:
              out: x
            rules:
              r:
                foreach:
                  rules: [a]
                  in: [b]
                output: o
                run: x
            """))
        #expect(all.count == 3, "\(all.map(\.headline))")
        guard all.count == 3 else { return }
        expectDiagnostic(all[0], line: 2, column: 3, "'out' is reserved and cannot be a var name")
        expectDiagnostic(all[1], line: 6, column: 7, "'rules' is reserved and cannot be a foreach key")
        expectDiagnostic(all[2], line: 7, column: 7, "'in' is reserved and cannot be a foreach key")
    }

    @Test func foreachKeyMayNotShadowAVar() throws {
        let d = try singleError("""
            vars:
              scene: x
            rules:
              r:
                foreach: {scene: [a]}
                output: o-${scene}
                run: x
            """)
        expectDiagnostic(d, line: 5, column: 15, "foreach key 'scene' has the name of a var")
    }

    @Test func twoRulesWritingOneOutput() throws {
        let d = try singleError("""
            rules:
              a:
                output: same.txt
                run: x
              b:
                output: ./same.txt
                run: y
            """)
        expectDiagnostic(d, line: 6, column: 13, "'same.txt' is the output of both 'a' (line 3) and 'b'")

        let e = try singleError("""
            rules:
              c:
                foreach: {k: ["1", "2"]}
                output: fixed.txt
                run: x
            """)
        expectDiagnostic(e, line: 4, column: 13, "'fixed.txt' is the output of both 'c[k=1]'", "and 'c[k=2]'")
    }

    @Test func repeatedForeachValuesNameTwoInstancesAlike() {
        let all = errors("""
            rules:
              c:
                foreach: {k: ["1", "1"]}
                output: ${k}.txt
                run: x
            """)
        #expect(all.map(\.message) == ["rule 'c' has two instances named 'c[k=1]' (repeated foreach values)",
                                        "'1.txt' is the output of both 'c[k=1]' (line 4) and 'c[k=1]'"])
    }

    @Test func pathsOutsideTheProject() throws {
        let all = sortedByPlace(errors("""
            rules:
              a:
                output: /etc/passwd-job
                run: x
              b:
                inputs: [../secret.txt]
                output: b.txt
                run: x
              c:
                inputs: [sub/../../x.txt]
                output: c.txt
                run: x
              d:
                output: ""
                run: x
            """))
        #expect(all.count == 4, "\(all.map(\.headline))")
        guard all.count == 4 else { return }
        expectDiagnostic(all[0], line: 3, column: 13, "output: absolute path '/etc/passwd-job' is outside the project",
                         "roots:")
        expectDiagnostic(all[1], line: 6, column: 14, "input: path '../secret.txt' escapes the project root")
        expectDiagnostic(all[2], line: 10, column: 14, "input: path 'sub/../../x.txt' escapes the project root")
        expectDiagnostic(all[3], line: 14, column: 13, "empty path")
    }

    @Test func rootsMustBeAbsolute() throws {
        let d = try singleError("""
            roots: [shared]
            rules:
              a:
                output: a
                run: x
            """)
        expectDiagnostic(d, line: 1, column: 9, "a directory in 'roots' must be absolute")
    }

    @Test func badRetriesTimeoutAndPool() throws {
        let all = sortedByPlace(errors("""
            pools: {tts: 2}
            rules:
              a:
                output: a
                run: x
                retries: x
              b:
                output: b
                run: x
                timeout: soon
              c:
                output: c
                run: x
                pool: ttx
              d:
                output: d
                run: x
                retries: -1
                timeout: 0s
            """))
        #expect(all.count == 5, "\(all.map(\.headline))")
        guard all.count == 5 else { return }
        expectDiagnostic(all[0], line: 6, column: 14, "'retries' must be a whole number of at least 0, not 'x'")
        expectDiagnostic(all[1], line: 10, column: 14, "'timeout' must be a duration", "not 'soon'")
        expectDiagnostic(all[2], line: 14, column: 11, "unknown pool 'ttx'", "(did you mean 'tts'?)")
        expectDiagnostic(all[3], line: 18, column: 14, "not '-1'")
        expectDiagnostic(all[4], line: 19, column: 14, "not '0s'")
    }

    @Test func poolWithoutAnyPools() throws {
        let d = try singleError("""
            rules:
              a:
                output: a
                run: x
                pool: gpu
            """)
        expectDiagnostic(d, line: 5, column: 11, "unknown pool 'gpu'", "declare it under 'pools:'")
    }

    @Test func poolSizeMustBePositive() throws {
        let d = try singleError("""
            pools:
              tts: 0
            rules:
              a:
                output: a
                run: x
            """)
        expectDiagnostic(d, line: 2, column: 8, "pool 'tts' must be a whole number of at least 1")
    }

    @Test func foreachProductOverAMillionIsRefusedBeforeExpanding() throws {
        let values = "[" + (0...100).map(String.init).joined(separator: ", ") + "]"   // 101 values
        let text = """
            version: 1
            rules:
              big:
                foreach:
                  a: \(values)
                  b: \(values)
                  c: \(values)
                output: out/${a}/${b}/${c}.txt
                run: touch ${out}
            """
        let clock = ContinuousClock()
        let start = clock.now
        let d = try singleError(text)
        let elapsed = clock.now - start
        expectDiagnostic(d, line: 5, column: 7, "'foreach' makes more than 1000000 instances")
        // 1,030,301 instances were never built: refusing takes no time at all.
        #expect(elapsed < .seconds(5))
    }

    @Test func flowNestingDeeperThan512IsRefused() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let d = try singleError("""
            version: 1
            rules:
              a:
                output: o
                run: x
            vars: \(deep)
            """)
        // "vars: " is 6 columns; the 513th bracket is at column 6 + 513.
        expectDiagnostic(d, line: 6, column: 519, "nests deeper than 512 levels")

        // Columns count characters, not bytes ("é" is two bytes).
        let e = try singleError("vars: [\"é\", " + String(repeating: "[", count: 600) + String(repeating: "]", count: 601) + "\n")
        expectDiagnostic(e, line: 1, column: 524, "nests deeper than 512 levels")
    }

    @Test func aMillionOpenBracketsAreRefusedAtTheFirstPastTheLimit() throws {
        // Mappings count too; the parser stops at the 513th, without reading the rest.
        let d = try singleError("vars: " + String(repeating: "{a: [", count: 500_000) + "\n")
        // Each "{a: [" opens two: the 513th opening is the `{` of the 257th group.
        expectDiagnostic(d, line: 1, column: 7 + 256 * 5, "nests deeper than 512 levels")
    }

    @Test func bracketsInQuotesAndCommentsAreNotNesting() throws {
        let many = String(repeating: "[", count: 600)
        let jf = try load("""
            # \(many)
            rules:    # \(many)
              a:
                output: o
                run: 'echo ''\(many)'' > ${out}'
                description: "don't \\" \(many)"
            """)
        let a = try jf.instance("a")
        #expect(a.commandText == "echo '\(many)' > o")
        #expect(a.description == "don't \" \(many)")
    }

    @Test func anApostropheInAPlainScalarDoesNotHideDeepNesting() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let d = try singleError("""
            rules:
              a:
                output: o
                run: x
                description: don't stop
            vars: \(deep)
            """)
        expectDiagnostic(d, line: 6, column: 519, "nests deeper than 512 levels")
    }

    @Test func invalidYAMLWithItsPlace() throws {
        let tab = try singleError("version: 1\nrules:\n\ta: 1\n")
        expectDiagnostic(tab, line: 3, column: 1, "invalid YAML")

        let unclosed = try singleError("""
            version: 1
            rules:
              a:
                output: [o
                run: x
            """)
        #expect(unclosed.message.hasPrefix("invalid YAML"))
        #expect(unclosed.location?.line == 5)

        let empty = try singleError("")
        expectDiagnostic(empty, line: 1, column: 1, "the Jobfile is empty")
    }

    @Test func duplicateKeys() throws {
        // A repeated key is refused (YAML would silently keep one of them), at its place.
        let inRule = try singleError("""
            version: 1
            rules:
              a:
                output: x
                run: y
                output: z
            """)
        expectDiagnostic(inRule, line: 4, column: 5, "'output' is given twice")
        #expect(!inRule.message.contains("run: y"))          // not the whole file quoted back

        let rules = try singleError("""
            rules:
              a:
                output: w
                run: v
              a:
                output: x
                run: y
            """)
        expectDiagnostic(rules, line: 2, column: 3, "'a' is given twice")

        let topLevel = try singleError("""
            version: 1
            rules:
              a:
                output: w
                run: v
            version: 1
            """)
        expectDiagnostic(topLevel, line: 1, column: 1, "'version' is given twice")
    }

    @Test func shapesAndNames() throws {
        let all = sortedByPlace(errors("""
            version: 2
            rules:
              bad name:
                output: o
                run: x
              a: just a string
              b:
                output: b
                run: {not: allowed}
            """))
        #expect(all.count == 4, "\(all.map(\.headline))")
        guard all.count == 4 else { return }
        expectDiagnostic(all[0], line: 1, column: 10, "unsupported version")
        expectDiagnostic(all[1], line: 3, column: 3, "invalid rule name 'bad name'")
        expectDiagnostic(all[2], line: 6, column: 6, "rule 'a' must be a mapping")
        expectDiagnostic(all[3], line: 9, column: 10, "'run' must be a string or a list of strings")

        let none = try singleError("version: 1\n")
        #expect(none.message.contains("the Jobfile has no 'rules'"))
    }

    @Test func everyIndependentErrorIsReported() throws {
        let all = sortedByPlace(errors("""
            version: 1
            varz: {}
            rules:
              a:
                output: a.txt
                run: x
                retries: many
              b:
                output: b.txt
                run: y
                timeout: soon
            """))
        #expect(all.count == 3, "\(all.map(\.headline))")
        let places = all.compactMap { d in d.location.map { [$0.line, $0.column] } }
        #expect(places == [[2, 1], [7, 14], [11, 14]])
        #expect(all.allSatisfy { $0.severity == .error })
    }
}
