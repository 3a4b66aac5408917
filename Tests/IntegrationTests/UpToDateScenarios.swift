import Foundation
import Testing

/// Each consequence of contract section 2, as a user meets it.
@Suite struct UpToDateScenarios {
    static let jobfile = """
        version: 1
        vars:
          dir: out
          greeting: hello
        rules:
          strip:
            foreach: {i: {glob: "in/*.txt"}}
            output: ${dir}/${i}.txt
            inputs: ["in/${i}.txt"]
            run: sed '/^#/d' ${in} > ${out}
          all:
            inputs: ["${rules.strip}"]
            output: ${dir}/all.txt
            run: (echo ${greeting}; cat ${in}) > ${out}
        targets:
          default: [all]
        """

    func project() throws -> JobProject {
        try JobProject(jobfile: Self.jobfile, files: [
            "in/a.txt": "# comment\nalpha\n",
            "in/b.txt": "# comment\nbeta\n",
            "in/c.txt": "gamma\n",
        ])
    }

    @Test func firstBuildRunsEverythingAndWritesOutputs() throws {
        let p = try project()
        let r = try p.build()
        #expect(r.status == 0)
        #expect(r.instances("built") == ["all", "strip[i=a]", "strip[i=b]", "strip[i=c]"])
        #expect(p.read("out/all.txt") == "hello\nalpha\nbeta\ngamma\n")
        #expect(r.summary?["built"] as? Int == 4)
    }

    @Test func nothingChangedRunsNothing() throws {
        let p = try project()
        _ = try p.build()
        let r = try p.build()
        #expect(r.status == 0)
        #expect(r.instances("skipped").count == 4)
        #expect(r.instances("built").isEmpty)
        #expect(r.summary?["skipped"] as? Int == 4)
    }

    @Test func touchedButUnchangedInputRunsNothing() throws {
        let p = try project()
        _ = try p.build()
        usleep(20_000)
        try p.touch("in/a.txt")
        try p.write("in/b.txt", "# comment\nbeta\n")   // rewritten, same bytes
        let r = try p.build()
        #expect(r.instances("built").isEmpty)
        #expect(r.instances("skipped").count == 4)
    }

    @Test func editedInputRebuildsItsChainOnly() throws {
        let p = try project()
        _ = try p.build()
        try p.write("in/b.txt", "# comment\nBETA\n")
        let r = try p.build()
        #expect(r.instances("built") == ["all", "strip[i=b]"])
        #expect(r.instances("skipped") == ["strip[i=a]", "strip[i=c]"])
        #expect(p.read("out/all.txt") == "hello\nalpha\nBETA\ngamma\n")
        let reason = r.ruleEvents.first { $0["instance"] as? String == "strip[i=b]" }?["reason"] as? String
        #expect(reason == "input changed: in/b.txt")
    }

    @Test func editedRecipeRebuildsThatRuleAndDependents() throws {
        let p = try project()
        _ = try p.build()
        try p.write("Jobfile", Self.jobfile.replacingOccurrences(of: "run: sed '/^#/d' ${in} > ${out}",
                                                                 with: "run: sed '/^#/d;s/a/A/' ${in} > ${out}"))
        let r = try p.build()
        #expect(r.instances("built") == ["all", "strip[i=a]", "strip[i=b]", "strip[i=c]"])
        #expect(p.read("out/all.txt") == "hello\nAlpha\nbetA\ngAmma\n")
        let reason = r.ruleEvents.first { $0["instance"] as? String == "strip[i=a]" }?["reason"] as? String
        #expect(reason == "recipe changed")
    }

    @Test func identicalOutputStopsTheRebuild() throws {
        let p = try project()
        _ = try p.build()
        try p.write("in/a.txt", "# another comment\nalpha\n")   // strip's output stays the same
        let r = try p.build()
        #expect(r.instances("built") == ["strip[i=a]"])
        #expect(r.instances("skipped").contains("all"))
    }

    @Test func deletedOutputIsRestoredFromTheStore() throws {
        let p = try project()
        _ = try p.build()
        try p.remove("out/b.txt")
        let r = try p.build()
        #expect(r.instances("restored") == ["strip[i=b]"])
        #expect(r.instances("built").isEmpty)
        #expect(p.read("out/b.txt") == "beta\n")
    }

    @Test func outputEditedByHandIsRestored() throws {
        let p = try project()
        _ = try p.build()
        try p.write("out/all.txt", "vandalised\n")
        let r = try p.build()
        #expect(r.instances("restored") == ["all"])
        #expect(p.read("out/all.txt") == "hello\nalpha\nbeta\ngamma\n")
        // A restored file is a copy: editing it again does not damage the store.
        try p.write("out/all.txt", "again\n")
        _ = try p.build()
        #expect(p.read("out/all.txt") == "hello\nalpha\nbeta\ngamma\n")
    }

    @Test func undoneEditIsRestoredNotRebuilt() throws {
        let p = try project()
        _ = try p.build()
        try p.write("in/c.txt", "GAMMA\n")
        #expect(try p.build().instances("built") == ["all", "strip[i=c]"])
        try p.write("in/c.txt", "gamma\n")
        let r = try p.build()
        #expect(r.instances("restored") == ["all", "strip[i=c]"])
        #expect(r.instances("built").isEmpty)
        #expect(p.read("out/all.txt") == "hello\nalpha\nbeta\ngamma\n")
    }

    @Test func varOverrideRebuildsWhatUsesIt() throws {
        let p = try project()
        _ = try p.build()
        let r = try p.build(["greeting=bonjour"])
        #expect(r.instances("built") == ["all"])
        #expect(p.read("out/all.txt") == "bonjour\nalpha\nbeta\ngamma\n")
        // Back to the Jobfile's value: a key seen before, restored.
        let back = try p.build()
        #expect(back.instances("restored") == ["all"])
        #expect(p.read("out/all.txt")?.hasPrefix("hello\n") == true)
    }

    @Test func deletingTheCacheIsSafe() throws {
        let p = try project()
        _ = try p.build()
        try p.remove("cache")
        let r = try p.build()
        // Outputs are rebuilt; being byte-identical to the files there, they are adopted.
        #expect(r.status == 0)
        #expect(r.instances("built").count == 4)
        #expect(try p.build().instances("skipped").count == 4)
    }
}

extension UpToDateScenarios {
    @Test func newFileMatchingAGlobAddsAnInstance() throws {
        let p = try project()
        _ = try p.build()
        try p.write("in/d.txt", "delta\n")
        let r = try p.build()
        #expect(r.instances("built") == ["all", "strip[i=d]"])
        #expect(p.read("out/all.txt") == "hello\nalpha\nbeta\ngamma\ndelta\n")
        try p.remove("in/a.txt")
        let fewer = try p.build()
        #expect(fewer.ruleEvents.count == 4)
        #expect(p.read("out/all.txt") == "hello\nbeta\ngamma\ndelta\n")
    }

    @Test func aCorruptCompiledPlanIsIgnored() throws {
        let p = try project()
        _ = try p.build()
        try p.write("cache/plan.bin", "garbage")
        let r = try p.build()
        #expect(r.status == 0)
        #expect(r.instances("skipped").count == 4)
    }
}
