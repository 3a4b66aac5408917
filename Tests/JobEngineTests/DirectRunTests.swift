import Foundation
import JobBasics
import JobTestSupport
@testable import JobEngine
import JobRecipes
import JobState
import Synchronization
import Testing

/// A `run` job started without a task: its commands one after the other on real processes,
/// its outputs hashed and kept, and what a failure or a cancellation leaves.
@Suite struct DirectRunTests {
    let dir: TemporaryDirectory
    let executor: Executor

    init() throws {
        dir = try TemporaryDirectory()
        executor = realExecutor(in: dir)
    }

    /// A job writing `out.txt` in the temporary directory with these shell commands (`OUT` is
    /// its temporary name).
    func job(_ scripts: [String], retries: Int = 0) -> ExecutionJob {
        let commands = scripts.map(shellCommand)
        return ExecutionJob(index: 0, name: "r", outputs: [dir.file("out.txt")], work: .run(commands), environment: [:],
                            logPath: dir.file("r.log"), spoolPath: dir.file("spool.log"),
                            scratchDirectory: dir.file("scratch/r"), inputDigests: [:], retries: retries)
    }

    /// Starts `job` directly and waits for its result (up to 20 s: less than the `sleep 30` a
    /// cancellation must end).
    func run(_ job: ExecutionJob, whileRunning: (DirectRun) -> Void = { _ in }) async throws -> ExecutionResult {
        let result = Mutex<ExecutionResult?>(nil)
        let direct = try #require(executor.startDirectly(job) { r in result.withLock { $0 = r } })
        whileRunning(direct)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let r = result.withLock({ $0 }) { return r }
            try await Task.sleep(for: .milliseconds(5))
        }
        // Looked at once more: the sleep may have waited long for a thread of the pool, which
        // the scenario tests' blocking waits can keep busy.
        if let r = result.withLock({ $0 }) { return r }
        Issue.record("no result")
        return .interrupted
    }

    var leftovers: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix(".job-tmp.") }
    }

    @Test func commandsRunInTurnAndTheOutputIsHashedAndKept() async throws {
        defer { dir.remove() }
        let r = try await run(job(["printf A > OUT", "printf B >> OUT; echo said-b"]))
        guard case .prepared(let temporaries, let digests, _) = r else { Issue.record("\(r)"); return }
        #expect(temporaries == [dir.file(".job-tmp.out.txt")])
        #expect(try FileOperations.readFile(temporaries[0]) == Array("AB".utf8))
        #expect(digests == [ContentDigest.of(Array("AB".utf8))])
        try executor.store.materialize(digests[0], to: dir.file("restored"))
        #expect(try FileOperations.readFile(dir.file("restored")) == Array("AB".utf8))
        // What a command printed is the rule's log.
        #expect(String(decoding: try FileOperations.readFile(dir.file("r.log")), as: UTF8.self) == "said-b\n")
    }

    @Test func aFailingCommandStopsTheRestAndLeavesNoTemporary() async throws {
        defer { dir.remove() }
        let r = try await run(job(["printf A > OUT; exit 3", "touch \(dir.file("second-ran"))"]))
        guard case .failed(let message, let tail, _, let kind) = r else { Issue.record("\(r)"); return }
        #expect(message == "exit status 3")
        #expect(tail)
        #expect(kind == .exit)
        #expect(!FileOperations.exists(dir.file("second-ran")))
        #expect(leftovers.isEmpty)
    }

    @Test func aMissingOutputFails() async throws {
        defer { dir.remove() }
        let r = try await run(job(["true"]))
        guard case .failed(let message, _, _, let kind) = r else { Issue.record("\(r)"); return }
        #expect(message.contains("did not write the output"))
        #expect(kind == .missingOutput)
    }

    @Test func cancellingEndsTheCommandAndNothingAfterItRuns() async throws {
        defer { dir.remove() }
        let started = dir.file("started")
        let r = try await run(job(["printf A > OUT; touch \(started); sleep 30", "touch \(dir.file("second-ran"))"])) { direct in
            let deadline = Date().addingTimeInterval(10)
            while !FileOperations.exists(started) && Date() < deadline { usleep(5_000) }
            direct.cancel()
        }
        guard case .interrupted = r else { Issue.record("\(r)"); return }
        #expect(!FileOperations.exists(dir.file("second-ran")))
        #expect(leftovers.isEmpty)
    }

    @Test func retriesAndTimeLimitsAreLeftToExecute() throws {
        defer { dir.remove() }
        #expect(executor.startDirectly(job(["true"], retries: 1)) { _ in } == nil)
        var limited = job(["true"])
        limited.timeoutSeconds = 5
        #expect(executor.startDirectly(limited) { _ in } == nil)
    }
}
