import Foundation
import Testing

/// Bad Jobfiles: exit 2, every error, each at its line and column with the line and a caret.
@Suite struct JobfileErrorScenarios {
    func errors(_ jobfile: String, files: [String: String] = [:], args: [String] = []) throws -> JobProject.Result {
        let p = try JobProject(jobfile: jobfile, files: files)
        let r = try p.job(["build"] + args)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        return r
    }

    @Test func unknownKeySuggestsTheNearName() throws {
        let r = try errors("""
            version: 1
            rules:
              a:
                outptu: a.txt
                run: touch ${out}
            """)
        #expect(r.stderr.contains("Jobfile:4:5: error: unknown key 'outptu' in rule 'a' (did you mean 'output'?)"))
        #expect(r.stderr.contains("    outptu: a.txt\n    ^"))
    }

    @Test func everyErrorIsReported() throws {
        let r = try errors("""
            version: 1
            rulez: {}
            rules:
              a:
                output: a.txt
              b:
                output: b.txt
                run: echo ${nope} > ${out}
            """)
        #expect(r.stderr.contains("Jobfile:2:1: error: unknown key 'rulez' in the Jobfile (did you mean 'rules'?)"))
        #expect(r.stderr.contains("Jobfile:4:3: error: rule 'a' has no recipe"))
        #expect(r.stderr.contains("Jobfile:8:15: error: unknown name '${nope}'"))
    }

    @Test func twoRecipesAndReservedNames() throws {
        let r = try errors("""
            version: 1
            vars:
              in: x
            rules:
              a:
                foreach: {out: [1]}
                output: a.txt
                run: touch ${out}
                encode: {input: a}
            """)
        #expect(r.stderr.contains("Jobfile:3:3: error: 'in' is reserved and cannot be a var name"))
        #expect(r.stderr.contains("Jobfile:6:15: error: 'out' is reserved and cannot be a foreach key"))
        #expect(r.stderr.contains("Jobfile:9:5: error: rule 'a' has 2 recipes"))
    }

    @Test func twoRulesWritingOneOutputAreBothNamed() throws {
        let r = try errors("""
            version: 1
            rules:
              first:
                output: same.txt
                run: touch ${out}
              second:
                output: same.txt
                run: touch ${out}
            """)
        #expect(r.stderr.contains("Jobfile:7:13: error: 'same.txt' is the output of both 'first' (line 4) and 'second'"))
    }

    @Test func cycleNamesTheRulesAroundIt() throws {
        let r = try errors("""
            version: 1
            rules:
              a:
                inputs: [b.txt]
                output: a.txt
                run: cp ${in} ${out}
              b:
                inputs: [a.txt]
                output: b.txt
                run: cp ${in} ${out}
            """)
        #expect(r.stderr.contains("error: dependency cycle: "))
        #expect(r.stderr.contains("a -> b -> a") || r.stderr.contains("b -> a -> b"))
    }

    @Test func pathsOutsideTheProjectUnlessUnderRoots() throws {
        let r = try errors("""
            version: 1
            rules:
              a:
                inputs: [/etc/hostname, ../x.txt]
                output: a.txt
                run: cat ${in} > ${out}
            """)
        #expect(r.stderr.contains("Jobfile:4:14: error: input: absolute path '/etc/hostname' is outside the project"))
        #expect(r.stderr.contains("Jobfile:4:29: error: input: path '../x.txt' escapes the project root"))

        let ok = try JobProject(jobfile: """
            version: 1
            roots: [/etc]
            rules:
              a:
                inputs: [/etc/hostname]
                output: a.txt
                run: cat ${in} > ${out}
            """)
        #expect(try ok.build().status == 0)
    }

    @Test func symlinkLeadingOutIsRefused() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              a:
                inputs: [link/hostname]
                output: a.txt
                run: cat ${in} > ${out}
            """)
        try FileManager.default.createSymbolicLink(atPath: p.path("link"), withDestinationPath: "/etc")
        let r = try p.job(["build"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Jobfile:4:14: error: input 'link/hostname' leads out of the project through a symlink"))
    }

    @Test func missingInputNamesTheRuleThatNeedsIt() throws {
        let r = try errors("""
            version: 1
            rules:
              a:
                inputs: [scripts/x.txt]
                output: a.txt
                run: cat ${in} > ${out}
            """)
        #expect(r.stderr.contains("Jobfile:4:14: error: input 'scripts/x.txt' of rule 'a' is neither a file nor the output of any rule"))
    }

    @Test func badRetriesTimeoutAndPool() throws {
        let r = try errors("""
            version: 1
            rules:
              a:
                output: a.txt
                retries: many
                timeout: soon
                pool: gpu
                run: touch ${out}
            """)
        #expect(r.stderr.contains("Jobfile:5:14: error: 'retries' must be a whole number"))
        #expect(r.stderr.contains("Jobfile:6:14: error: 'timeout' must be a duration"))
        #expect(r.stderr.contains("Jobfile:7:11: error: unknown pool 'gpu'"))
    }

    @Test func hostileJobfilesAreRefused() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let r = try errors("version: 1\nrules:\n  a: \(deep)\n")
        #expect(r.stderr.contains("nests deeper than 512 levels"))

        let values = "[" + (0..<101).map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        let big = try errors("""
            version: 1
            rules:
              a:
                foreach: {x: \(values), y: \(values), z: \(values)}
                output: o/${x}-${y}-${z}
                run: touch ${out}
            """)
        #expect(big.stderr.contains("Jobfile:4:14: error: 'foreach' makes more than 1000000 instances"))

        let binary = try errors("\u{0}\u{1}\u{2}binary")
        #expect(binary.stderr.contains("error:"))
    }

    @Test func invalidYAMLHasItsPlace() throws {
        let r = try errors("version: 1\nrules:\n  a: [unclosed\n")
        #expect(r.stderr.contains("Jobfile:"))
        #expect(r.stderr.contains("error: invalid YAML"))
    }
}

extension JobfileErrorScenarios {
    @Test func aliasBombIsRefused() throws {
        var yaml = "version: 1\nvars:\n  a0: &a0 [\"\(String(repeating: "x", count: 100))\"]\n"
        for i in 1...8 {
            yaml += "  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "rules: {}\n"
        let r = try errors(yaml)
        #expect(r.stderr.contains("aliases expand past 10 MB"))
    }
}
