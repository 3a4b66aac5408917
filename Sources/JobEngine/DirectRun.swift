import JobBasics
import Synchronization

/// A `run` job started without a task of the concurrency runtime: its first command is
/// spawned by the caller, each next one by the thread that saw the one before end, and its
/// outputs are hashed and kept on that thread too, which then hands the result over.
///
/// `execute` takes four thread wakes between a process's end and the next one's start (the
/// waiting thread, the task it resumes, the task group, the next job's task); this takes two
/// (the waiting thread, the build loop). On a 2-core machine whose cores the commands keep
/// busy, each wake is a wait for a core: it was most of `job`'s time per rule.
final class DirectRun: Sendable {
    private struct State {
        var process: (any StartedProcess)?
        var step = -1
        var cancelled = false
    }
    private let state = Mutex(State())

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Ends the running command (SIGTERM, then SIGKILL after the grace); the run then reports
    /// `.interrupted` and starts nothing more.
    func cancel() {
        let process = state.withLock { s -> (any StartedProcess)? in
            if s.cancelled { return nil }
            s.cancelled = true
            return s.process
        }
        process?.terminate()
    }

    /// Command `step` started as `process`. Steps may report out of order (a command can end,
    /// and the next start, before its starter gets here): only the latest counts.
    fileprivate func started(_ process: any StartedProcess, step: Int) {
        let cancelled = state.withLock { s -> Bool in
            if step > s.step {
                s.step = step
                s.process = process
            }
            return s.cancelled
        }
        if cancelled { process.terminate() }
    }
}

extension Executor {
    /// Whether `startDirectly` can run `job`: the commands of a `run` recipe, without retries or
    /// a time limit, on a runner that can start processes so (a test's may not).
    func canStartDirectly(_ job: ExecutionJob) -> Bool {
        guard case .run = job.work, job.retries == 0, job.timeoutSeconds == nil else { return false }
        return starter != nil
    }

    /// Starts `job` as a `DirectRun` and calls `done` with its result, on another thread (or
    /// on this one, when it fails before any process starts). Nil, with nothing done, when
    /// `execute` must run it instead (see `canStartDirectly`).
    func startDirectly(_ job: ExecutionJob, done: @escaping @Sendable (ExecutionResult) -> Void) -> DirectRun? {
        guard canStartDirectly(job) else { return nil }
        let run = DirectRun()
        let temporaries: [String]
        do {
            temporaries = try prepareTemporaries(job)
        } catch {
            done(.failed(message: "\(error)", tailOfLog: false, durationSeconds: 0))
            return run
        }
        startPrepared(job, temporaries: temporaries, as: run, done: done)
        return run
    }

    /// Starts `job` (which `canStartDirectly`), its `temporaries` made ready by
    /// `prepareTemporaries`, as `run`. The build loop prepares the instance on deck ahead so,
    /// and the thread that starts it does only this.
    func startPrepared(_ job: ExecutionJob, temporaries: [String], as run: DirectRun,
                       done: @escaping @Sendable (ExecutionResult) -> Void) {
        guard case .run(let commands) = job.work, let starter else {
            preconditionFailure("startPrepared takes only what canStartDirectly")
        }
        // Cancelled on deck: it never starts, and its last log stays.
        if run.isCancelled { return done(.interrupted) }
        let start = monotonicSeconds()
        let log: Int32
        do {
            log = try openLog(job)
        } catch {
            Self.remove(temporaries)
            done(.failed(message: "\(error)", tailOfLog: false, durationSeconds: 0))
            return
        }
        @Sendable func end(_ result: ExecutionResult) {
            if case .prepared = result {} else { Self.remove(temporaries) }
            closeLog(job, log)
            done(result)
        }
        @Sendable func step(_ k: Int) {
            if run.isCancelled { return end(.interrupted) }
            if k == commands.count {
                return end(finishRun(job, temporaries: temporaries, start: start, cleanUp: {}))   // `end` removes them
            }
            let spec = ProcessSpec(argv: commands[k].argv(outputs: temporaries), environment: job.environment)
            do {
                let process = try starter.start(spec, output: log, error: log) { outcome in
                    if run.isCancelled { return end(.interrupted) }
                    guard outcome.isSuccess else { return end(.commandFailed(outcome, since: start)) }
                    step(k + 1)
                }
                run.started(process, step: k)
            } catch {
                end(.failed(message: "\(error)", tailOfLog: false, durationSeconds: monotonicSeconds() - start))
            }
        }
        step(0)
    }
}

/// The direct runs under way, by instance: what a cancelled build ends.
final class DirectRuns: Sendable {
    private let runs = Mutex<[Int: DirectRun]>([:])

    func add(_ i: Int, _ run: DirectRun) { runs.withLock { $0[i] = run } }
    func remove(_ i: Int) { _ = runs.withLock { $0.removeValue(forKey: i) } }
    func cancelAll() { for run in runs.withLock({ Array($0.values) }) { run.cancel() } }
}
