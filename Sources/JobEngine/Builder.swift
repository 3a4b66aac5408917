import JobBasics
import JobfileModel
import JobGraph
import JobRecipes
import JobState

/// Builds the requested instances: judges each once its dependencies are settled, runs or
/// restores what is stale (at most `-j` at once, and each pool's limit), longest path first,
/// and records each success before renaming its outputs into place.
/// One build at a time: the observer and the state are touched only by the task running
/// `build`, which is what makes the unchecked conformance sound.
public final class Builder: @unchecked Sendable {
    let graph: BuildGraph
    let rootDirectory: String
    let cache: CacheDirectory
    let options: BuildOptions
    let runner: any ProcessRunner
    let observer: any BuildObserver
    let progress: (any ProgressSink)?
    /// The last build's tables (the state, every file's digest and status, the scheduler's),
    /// released with the builder rather than when `build` returns: the command line ends the
    /// process right after a build, and freeing tables of 100,000 instances and 200,000 paths
    /// one entry at a time took tens of milliseconds.
    private var lastBuildTables: [Any] = []
    /// The state loaded ahead, under the build lock, by the caller.
    let preload: StatePreload?
    /// How many instances the last build started in the slot of one that had just ended
    /// (see `OnDeck`).
    private(set) var handovers = 0

    public init(graph: BuildGraph, rootDirectory: String, cache: CacheDirectory, options: BuildOptions,
                runner: any ProcessRunner, observer: any BuildObserver, progress: (any ProgressSink)? = nil,
                preload: StatePreload? = nil) {
        self.preload = preload
        self.graph = graph
        self.rootDirectory = rootDirectory
        self.cache = cache
        self.options = options
        self.runner = runner
        self.observer = observer
        self.progress = progress
    }

    /// Builds `targets` (instance indices) and what they need. Throws `UsageError` for a
    /// missing source file; a failing rule is reported in the summary, not thrown.
    public func build(targets: [Int]) async throws -> BuildSummary {
        let started = monotonicSeconds()
        handovers = 0
        let closure = graph.closure(of: targets)
        // Builds that share the directory take turns; a dry run only reads, and does not wait.
        var lock = preload?.lock
        if lock == nil && !options.dryRun {
            lock = try await BuildLock.acquire(cache.path + "/lock") { holder in
                observer.warning("waiting for another job build in this project (\(holder)) to finish")
            }
        }
        defer { withExtendedLifetime(lock) {} }
        // This build may change what the last one found up to date: its manifest goes first.
        if !options.dryRun { UpToDateManifest.remove(at: cache.upToDate) }
        try FileOperations.createDirectories(cache.logs)
        try FileOperations.createDirectories(cache.scratch)
        // The sources are checked (on every core, see `SourceFiles`) while the state loads, or
        // the load begun ahead finishes, and the outputs are `stat`ed.
        let (checkedSources, loaded) = inParallel({
            Result { () throws(UsageError) in try SourceFiles(graph: graph, instances: closure, rootDirectory: rootDirectory) }
        }, {
            Result { () throws(SQLiteError) in
                // The outputs first: a load begun ahead goes on meanwhile.
                let outputStatus = OutputStatuses.stat(graph: graph, closure: closure)
                let state: StateDatabase
                if let preload { state = try preload.wait().get() } else { state = try StateDatabase(path: cache.database) }
                return (state, outputStatus)
            }
        })
        let sources = try checkedSources.get()
        let (state, outputStatus) = try loaded.get()
        let store = LocalContentStore(directory: cache.store)
        let digests = FileDigests(state: state)
        var toolNames = Set<String>()
        for i in closure {
            toolNames.formUnion(graph.jobfile.instances[i].invocation.tools)
            toolNames.formUnion(graph.jobfile.instances[i].invocation.requires)
        }
        let tools = await ToolIdentities.probe(toolNames.sorted(), runner: runner, scratch: cache.path)
        let missing = tools.identities.filter { $0.value == nil }.map(\.key).sorted()
        if !missing.isEmpty { throw MissingTools(tools: missing) }
        let probes = MediaProbes(runner: runner, scratch: cache.scratch, directory: cache.probes)
        let judge = DecisionMaker(graph: graph, state: state, digests: digests, store: store, sources: sources,
                                  tools: tools.identities.compactMapValues { $0 },
                                  outputStatus: outputStatus)
        let executor = Executor(runner: runner, store: store, probes: probes, progress: progress)

        let upToDateAtStart = judge.upToDateAtStart(closure)
        // Those read only sources, so they have no dependencies: they are settled first, in
        // order, without the ready queue (100,000 pushes and pops at 100,000 rules).
        var run = SchedulerState(graph: graph, closure: closure, state: state, settledFirst: { upToDateAtStart.outputs[$0] != nil })
        var summary = BuildSummary()
        summary.dryRun = options.dryRun
        observer.buildStarted(total: closure.count, dryRun: options.dryRun)
        // A source file that job once made for a rule that no longer makes it: probably stale.
        var warned = false
        let sourcesJobMade = state.produced.isEmpty ? [] : parallelChunks(sources.files.count) { range in
            range.lazy.map { sources.files[$0].path }.filter { state.madeByJob($0) }
        }.flatMap { $0 }
        for path in sourcesJobMade.sorted() {
            warned = true
            observer.warning("'\(path)' is used as a source file, but job made it for a rule that no longer does; delete it if it is stale")
        }

        func finish(_ report: InstanceReport) {
            run.completed += 1
            switch report.status {
            case .built: summary.built += 1
            case .skipped: summary.skipped += 1
            case .restored: summary.restored += 1
            case .failed: summary.failed += 1
            case .blocked: summary.blocked += 1
            case .fallback: summary.fallback += 1
            }
            observer.instanceFinished(report, completed: run.completed, total: closure.count)
        }
        func report(_ i: Int, _ status: InstanceStatus, _ reason: RebuildReason, duration: Double = 0,
                    failure: String? = nil, log: String? = nil, commands: [String]? = nil, attempts: Int = 0,
                    kind: FailureKind? = nil) -> InstanceReport {
            // Fields, not the whole instance: a report is made for each of 100,000 skips.
            let instances = graph.jobfile.instances
            let outputs = instances[i].outputs
            return InstanceReport(index: i, name: instances[i].name, rule: instances[i].rule, outputs: outputs,
                                  status: status, reason: reason, durationSeconds: duration,
                                  // Rendered only where they are shown: for -n and failures.
                                  commands: commands ?? (status == .failed || (options.dryRun && status == .built)
                                      ? instances[i].invocation.commands.map { $0.display(outputs: outputs) } : []),
                                  failure: failure, logPath: log, attempts: attempts, failureKind: kind,
                                  startSeconds: runStarted.isEmpty ? nil : runStarted[i].map { $0 - started },
                                  slot: runSlot.isEmpty ? nil : runSlot[i])
        }
        // When and in which -j slot each instance ran, for the trace.
        var runStarted: [Int: Double] = [:]
        var runSlot: [Int: Int] = [:]
        var freeSlots = Array((0..<options.jobs).reversed())
        // Outputs that a dry run would rebuild: programs that read them cannot be probed yet.
        var pendingOutputs = Set<String>()

        var pending: [Int: Decision] = [:]
        // Instances whose recipe failed and whose fallback runs now, with the recipe's error.
        var inFallback: [Int: String] = [:]
        var timerPending = false
        // Jobs report here, from their threads or tasks; the group only holds the tasks.
        let finished = CompletionQueue<BuildLoopEvent>()
        let directRuns = DirectRuns()
        let onDeck = OnDeck()
        let directRunEnd = DirectRunEnd(onDeck: onDeck, events: finished, executor: executor)
        let deckSize = 2 * options.jobs
        var batch = CommitBatch()
        var commitTimer: Task<Void, Never>?
        for i in closure {
            guard let outputs = upToDateAtStart.outputs[i] else { continue }
            run.settle(i, outputs: outputs, failed: false)
            finish(report(i, .skipped, .upToDate))
        }
        await withDiscardingTaskGroup { group in
            var running = 0
            /// Instance `i`'s work (its recipe, a restore, or its fallback), to run with output to `spoolPath`.
            func makeJob(_ i: Int, _ work: ExecutionJob.Work, logPath: String, retries: Int, spoolPath: String) -> ExecutionJob {
                let inst = graph.instances[i]
                return ExecutionJob(index: i, name: inst.name, outputs: inst.outputs, work: work,
                                    environment: Dictionary(inst.environment.map { ($0.name, $0.value) },
                                                            uniquingKeysWith: { _, b in b }),
                                    logPath: logPath, spoolPath: spoolPath, scratchDirectory: cache.scratchPath(for: inst.name),
                                    inputDigests: pending[i]!.material.inputDigests,
                                    retries: retries, retryDelay: inst.retryDelaySeconds ?? 1,
                                    timeoutSeconds: inst.timeoutSeconds)
            }
            /// Its recipe, or a restore.
            func work(_ i: Int) -> ExecutionJob.Work {
                if case .restore(let outputs) = pending[i]!.action { return .restore(outputs) }
                if let program = graph.instances[i].invocation.program { return .program(program) }
                return .run(graph.instances[i].invocation.commands)
            }
            func reportStarted(_ i: Int) {
                let inst = graph.instances[i]
                observer.instanceStarted(inst.name, description: inst.description, completed: run.completed, total: closure.count)
            }
            /// Takes a free slot for instance `i`, which starts now.
            func takeSlot(_ i: Int) -> Int {
                let slot = freeSlots.popLast() ?? 0
                running += 1
                summary.peakConcurrency = max(summary.peakConcurrency, running)
                runStarted[i] = monotonicSeconds()
                runSlot[i] = slot
                return slot
            }
            /// Starts instance `i`'s work in a free slot.
            func launch(_ i: Int, _ work: ExecutionJob.Work, logPath: String, retries: Int) {
                let slot = takeSlot(i)
                let job = makeJob(i, work, logPath: logPath, retries: retries, spoolPath: cache.spoolPath(slot: slot))
                let done = directRunEnd.callback(for: i, dependentsPriority: run.dependentsPriority(i), spoolPath: job.spoolPath)
                if let direct = executor.startDirectly(job, done: done) {
                    directRuns.add(i, direct)
                } else {
                    group.addTask {
                        let (result, attempts) = await executor.execute(job)
                        finished.push(.job(i, result, attempts: attempts))
                    }
                }
            }
            /// Puts the most urgent runnable instances on deck, while each is a `run` job that a
            /// slot's thread can start and that no pool counts.
            func putOnDeck() {
                while onDeck.count < deckSize, let i = run.runnable.first, graph.instances[i].pool == nil {
                    // Its spool is the slot's that starts it.
                    let job = makeJob(i, work(i), logPath: cache.logPath(for: graph.instances[i].name),
                                      retries: graph.instances[i].retries, spoolPath: "")
                    guard executor.canStartDirectly(job), let temporaries = try? executor.prepareTemporaries(job) else { return }
                    _ = run.runnable.pop()
                    let direct = DirectRun()
                    directRuns.add(i, direct)
                    onDeck.put(OnDeck.Entry(index: i, priority: run.priority[i], job: job, temporaries: temporaries, run: direct,
                                            dependentsPriority: run.dependentsPriority(i)))
                }
            }
            /// Puts the instances on deck back in line, but those a thread has started.
            func takeBackFromDeck() {
                for e in onDeck.withdrawAll() {
                    directRuns.remove(e.index)
                    run.runnable.push(e.index, priority: e.priority)
                }
            }
            /// Starts instances judged runnable, while -j and the pools allow; then, if every
            /// slot is busy, puts the next ones on deck.
            func startRunnable() {
                // Something more urgent than the deck's last became runnable: the deck is made again.
                if let d = onDeck.last, !run.runnable.wouldComeFirst(d.index, priority: d.priority) { takeBackFromDeck() }
                while running < options.jobs {
                    if let e = onDeck.withdrawFirst() {
                        reportStarted(e.index)
                        var job = e.job
                        job.spoolPath = cache.spoolPath(slot: takeSlot(e.index))
                        executor.startPrepared(job, temporaries: e.temporaries, as: e.run,
                                               done: directRunEnd.callback(for: e.index, dependentsPriority: e.dependentsPriority,
                                                                           spoolPath: job.spoolPath))
                        continue
                    }
                    guard let i = run.nextRunnable(pools: graph.jobfile.pools, rates: graph.jobfile.poolRates,
                                                   now: monotonicSeconds()) else { break }
                    reportStarted(i)
                    launch(i, work(i), logPath: cache.logPath(for: graph.instances[i].name), retries: graph.instances[i].retries)
                }
                if running == options.jobs { putOnDeck() }
            }
            /// Records the waiting instances in one transaction, then puts their outputs in place.
            func commitBatch() {
                commitTimer?.cancel()
                commitTimer = nil
                let entries = batch.take()
                func fail(_ e: CommitBatch.Entry, _ error: any Error) {
                    Executor.remove(e.temporaries)
                    run.settle(e.index, outputs: nil, failed: true)
                    finish(report(e.index, .failed, e.decision.reason, failure: "\(error)", attempts: e.attempts, kind: .job))
                    if !options.keepGoing { run.stopping = true }
                }
                do {
                    try state.recordRules(entries.map { (graph.instances[$0.index].name, $0.record) })
                } catch {
                    for e in entries { fail(e, error) }
                    return
                }
                for e in entries {
                    do {
                        let outputs = try place(e.index, temporaries: e.temporaries, outputs: e.record.outputs, fileDigests: digests)
                        run.settle(e.index, outputs: outputs, failed: false)
                        finish(report(e.index, e.restored ? .restored : .built, e.decision.reason, duration: e.reportDuration,
                                      attempts: e.attempts))
                    } catch {
                        fail(e, error)
                    }
                }
            }
            while true {
                if Task.isCancelled && !run.stopping {
                    run.stopping = true
                    summary.interrupted = true
                }
                // Before anything is judged or started: an instance that committing makes ready
                // may be the most urgent.
                if !batch.isEmpty && (batch.unlocks || batch.isFull || running == 0 || run.stopping) {
                    commitBatch()
                }
                // Judge everything whose dependencies are settled: cheap, in this task.
                while let i = run.ready.pop() {
                    if let d = run.failedDependency(i) {
                        run.settle(i, outputs: nil, failed: true)
                        finish(report(i, .blocked, .dependencyFailed(graph.instances[d].name)))
                        continue
                    }
                    if run.stopping {
                        run.settle(i, outputs: nil, failed: true)
                        finish(report(i, .blocked, .buildStopped))
                        continue
                    }
                    let decision: Decision
                    do {
                        decision = try judge.decide(i, settled: run.settledOutputs)
                    } catch {
                        run.settle(i, outputs: nil, failed: true)
                        finish(report(i, .failed, .neverBuilt, failure: "\(error)"))
                        if !options.keepGoing { run.stopping = true }
                        continue
                    }
                    switch decision.action {
                    case .skip(let outputs):
                        run.settle(i, outputs: outputs, failed: false)
                        finish(report(i, .skipped, .upToDate))
                    case .restore(let outputs) where options.dryRun:
                        run.settle(i, outputs: outputs, failed: false)
                        finish(report(i, .restored, decision.reason))
                    case .run where options.dryRun:
                        let inst = graph.instances[i]
                        var commands: [String]?
                        if let program = inst.invocation.program {
                            let recorder = RecordingContext(outputs: inst.outputs, scratchDirectory: cache.scratchPath(for: inst.name),
                                                            probes: probes, pending: pendingOutputs,
                                                            inputDigests: decision.material.inputDigests)
                            do {
                                try await program.run(recorder)
                                commands = recorder.commands
                            } catch {
                                commands = recorder.commands + ["(\(error))"]
                            }
                        }
                        pendingOutputs.formUnion(inst.outputs)
                        run.settle(i, outputs: nil, failed: false)
                        finish(report(i, .built, decision.reason, commands: commands))
                    case .restore, .run:
                        pending[i] = decision
                        run.runnable.push(i, priority: run.priority[i])
                        // Started, or put on deck, as soon as judged: judging the 2,000 instances
                        // of a build from clean before starting any left both cores idle for 20 ms.
                        if !run.stopping { startRunnable() }
                    }
                }
                // Start what -j and the pools allow.
                if !run.stopping {
                    startRunnable()
                } else {
                    takeBackFromDeck()
                    run.releaseAllPoolWaiters()
                    while let i = run.runnable.pop() {
                        run.settle(i, outputs: nil, failed: true)
                        finish(report(i, .blocked, .buildStopped))
                    }
                }
                // A pool's rate holds some back: wake up when the next may start.
                if let wake = run.rateWake, !timerPending {
                    timerPending = true
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(max(1, Int((wake - monotonicSeconds()) * 1000))))
                        finished.push(.timer)
                    }
                }
                if running == 0 && !timerPending {
                    // Settling may have made more instances ready (to judge, or to report blocked).
                    if run.ready.isEmpty && run.runnable.isEmpty && batch.isEmpty { break }
                    continue
                }
                if !batch.isEmpty && commitTimer == nil {
                    commitTimer = Task {
                        guard (try? await Task.sleep(for: CommitBatch.delay)) != nil else { return }
                        finished.push(.commitDue)
                    }
                }
                let event = await finished.next(onCancel: { directRuns.cancelAll() })
                if case .commitDue = event {
                    commitTimer = nil
                    if !batch.isEmpty { commitBatch() }
                    continue
                }
                guard case .job(let i, let result, let attempts, let next) = event else {
                    timerPending = false
                    run.releaseRateWaiters()
                    continue
                }
                directRuns.remove(i)
                if let next {
                    // i's thread started the instance on deck in i's slot.
                    handovers += 1
                    runStarted[next.index] = next.startSeconds
                    runSlot[next.index] = runSlot[i]
                    reportStarted(next.index)
                } else {
                    running -= 1
                    if let slot = runSlot[i] { freeSlots.append(slot); freeSlots.sort(by: >) }
                }
                run.release(pool: graph.instances[i].pool)
                // The slot is free: start the next runnable instance before committing this one,
                // so that its process does not wait for the database and the renames (unless
                // this one unlocks something more urgent: the longest path goes first).
                if case .prepared = result, !run.stopping, !Task.isCancelled, !run.settlingUnlocksTheMostUrgent(i, onDeck: onDeck.first) {
                    startRunnable()
                }
                let decision = pending.removeValue(forKey: i)!
                let inst = graph.instances[i]
                let log = cache.logPath(for: inst.name)
                switch result {
                case .interrupted:
                    run.stopping = true
                    summary.interrupted = true
                    run.settle(i, outputs: nil, failed: true)
                    finish(report(i, .blocked, .buildStopped))
                case .failed(let message, _, _, _) where inFallback[i] == nil && inst.fallback != nil && !Task.isCancelled:
                    // The recipe failed after its retries: the fallback makes the outputs instead.
                    let fallback = inst.fallback!
                    inFallback[i] = message
                    pending[i] = decision
                    launch(i, fallback.program.map { .program($0) } ?? .run(fallback.commands),
                           logPath: cache.logPath(for: inst.name) + ".fallback", retries: 0)
                case .failed(let message, let tail, let duration, let kind):
                    let message = inFallback[i].map { "\($0); its fallback failed too: \(message)" } ?? message
                    run.settle(i, outputs: nil, failed: true)
                    // A command that printed nothing leaves no log.
                    finish(report(i, .failed, decision.reason, duration: duration, failure: message,
                                  log: tail && FileOperations.exists(log) ? log : nil,
                                  attempts: attempts, kind: kind))
                    if !options.keepGoing { run.stopping = true }
                case .prepared(let temporaries, let newDigests, let duration) where inFallback[i] != nil:
                    do {
                        let outputs = try commitFallback(i, temporaries: temporaries, digests: newDigests, state: state,
                                                         fileDigests: digests)
                        run.settle(i, outputs: outputs, failed: false)
                        observer.warning("'\(inst.name)' failed (\(inFallback[i]!)); its fallback made the outputs")
                        finish(report(i, .fallback, decision.reason, duration: duration, failure: inFallback[i],
                                      log: FileOperations.exists(log) ? log : nil, attempts: attempts))
                    } catch {
                        Executor.remove(temporaries)
                        run.settle(i, outputs: nil, failed: true)
                        finish(report(i, .failed, decision.reason, failure: "\(error)", kind: .job))
                        if !options.keepGoing { run.stopping = true }
                    }
                case .prepared(let temporaries, let newDigests, let duration):
                    let restored: Bool
                    if case .restore = decision.action { restored = true } else { restored = false }
                    do {
                        let record = try checkedRecord(i, decision: decision, digests: newDigests,
                                                       duration: restored ? (state.rule(inst.name)?.durationSeconds ?? duration) : duration,
                                                       state: state)
                        batch.add(CommitBatch.Entry(index: i, decision: decision, temporaries: temporaries, record: record,
                                                    reportDuration: duration, attempts: attempts, restored: restored),
                                  scheduler: run)
                    } catch {
                        Executor.remove(temporaries)
                        run.settle(i, outputs: nil, failed: true)
                        finish(report(i, .failed, decision.reason, failure: "\(error)", attempts: attempts, kind: .job))
                        if !options.keepGoing { run.stopping = true }
                    }
                }
            }
        }
        commitTimer?.cancel()
        try? state.flush()
        store.flush()
        if let key = options.upToDateKey, !options.dryRun, !warned, summary.failed + summary.blocked + summary.fallback == 0,
           !summary.interrupted {
            writeUpToDateManifest(key: key, closure: closure, sources: sources, digests: digests,
                                  vouched: upToDateAtStart, outputStatus: judge.outputStatus, tools: tools.executables)
        }
        state.close()
        summary.durationSeconds = monotonicSeconds() - started
        observer.buildFinished(summary)
        lastBuildTables = [judge, run, executor]
        return summary
    }

    /// Puts a fallback's outputs in place: `job` made them (so the next real run may replace
    /// them), but the rule is not recorded as done, so the next build tries its recipe again.
    func commitFallback(_ i: Int, temporaries: [String], digests newDigests: [ContentDigest], state: StateDatabase,
                        fileDigests: FileDigests) throws -> [OutputRecord] {
        try refuseOverwriting(i, with: newDigests, state: state)
        let outputs = zip(graph.instances[i].outputs, newDigests).map { OutputRecord(path: $0, digest: $1) }
        try state.recordProduced(outputs)
        return try place(i, temporaries: temporaries, outputs: outputs, fileDigests: fileDigests)
    }

    /// Throws for an output of `i` at which a file stands that `job` did not make, unless it
    /// is byte-identical to the new one (it is adopted) or `--allow-overwrite`.
    func refuseOverwriting(_ i: Int, with newDigests: [ContentDigest], state: StateDatabase) throws {
        for (out, d) in zip(graph.instances[i].outputs, newDigests) where !state.madeByJob(out) && FileOperations.exists(out) {
            if options.allowOverwrite || (try? hashFile(atPath: out)) == d { continue }
            throw OverwriteRefused(path: out)
        }
    }

    /// What recording a prepared result will write, once it is known that its outputs may be
    /// put in place (`refuseOverwriting`).
    func checkedRecord(_ i: Int, decision: Decision, digests newDigests: [ContentDigest], duration: Double,
                       state: StateDatabase) throws -> RuleRecord {
        try refuseOverwriting(i, with: newDigests, state: state)
        let outputs = zip(graph.instances[i].outputs, newDigests).map { OutputRecord(path: $0, digest: $1) }
        let inputs = decision.material.inputs.map { OutputRecord(path: $0.path, digest: $0.digest) }
        return RuleRecord(key: decision.key, outputs: outputs, durationSeconds: duration,
                          recipeDigest: decision.material.recipeDigest, inputs: inputs)
    }

    /// Renames recorded outputs into place. A crash between the record and the renames leaves
    /// outputs that no longer match the record: the next build restores them from the store,
    /// and accepts nothing partial.
    func place(_ i: Int, temporaries: [String], outputs: [OutputRecord], fileDigests: FileDigests) throws -> [OutputRecord] {
        for (tmp, out) in zip(temporaries, graph.instances[i].outputs) { try FileOperations.rename(tmp, to: out) }
        // Trusted without the racy-timestamp guard: the command has exited, so nothing writes
        // these files any more, and the rename just changed their ctime anyway.
        for o in outputs { fileDigests.set(o.path, digest: o.digest, status: FileStatus.of(o.path), trusted: true) }
        return outputs
    }
}

public struct OverwriteRefused: Error, CustomStringConvertible {
    public var path: String
    public var description: String {
        "refusing to replace '\(path)', which job did not create (remove it, or pass --allow-overwrite)"
    }
}
