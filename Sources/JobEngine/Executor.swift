import Foundation
import JobBasics
import JobRecipes
import JobState
#if canImport(Glibc)
import Glibc
#endif

/// The part of running an instance that may happen in parallel: run its commands (or copy its
/// outputs out of the store) to temporary names, check and hash what they wrote, keep it in
/// the store. Committing (recording, renaming) is the scheduler's, one at a time.
struct ExecutionJob: Sendable {
    enum Work: Sendable {
        case run([Command])
        case program(any RecipeProgram)
        case restore([OutputRecord])
    }
    var index: Int
    var name: String
    var outputs: [String]
    var work: Work
    var environment: [String: String]
    var logPath: String
    /// Where output is written while the job runs: a file of its `-j` slot, reused from job to
    /// job. It becomes `logPath` only when there is something in it, so that a silent rule
    /// creates no file (creating inodes was most of `job`'s own time in a 2,000-rule build).
    var spoolPath: String
    /// A private directory for a program's intermediate files, removed afterwards.
    var scratchDirectory: String
    var inputDigests: [String: ContentDigest]
    var retries: Int = 0
    var retryDelay: Double = 1
    var timeoutSeconds: Double?
}

enum ExecutionResult: Sendable {
    case prepared(temporaries: [String], digests: [ContentDigest], durationSeconds: Double)
    case failed(message: String, tailOfLog: Bool, durationSeconds: Double, kind: FailureKind = .job)
    case interrupted

    /// A command that ran and did not succeed (its log's tail tells why), in a job started at `start`.
    static func commandFailed(_ outcome: ProcessOutcome, since start: Double) -> ExecutionResult {
        .failed(message: "\(outcome)", tailOfLog: true, durationSeconds: monotonicSeconds() - start, kind: FailureKind(outcome))
    }
}

struct Executor: Sendable {
    let runner: any ProcessRunner
    /// `runner`, if it can start processes without a task (see `startDirectly`): cast once,
    /// since a cast to a protocol looks the conformance up on every call.
    let starter: (any ProcessStarter)?
    let store: any ContentStore
    let probes: MediaProbes
    let progress: (any ProgressSink)?

    init(runner: any ProcessRunner, store: any ContentStore, probes: MediaProbes, progress: (any ProgressSink)?) {
        self.runner = runner
        starter = runner as? any ProcessStarter
        self.store = store
        self.probes = probes
        self.progress = progress
    }

    /// Runs the job, again after a failure while `retries` allow (waiting `retryDelay`, then
    /// twice as long each time), each attempt limited to `timeout` seconds: past it the
    /// attempt's process group gets SIGTERM, then SIGKILL after the runner's grace.
    func execute(_ job: ExecutionJob) async -> (result: ExecutionResult, attempts: Int) {
        // A restore keeps the log of the run that made the outputs.
        if case .restore = job.work { return (await attempt(job, log: -1), 1) }
        let log: Int32
        do { log = try openLog(job) } catch { return (.failed(message: "\(error)", tailOfLog: false, durationSeconds: 0), 1) }
        defer { closeLog(job, log) }
        var delay = job.retryDelay
        var attempt = 1
        while true {
            if attempt > 1 { appendToLog(log, "job: attempt \(attempt) of \(job.retries + 1)\n") }
            let result = await attemptWithTimeout(job, log: log)
            guard case .failed(let message, _, _, _) = result, attempt <= job.retries, !Task.isCancelled else {
                return (result, attempt)
            }
            appendToLog(log, "job: attempt \(attempt) failed (\(message)); next in \(delay) s\n")
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            if Task.isCancelled { return (.interrupted, attempt) }
            delay *= 2
            attempt += 1
        }
    }

    /// A new run starts a new log: the old one is removed, the slot's spool truncated.
    func openLog(_ job: ExecutionJob) throws(FileSystemError) -> Int32 {
        try? FileOperations.removeIfPresent(job.logPath)
        let log = open(job.spoolPath, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o644)
        if log < 0 { throw FileSystemError("create log", job.spoolPath, errno: errno) }
        return log
    }

    /// The spool becomes the rule's log only when something was written to it.
    func closeLog(_ job: ExecutionJob, _ log: Int32) {
        var st = stat()
        if fstat(log, &st) == 0, st.st_size > 0 { try? FileOperations.copyFile(job.spoolPath, to: job.logPath) }
        close(log)
    }

    /// Each output's temporary name, its directory made and any leftover of a crash removed.
    func prepareTemporaries(_ job: ExecutionJob) throws -> [String] {
        let temporaries = job.outputs.map(OutputStaging.temporaryPath(for:))
        for (out, tmp) in zip(job.outputs, temporaries) {
            try FileOperations.createDirectories(FileOperations.parentDirectory(out))
            try FileOperations.removeIfPresent(tmp)   // left by a crash
        }
        return temporaries
    }

    func attemptWithTimeout(_ job: ExecutionJob, log: Int32) async -> ExecutionResult {
        guard let limit = job.timeoutSeconds else { return await attempt(job, log: log) }
        return await withTaskGroup(of: ExecutionResult?.self) { group in
            group.addTask { await self.attempt(job, log: log) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(limit * 1000)))
                return nil
            }
            let first = await group.next()!
            group.cancelAll()
            if let finished = first { return finished }
            // The timer went first. Cancelling the attempt ends its processes; unless the
            // whole build was interrupted, that is a timeout, and the rule failed.
            let ended = await group.next()! ?? .interrupted
            if Task.isCancelled { return ended }
            appendToLog(log, "job: timed out after \(limit) s\n")
            return .failed(message: "timed out after \(ffmpegSeconds(limit)) s", tailOfLog: true, durationSeconds: limit,
                           kind: .timeout)
        }
    }

    func appendToLog(_ fd: Int32, _ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }

    /// One attempt; its processes write to `log` (-1 for a restore, which runs none).
    func attempt(_ job: ExecutionJob, log: Int32) async -> ExecutionResult {
        let start = monotonicSeconds()
        let temporaries: [String]
        do {
            temporaries = try prepareTemporaries(job)
        } catch {
            return .failed(message: "\(error)", tailOfLog: false, durationSeconds: monotonicSeconds() - start)
        }
        func cleanUp() { Self.remove(temporaries) }
        switch job.work {
        case .restore(let records):
            do {
                for (record, tmp) in zip(records, temporaries) { try store.materialize(record.digest, to: tmp) }
            } catch {
                cleanUp()
                return .failed(message: "cannot restore from the cache: \(error)", tailOfLog: false, durationSeconds: monotonicSeconds() - start)
            }
            return .prepared(temporaries: temporaries, digests: records.map(\.digest),
                             durationSeconds: monotonicSeconds() - start)
        case .program(let program):
            defer { try? FileManager.default.removeItem(atPath: job.scratchDirectory) }
            let context = ExecutionContext(runner: runner, log: log, outputs: temporaries,
                                           scratchDirectory: job.scratchDirectory, environment: job.environment,
                                           probes: probes, inputDigests: job.inputDigests,
                                           progress: progress.map { sink in { @Sendable fraction in sink.progress(job.name, fraction: fraction) } })
            do {
                try FileOperations.createDirectories(job.scratchDirectory)
                try await program.run(context)
                if Task.isCancelled { cleanUp(); return .interrupted }
            } catch {
                cleanUp()
                if error is CancellationError || Task.isCancelled { return .interrupted }
                let tail = error is RecipeStepFailed
                let kind: FailureKind
                if let step = error as? RecipeStepFailed { kind = FailureKind(step.outcome) }
                else if error is RecipeInputError { kind = .input } else { kind = .job }
                return .failed(message: "\(error)", tailOfLog: tail, durationSeconds: monotonicSeconds() - start, kind: kind)
            }
            return finishRun(job, temporaries: temporaries, start: start, cleanUp: cleanUp)
        case .run(let commands):
            for command in commands {
                let spec = ProcessSpec(argv: command.argv(outputs: temporaries), environment: job.environment)
                do {
                    let outcome = try await runner.run(spec, logDescriptor: log)
                    if Task.isCancelled { cleanUp(); return .interrupted }
                    if !outcome.isSuccess {
                        cleanUp()
                        return .commandFailed(outcome, since: start)
                    }
                } catch is CancellationError {
                    cleanUp()
                    return .interrupted
                } catch {
                    cleanUp()
                    if Task.isCancelled { return .interrupted }
                    return .failed(message: "\(error)", tailOfLog: false, durationSeconds: monotonicSeconds() - start)
                }
            }
            return finishRun(job, temporaries: temporaries, start: start, cleanUp: cleanUp)
        }
    }

    static func remove(_ temporaries: [String]) {
        for t in temporaries { try? FileOperations.removeFile(t) }
    }

    /// After the commands succeeded: every declared output must exist; hash each and keep it
    /// in the store.
    func finishRun(_ job: ExecutionJob, temporaries: [String], start: Double, cleanUp: () -> Void) -> ExecutionResult {
            var digests: [ContentDigest] = []
            for (out, tmp) in zip(job.outputs, temporaries) {
                guard let st = FileStatus.of(tmp), st.isRegularFile else {
                    cleanUp()
                    return .failed(message: "the command succeeded but did not write the output '\(out)'", tailOfLog: true,
                                   durationSeconds: monotonicSeconds() - start, kind: .missingOutput)
                }
                do {
                    digests.append(try store.keep(fileAt: tmp))
                } catch {
                    cleanUp()
                    return .failed(message: "\(error)", tailOfLog: false, durationSeconds: monotonicSeconds() - start)
                }
            }
            return .prepared(temporaries: temporaries, digests: digests, durationSeconds: monotonicSeconds() - start)
    }
}

func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}
