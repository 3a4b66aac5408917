import Foundation
import JobBasics
import Synchronization
import Testing

/// The real runner, on real processes: what a rule's command gets (output, input, environment,
/// directory, signals, descriptors) and how it ends.
@Suite("SystemProcessRunner")
struct SystemProcessRunnerTests {
    let runner = SystemProcessRunner(grace: .milliseconds(500))

    /// Runs `script` with `sh -c`, its output in a file; returns how it ended and what it wrote.
    func run(_ script: String, environment: [String: String] = [:], directory: String? = nil) async throws
        -> (outcome: ProcessOutcome, output: String) {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = open(dir.file("log"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(log >= 0)
        defer { close(log) }
        let outcome = try await runner.run(ProcessSpec(argv: ["sh", "-c", script], environment: environment,
                                                       workingDirectory: directory), logDescriptor: log)
        return (outcome, String(decoding: try FileOperations.readFile(dir.file("log")), as: UTF8.self))
    }

    @Test func statusAndBothStreamsGoWhereAsked() async throws {
        let r = try await run("echo out; echo err >&2; exit 3")
        #expect(r.outcome == .exited(3))
        #expect(r.output == "out\nerr\n")
        #expect(try await run("true").outcome.isSuccess)
    }

    @Test func aKilledProcessReportsItsSignal() async throws {
        #expect(try await run("kill -9 $$").outcome == .signaled(9))
    }

    @Test func standardInputIsEmpty() async throws {
        let r = try await run("cat; echo done")
        #expect(r.outcome.isSuccess)
        #expect(r.output == "done\n")
    }

    @Test func environmentIsInheritedWithTheSpecsVariablesPutIn() async throws {
        let r = try await run("echo \"$JOB_TEST_VAR/${PATH:+has-path}\"", environment: ["JOB_TEST_VAR": "set"])
        #expect(r.output == "set/has-path\n")
        #expect(try await run("echo \"[$JOB_TEST_VAR]\"").output == "[]\n")
    }

    @Test func itRunsInTheGivenDirectory() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let r = try await run("pwd -P", directory: dir.path)
        #expect(r.output == (FileOperations.realPath(dir.path) ?? dir.path) + "\n")
    }

    @Test func anUnknownProgramIsALaunchError() async throws {
        for name in ["job-no-such-program-here", "", "/nonexistent/job-program"] {
            do {
                _ = try await runner.run(ProcessSpec(argv: [name]), logDescriptor: 1)
                Issue.record("'\(name)' ran")
            } catch let e as ProcessLaunchError {
                #expect(e.reason == String(cString: strerror(ENOENT)), "\(name)")
            }
        }
    }

    /// `dirs` under a temporary directory, each with `prog` (an executable script printing the
    /// directory's name, or a file that is not executable); runs `prog` along them.
    func runProgram(along dirs: [(name: String, executable: Bool?)]) async throws -> (outcome: ProcessOutcome, output: String) {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for d in dirs {
            try FileOperations.createDirectories(dir.file(d.name))
            guard let executable = d.executable else { continue }
            let prog = dir.file(d.name + "/prog")
            try FileOperations.writeFile(prog, Array("#!/bin/sh\necho \(d.name)\n".utf8))
            chmod(prog, executable ? 0o755 : 0o644)
        }
        let log = open(dir.file("log"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(log >= 0)
        defer { close(log) }
        let along = SystemProcessRunner(searchPath: dirs.map { dir.file($0.name) }.joined(separator: ":"))
        let outcome = try await along.run(ProcessSpec(argv: ["prog"]), logDescriptor: log)
        return (outcome, String(decoding: try FileOperations.readFile(dir.file("log")), as: UTF8.self))
    }

    @Test func aProgramIsLookedUpAlongThePathPastWhatCannotRunIt() async throws {
        let r = try await runProgram(along: [("a", false), ("b", nil), ("c", true), ("d", true)])
        #expect(r.outcome.isSuccess)
        #expect(r.output == "c\n")
    }

    @Test func aProgramFoundOnlyWithoutPermissionIsPermissionDenied() async throws {
        do {
            _ = try await runProgram(along: [("a", nil), ("b", false)])
            Issue.record("it ran")
        } catch let e as ProcessLaunchError {
            #expect(e.reason == String(cString: strerror(EACCES)))
        }
        do {
            _ = try await runProgram(along: [("a", nil)])
            Issue.record("it ran")
        } catch let e as ProcessLaunchError {
            #expect(e.reason == String(cString: strerror(ENOENT)))
        }
    }

    @Test func aStartedProcessReportsItsEndAndTerminateEndsItsGroup() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pidFile = dir.file("grandchild")
        let ended = Mutex<[ProcessOutcome]>([])
        let quick = try runner.start(ProcessSpec(argv: ["sh", "-c", "exit 4"]), output: 1, error: 2) { outcome in
            ended.withLock { $0.append(outcome) }
        }
        _ = quick
        #expect(await waitUntil { ended.withLock { $0 } == [.exited(4)] })
        let long = try runner.start(ProcessSpec(argv: ["sh", "-c", "sleep 30 & echo $! > '\(pidFile)'; wait"]),
                                    output: 1, error: 2) { outcome in ended.withLock { $0.append(outcome) } }
        #expect(await waitUntil { ((try? FileOperations.readFile(pidFile))?.count ?? 0) > 1 })
        let grandchild = pid_t(String(decoding: try FileOperations.readFile(pidFile), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines))!
        long.terminate()
        #expect(await waitUntil { ended.withLock { $0 } == [.exited(4), .signaled(SIGTERM)] })
        #expect(await waitUntil { kill(grandchild, 0) != 0 }, "the shell's child outlived terminate")
    }

    @Test func itLeadsItsOwnProcessGroup() async throws {
        // Field 5 of /proc/PID/stat is the process group, field 1 the pid.
        let r = try await run("read -r pid _ _ _ pgid _ < /proc/$$/stat; [ \"$pid\" = \"$pgid\" ] && echo leader")
        #expect(r.output == "leader\n")
    }

    @Test func signalsIgnoredByJobAreDefaultInTheCommand() async throws {
        // job ignores SIGINT and SIGTERM while it builds; SIGUSR2 stands in for them here, as
        // no other test uses it.
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        let r = try await run("grep SigIgn /proc/$$/status")
        let mask = UInt64(r.output.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "", radix: 16)
        let usr2: UInt64 = 1 << (UInt64(SIGUSR2) - 1)
        #expect(mask != nil)
        #expect((mask ?? usr2) & usr2 == 0)
    }

    @Test func noDescriptorOfJobLeaksIntoTheCommand() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let leaky = open(dir.file("leaky"), O_WRONLY | O_CREAT, 0o644)   // no O_CLOEXEC
        try #require(leaky >= 0)
        defer { close(leaky) }
        try #require(leaky > 2)
        let fds = try await run("ls /proc/$$/fd").output.split(separator: "\n").map(String.init)
        #expect(fds.contains("1") && fds.contains("2"))
        #expect(!fds.contains(String(leaky)), "descriptor \(leaky) leaked: \(fds)")
    }

    @Test func cancellingEndsTheWholeGroup() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let pidFile = dir.file("grandchild")
        let task = Task {
            try await run("sleep 30 & echo $! > '\(pidFile)'; wait")
        }
        #expect(await waitUntil { FileManager.default.fileExists(atPath: pidFile) && ((try? FileOperations.readFile(pidFile))?.count ?? 0) > 1 })
        let grandchild = pid_t(String(decoding: try FileOperations.readFile(pidFile), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines))!
        task.cancel()
        let r = try await task.value
        #expect(r.outcome == .signaled(SIGTERM))
        #expect(await waitUntil { kill(grandchild, 0) != 0 }, "the shell's child outlived the cancellation")
    }

    @Test func aCommandThatIgnoresTERMIsKilledAfterTheGrace() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Cancelled once the shell ignores TERM (under load, starting it can take longer than
        // any fixed pause).
        let ready = dir.file("ready")
        let task = Task { try await run("trap '' TERM; touch '\(ready)'; sleep 30 & wait; sleep 30") }
        #expect(await waitUntil { FileManager.default.fileExists(atPath: ready) })
        task.cancel()
        #expect(try await task.value.outcome == .signaled(SIGKILL))
    }

    @Test func manyAtOnce() async throws {
        try await withThrowingTaskGroup(of: ProcessOutcome.self) { group in
            for i in 0..<40 { group.addTask { try await run("exit \(i % 3)").outcome } }
            var codes: [Int32] = []
            for try await outcome in group {
                guard case .exited(let code) = outcome else { Issue.record("\(outcome)"); continue }
                codes.append(code)
            }
            #expect(codes.sorted() == (0..<40).map { Int32($0 % 3) }.sorted())
        }
    }
}

/// Polls `condition` for up to 150 seconds, without holding a thread of the concurrency pool
/// (the process it waits for is started from that pool, which the scenario tests, blocking in
/// their waits, can keep busy for half a minute).
func waitUntil(_ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(150)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}
