import Foundation
import Testing

/// How rules run: in parallel, with pools, failing cleanly, not clobbering the user's files.
@Suite struct RunningScenarios {
    @Test func independentRulesRunInParallelWithJ2() throws {
        // Each rule waits for the other's flag: only a really parallel build can finish both.
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              a:
                output: a.txt
                run: touch flag-a; for i in $(seq 100); do [ -e flag-b ] && break; sleep 0.05; done; [ -e flag-b ] && echo a > ${out}
              b:
                output: b.txt
                run: touch flag-b; for i in $(seq 100); do [ -e flag-a ] && break; sleep 0.05; done; [ -e flag-a ] && echo b > ${out}
            """)
        let r = try p.build(["-j", "2"])
        #expect(r.status == 0)
        #expect(r.instances("built") == ["a", "b"])
    }

    @Test func poolLimitsConcurrency() throws {
        // Two rules in a pool of 1 under -j2: they must never overlap.
        let rule = { (name: String) in """
              \(name):
                output: \(name).txt
                pool: one
                run: if [ -e busy ]; then echo overlap > overlap; fi; touch busy; sleep 0.3; rm busy; echo \(name) > ${out}
            """ }
        let p = try JobProject(jobfile: "version: 1\npools:\n  one: 1\nrules:\n" + rule("a") + "\n" + rule("b") + "\n")
        let r = try p.build(["-j", "2"])
        #expect(r.status == 0)
        #expect(!p.exists("overlap"))
    }

    @Test func failingRuleLeavesNoOutputAndShowsCommandAndLog() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              bad:
                output: bad.txt
                run: echo partial > ${out}; echo 'something went wrong' >&2; exit 3
            """)
        let r = try p.job(["build"])
        #expect(r.status == 1)
        #expect(!p.exists("bad.txt"))
        #expect(r.stderr.contains("rule 'bad' failed: exit status 3"))
        #expect(r.stderr.contains("command: echo partial > bad.txt"))
        #expect(r.stderr.contains("something went wrong"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: p.root.path).filter { $0.contains(".job-tmp.") }
        #expect(leftovers.isEmpty)
    }

    @Test func missingDeclaredOutputFailsTheRule() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              two:
                outputs: {a: one.txt, b: two.txt}
                run: echo 1 > ${out.a}
            """)
        let r = try p.job(["build"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("did not write the output 'two.txt'"))
        #expect(!p.exists("one.txt") && !p.exists("two.txt"))
    }

    @Test func keepGoingBuildsIndependentRules() throws {
        let jobfile = """
            version: 1
            rules:
              bad:
                output: bad.txt
                run: exit 1
              after-bad:
                inputs: [bad.txt]
                output: after.txt
                run: cp ${in} ${out}
              good:
                output: good.txt
                run: sleep 0.2; echo ok > ${out}
            """
        let p = try JobProject(jobfile: jobfile)
        let k = try p.build(["-k", "-j", "1"])
        #expect(k.status == 1)
        #expect(k.instances("failed") == ["bad"])
        #expect(k.instances("built") == ["good"])
        #expect(k.instances("blocked") == ["after-bad"])

        let q = try JobProject(jobfile: jobfile)
        // Without -k, nothing new starts after the failure. `good` has the longer recorded
        // path? No record yet: priorities tie and the lower index (`bad`) goes first.
        let r = try q.build(["-j", "1"])
        #expect(r.status == 1)
        #expect(r.instances("failed") == ["bad"])
        #expect(r.instances("built").isEmpty)
        #expect(r.instances("blocked") == ["after-bad", "good"])
        #expect(!q.exists("good.txt"))
    }

    @Test func fileJobDidNotCreateIsNotOverwritten() throws {
        let jobfile = """
            version: 1
            rules:
              make:
                output: out.txt
                run: echo generated > ${out}
            """
        let p = try JobProject(jobfile: jobfile, files: ["out.txt": "mine\n"])
        let r = try p.job(["build"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("refusing to replace 'out.txt'"))
        #expect(p.read("out.txt") == "mine\n")

        let forced = try p.build(["--allow-overwrite"])
        #expect(forced.status == 0)
        #expect(p.read("out.txt") == "generated\n")
    }

    @Test func identicalFileIsAdopted() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              make:
                output: out.txt
                run: echo generated > ${out}
            """, files: ["out.txt": "generated\n"])
        let r = try p.build()
        #expect(r.status == 0)
        #expect(try p.build().instances("skipped") == ["make"])
    }

    @Test func argvListRunsWithoutShellAndEnvIsPassed() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              argv:
                output: "with space.txt"
                env: {GREETING: "hi there"}
                run: [/bin/sh, -c, 'printf "%s|%s" "$GREETING" "$#" > "$1"', sh, "${out}"]
            """)
        let r = try p.build()
        #expect(r.status == 0)
        // One argument, spaces and all: no shell split it.
        #expect(p.read("with space.txt") == "hi there|1")
    }

    @Test func shellStringQuotesSubstitutedPaths() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              copy:
                inputs: ["it's here.txt"]
                output: "copy of it.txt"
                run: cat ${in} > ${out}
            """, files: ["it's here.txt": "quoted\n"])
        let r = try p.build()
        #expect(r.status == 0)
        #expect(p.read("copy of it.txt") == "quoted\n")
    }

    @Test func environmentOfTheCallerIsNotInTheKey() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              make:
                output: out.txt
                run: echo fixed > ${out}
            """)
        _ = try p.build(environment: ["SOME_VAR": "1"])
        let r = try p.build(environment: ["SOME_VAR": "2", "PATH": "/usr/local/bin:/usr/bin:/bin"])
        #expect(r.instances("skipped") == ["make"])
    }
}

extension RunningScenarios {
    @Test func aPoolRateSpacesTheStarts() throws {
        let rules = (1...4).map { n in """
              r\(n):
                output: out/\(n).txt
                pool: api
                run: date +%s.%N > ${out}
            """ }.joined(separator: "\n")
        let p = try JobProject(jobfile: "version: 1\npools:\n  api: {jobs: 4, per_minute: 300}\nrules:\n" + rules + "\n")
        let r = try p.build(["-j", "4"])
        #expect(r.status == 0)
        let starts = (1...4).compactMap { Double(p.read("out/\($0).txt")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") }.sorted()
        #expect(starts.count == 4)
        // 300 a minute: one start every 0.2 s.
        for (a, b) in zip(starts, starts.dropFirst()) { #expect(b - a > 0.15, "starts \(starts)") }
    }

    @Test func aBadPoolRateIsAnError() throws {
        let p = try JobProject(jobfile: """
            version: 1
            pools:
              api: {jobs: 0, per_minut: 3}
            rules:
              a:
                output: a.txt
                pool: api
                run: touch ${out}
            """)
        let r = try p.job(["build"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Jobfile:3:15: error: 'jobs' of pool 'api' must be a whole number of at least 1, not '0'"))
        #expect(r.stderr.contains("unknown key 'per_minut' in pool 'api' (did you mean 'per_minute'?)"))
    }
}
