import Foundation
import Testing

/// The no-op's fast path (`cache/uptodate.bin`): a plain `job build` after a build that left
/// everything up to date answers from `stat` alone, and every change that the full path would
/// act on still reaches it. Each scenario first proves that the fast path is in use: it does
/// not load the plan, so a deleted `cache/plan.bin` stays deleted.
@Suite struct FastNoOpScenarios {
    func project() throws -> JobProject {
        try JobProject(jobfile: UpToDateScenarios.jobfile, files: [
            "in/a.txt": "# comment\nalpha\n",
            "in/b.txt": "# comment\nbeta\n",
            "in/c.txt": "gamma\n",
        ])
    }

    /// A built project whose next plain build took the fast path.
    func builtProject() throws -> JobProject {
        let p = try project()
        #expect(try p.job(["build"]).status == 0)
        try expectFastNoOp(p)
        return p
    }

    func expectFastNoOp(_ p: JobProject, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try? p.remove("cache/plan.bin")
        let r = try p.job(["build"])
        #expect(r.status == 0, sourceLocation: sourceLocation)
        #expect(r.stdout == "job: nothing to do\n", sourceLocation: sourceLocation)
        #expect(!p.exists("cache/plan.bin"), "the plan was loaded: not the fast path", sourceLocation: sourceLocation)
    }

    @Test func aNoOpAfterABuildTakesTheFastPath() throws {
        let p = try builtProject()
        #expect(p.exists("cache/uptodate.bin"))
        try expectFastNoOp(p)
    }

    @Test func aBuildEndsWithItsDatabasesClosed() throws {
        // job ends without freeing its tables, but closes its databases: their logs (WAL) are
        // copied back and removed, as when the last connection closes.
        let p = try project()
        #expect(try p.job(["build"]).status == 0)
        #expect(p.exists("cache/state.db"))
        #expect(p.exists("cache/store/small.db"), "the small outputs are rows")
        for log in ["cache/state.db-wal", "cache/store/small.db-wal"] { #expect(!p.exists(log), "\(log) left") }
    }

    @Test func theFullPathOfANoOpWritesTheManifestAgain() throws {
        // Judged up to date before the build loop, each instance's files must still be known
        // to the build, or no manifest could be written.
        let p = try builtProject()
        // Past the racy window, so that the stat cache vouches for every file: the sources
        // were written just before the first build, which could not trust their status.
        usleep(100_000)
        try p.remove("cache/uptodate.bin")
        #expect(try p.build().instances("skipped").count == 4)
        try p.remove("cache/uptodate.bin")
        let r = try p.build()
        #expect(r.instances("skipped").count == 4, "\(r.stdout)")
        #expect(p.exists("cache/uptodate.bin"))
        try expectFastNoOp(p)
    }

    @Test func anEditOfTheSameSizeIsSeen() throws {
        let p = try builtProject()
        try p.write("in/b.txt", "# comment\nBETA\n")
        let r = try p.job(["build"])
        #expect(r.stdout.contains("built strip[i=b]"))
        #expect(r.stdout.contains("built all"))
        #expect(p.read("out/all.txt") == "hello\nalpha\nBETA\ngamma\n")
        try expectFastNoOp(p)
    }

    @Test func aTouchRunsNothingAndIsRememberedOnce() throws {
        let p = try builtProject()
        let before = try Data(contentsOf: URL(fileURLWithPath: p.path("cache/uptodate.bin")))
        try p.touch("in/a.txt")
        usleep(100_000)   // older than the racy window: the new status can be trusted
        try expectFastNoOp(p)
        let after = try Data(contentsOf: URL(fileURLWithPath: p.path("cache/uptodate.bin")))
        #expect(before != after, "the touched file's new status was not written back")
        // Written back once: the next no-op finds it as it is.
        try expectFastNoOp(p)
        #expect(try Data(contentsOf: URL(fileURLWithPath: p.path("cache/uptodate.bin"))) == after)
    }

    @Test func aDeletedOutputIsRestored() throws {
        let p = try builtProject()
        try p.remove("out/b.txt")
        let r = try p.job(["build"])
        #expect(r.stdout.contains("restored strip[i=b]"))
        #expect(p.read("out/b.txt") == "beta\n")
        try expectFastNoOp(p)
    }

    @Test func anOutputEditedByHandIsRestored() throws {
        let p = try builtProject()
        try p.write("out/all.txt", "vandalised\n")
        let r = try p.job(["build"])
        #expect(r.stdout.contains("restored all"))
        #expect(p.read("out/all.txt") == "hello\nalpha\nbeta\ngamma\n")
    }

    @Test func anEditedJobfileOrAnOverrideIsSeen() throws {
        let p = try builtProject()
        #expect(try p.job(["build", "greeting=hi"]).stdout.contains("built all"))
        #expect(p.read("out/all.txt")?.hasPrefix("hi\n") == true)
        try p.write("Jobfile", UpToDateScenarios.jobfile.replacingOccurrences(of: "greeting: hello", with: "greeting: hey"))
        #expect(try p.job(["build"]).stdout.contains("built all"))
        #expect(p.read("out/all.txt")?.hasPrefix("hey\n") == true)
        try expectFastNoOp(p)
    }

    @Test func otherTargetsTakeTheFullPath() throws {
        let p = try builtProject()
        try? p.remove("cache/plan.bin")
        let r = try p.job(["build", "strip"])
        #expect(r.stdout == "job: nothing to do\n")
        #expect(p.exists("cache/plan.bin"))
    }

    @Test func aBuildThatFailsStillFinishesWritingItsPlan() throws {
        // The plan is written on another thread while the build goes on: a failing rule, and
        // a missing source found after planning, end the process only once it is written.
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              fails:
                output: out/x.txt
                run: exit 3
            """, files: [:])
        #expect(try p.job(["build"]).status == 1)
        #expect(p.exists("cache/plan.bin"))
        try p.write("Jobfile", "version: 1\nrules:\n  r:\n    inputs: [missing.txt]\n    output: o.txt\n    run: x\n")
        #expect(try p.job(["build"]).status != 0)
        let cache = try FileManager.default.contentsOfDirectory(atPath: p.root.appendingPathComponent("cache").path)
        #expect(cache.contains("plan.bin"))
        #expect(!cache.contains { $0.hasSuffix(".tmp") })
    }

    @Test func aNewFileMatchingAGlobAddsAnInstance() throws {
        let p = try builtProject()
        try p.write("in/d.txt", "delta\n")
        let r = try p.job(["build"])
        #expect(r.stdout.contains("built strip[i=d]"))
        #expect(p.read("out/all.txt") == "hello\nalpha\nbeta\ngamma\ndelta\n")
        try expectFastNoOp(p)
    }

    @Test func aDirectorySwappedForASymlinkOutOfTheProjectIsRefused() throws {
        let p = try builtProject()
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("job-outside-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: outside) }
        // The files keep their inodes: only the directory's identity tells.
        try FileManager.default.moveItem(atPath: p.path("in"), toPath: outside.path)
        try FileManager.default.createSymbolicLink(atPath: p.path("in"), withDestinationPath: outside.path)
        let r = try p.job(["build"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("leads out of the project through a symlink"))
    }

    @Test func anotherJobExecutableTakesTheFullPath() throws {
        let p = try builtProject()
        // A copy is another executable (its own modification time): it may make other commands.
        let copy = p.path("job-copy")
        try FileManager.default.copyItem(atPath: JobProject.binary, toPath: copy)
        try? p.remove("cache/plan.bin")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: copy)
        process.arguments = ["build"]
        process.currentDirectoryURL = p.root
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(p.exists("cache/plan.bin"), "the copy used the original's manifest")
    }

    @Test func aNewStateDatabaseTakesTheFullPath() throws {
        let p = try builtProject()
        try p.remove("cache/state.db")
        try? p.remove("cache/state.db-wal")
        try? p.remove("cache/state.db-shm")
        let r = try p.job(["build"])
        #expect(r.status == 0)
        #expect(r.stdout != "job: nothing to do\n")
        try expectFastNoOp(p)
    }

    @Test func aFailedBuildLeavesNoManifest() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              good:
                output: good.txt
                run: echo ok > ${out}
              bad:
                output: bad.txt
                run: exit 3
            """)
        #expect(try p.job(["build", "-k"]).status == 1)
        #expect(!p.exists("cache/uptodate.bin"))
        #expect(try p.job(["build", "-k"]).status == 1)
    }

    @Test func verboseJSONAndDryRunsTakeTheFullPath() throws {
        let p = try builtProject()
        #expect(try p.job(["build", "-v"]).stdout.contains("up to date strip[i=a]"))
        #expect(try p.build().instances("skipped").count == 4)
        #expect(try p.job(["build", "-n"]).stdout.contains("0 to run, 0 to restore, 4 up to date"))
        try expectFastNoOp(p)
    }
}
