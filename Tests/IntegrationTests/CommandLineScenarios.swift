import Foundation
import Testing

/// The command line as the contract describes it: subcommands, flags, exit statuses.
@Suite struct CommandLineScenarios {
    static let jobfile = """
        version: 1
        vars:
          word: hello
        rules:
          greet:
            foreach: {who: [ann, bob]}
            output: out/${who}.txt
            run: echo ${word} ${who} > ${out}
          both:
            inputs: ["${rules.greet}"]
            output: out/both.txt
            run: cat ${in} > ${out}
        targets:
          default: [both]
          ann-only: [out/ann.txt]
        """

    @Test func dryRunPrintsWhatWouldRunAndWhyAndRunsNothing() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let r = try p.job(["build", "-n"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("would run greet[who=ann]: never built"))
        #expect(r.stdout.contains("echo hello ann > out/ann.txt"))
        #expect(r.stdout.contains("would run both: input will be rebuilt: out/ann.txt"))
        #expect(!p.exists("out"))
        _ = try p.build()
        try p.write("Jobfile", Self.jobfile.replacingOccurrences(of: "word: hello", with: "word: bye"))
        let again = try p.job(["build", "-n"])
        #expect(again.stdout.contains("would run greet[who=bob]: recipe changed"))
        #expect(p.read("out/ann.txt") == "hello ann\n")
    }

    @Test func explainGivesEachReason() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        #expect(try p.job(["explain", "both"]).stdout.contains("greet[who=ann]: would run (never built)"))
        _ = try p.build()
        let fresh = try p.job(["explain", "both"])
        #expect(fresh.stdout.contains("both: up to date"))
        try FileManager.default.removeItem(atPath: p.path("out/bob.txt"))
        try p.write("out/ann.txt", "edited\n")
        let r = try p.job(["explain", "both"])
        #expect(r.stdout.contains("greet[who=bob]: would be restored from the cache (output missing: out/bob.txt)"))
        #expect(r.stdout.contains("greet[who=ann]: would be restored from the cache (output modified: out/ann.txt)"))
    }

    @Test func targetsByNameRuleAndPath() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        #expect(try p.build(["ann-only"]).instances("built") == ["greet[who=ann]"])
        #expect(try p.build(["out/bob.txt"]).instances("built") == ["greet[who=bob]"])
        let rule = try p.build(["greet"])
        #expect(rule.instances("skipped") == ["greet[who=ann]", "greet[who=bob]"])
        #expect(try p.build().instances("built") == ["both"])
    }

    @Test func graphAsDotAndJSON() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let dot = try p.job(["graph"])
        #expect(dot.status == 0)
        #expect(dot.stdout.hasPrefix("digraph job {"))
        #expect(dot.stdout.contains("\"greet[who=ann]\" -> \"both\";"))
        let json = try p.job(["graph", "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let instances = object?["instances"] as? [[String: Any]]
        #expect(instances?.count == 3)
        #expect(instances?.last?["depends_on"] as? [String] == ["greet[who=ann]", "greet[who=bob]"])
    }

    @Test func listShowsRulesInstancesOutputsAndTargets() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let r = try p.job(["list"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("greet[who=bob] -> out/bob.txt"))
        #expect(r.stdout.contains("ann-only: out/ann.txt"))
    }

    @Test func cleanRemovesOutputsAndKeepsTheCache() throws {
        let p = try JobProject(jobfile: Self.jobfile, files: ["keep.txt": "x"])
        _ = try p.build()
        let r = try p.job(["clean"])
        #expect(r.status == 0)
        #expect(!p.exists("out/both.txt") && !p.exists("out/ann.txt"))
        #expect(p.exists("cache/state.db"))
        let rebuilt = try p.build()
        #expect(rebuilt.instances("restored").count == 3)
        #expect(p.read("out/both.txt") == "hello ann\nhello bob\n")
    }

    @Test func cacheDirectoryFlagAndEnvironment() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        _ = try p.build(["--cache-dir", "elsewhere"])
        #expect(p.exists("elsewhere/state.db"))
        #expect(!p.exists("cache"))
        let viaEnv = try p.build(environment: ["JOB_CACHE_DIR": p.path("elsewhere")])
        #expect(viaEnv.instances("skipped").count == 3)
    }

    @Test func fileAndDirectoryOptions() throws {
        let p = try JobProject(jobfile: "version: 1\nrules: {}\n")
        try p.write("sub/My.jobfile", Self.jobfile)
        let r = try p.job(["build", "--json", "-C", "sub", "-f", "My.jobfile"])
        #expect(r.status == 0)
        #expect(p.read("sub/out/both.txt") == "hello ann\nhello bob\n")
        #expect(p.exists("sub/cache/state.db"))
    }

    @Test func versionAndHelp() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let v = try p.job(["--version"])
        #expect(v.status == 0)
        #expect(v.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        #expect(try p.job(["build", "--help"]).stdout.contains("--keep-going"))
    }

    @Test func badCommandLinesExitWith2() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let unknownTarget = try p.job(["build", "bothh"])
        #expect(unknownTarget.status == 2)
        #expect(unknownTarget.stderr.contains("error: unknown target 'bothh'"))
        #expect(unknownTarget.stderr.contains("did you mean 'both'?"))
        let malformed = try p.job(["build", "=x"])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("malformed 'NAME=VALUE'"))
        let unknownVar = try p.job(["build", "wrod=x"])
        #expect(unknownVar.status == 2)
        #expect(unknownVar.stderr.contains("unknown var 'wrod'"))
        #expect(try p.job(["build", "--no-such-flag"]).status == 2)
        #expect(try p.job(["frobnicate"]).status == 2)
        #expect(try p.job(["build", "-j", "0"]).status == 2)
    }

    @Test func humanOutputOffATerminalIsOneLinePerRuleThatRan() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let first = try p.job(["build"])
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.filter { $0.contains("] built ") }.count == 3)
        #expect(lines.first?.hasPrefix("[1/3] built greet[who=") == true)
        let noop = try p.job(["build"])
        #expect(noop.stdout == "job: nothing to do\n")
        let verbose = try p.job(["build", "-v"])
        #expect(verbose.stdout.contains("up to date both"))
    }
}

extension CommandLineScenarios {
    @Test func instanceNamesAreTargetsAndOtherCommandsTakeOverrides() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let r = try p.build(["greet[who=bob]"])
        #expect(r.instances("built") == ["greet[who=bob]"])
        let cleaned = try p.job(["clean", "word=other"])
        #expect(cleaned.status == 0)
        #expect(!p.exists("out/bob.txt"))
        let dry = try p.build(["-n", "word=other"])
        #expect(dry.summary?["dry_run"] as? Bool == true)
        #expect(dry.ruleEvents.allSatisfy { $0["dry_run"] as? Bool == true })
    }

    @Test func blockedInstancesSayWhy() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              bad:
                output: bad.txt
                run: sleep 0.1; exit 1
              child:
                inputs: [bad.txt]
                output: child.txt
                run: cp ${in} ${out}
            """)
        let r = try p.build()
        let child = r.ruleEvents.first { $0["instance"] as? String == "child" }
        #expect(child?["status"] as? String == "blocked")
        #expect(child?["reason"] as? String == "needs 'bad', which did not build")
        let bad = r.ruleEvents.first { $0["instance"] as? String == "bad" }
        #expect((bad?["duration_s"] as? Double ?? 0) >= 0.1)
    }

    @Test func dotLabelsBreakLines() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let dot = try p.job(["graph"])
        #expect(dot.stdout.contains("[label=\"greet[who=ann]\\nout/ann.txt\"]"))
    }
}
