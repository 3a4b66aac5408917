import ArgumentParser
import Dispatch
import JobBasics
import JobEngine
import JobfileModel
import JobReporting
import JobState
#if canImport(Glibc)
import Glibc
#endif

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build targets (default: the 'default' target, or every rule).",
        discussion: "A TARGET is a target name, a rule name (all its instances) or an output path. NAME=VALUE overrides a var.")

    @OptionGroup var project: ProjectOptions

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Rules run in parallel (default: number of cores).")
    var jobs: Int?

    @Flag(name: [.customShort("k"), .customLong("keep-going")], help: "Go on with independent rules after a failure.")
    var keepGoing = false

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Print what would run, and why, without running it.")
    var dryRun = false

    @Flag(name: .customLong("json"), help: "JSON Lines events on stdout instead of human output.")
    var json = false

    @Flag(name: .customLong("allow-overwrite"), help: "Let a rule replace a file that job did not create.")
    var allowOverwrite = false

    @Flag(name: .customLong("strict"), help: "Exit 1 when a rule's outputs came from its fallback.")
    var strict = false

    @Option(name: .customLong("metrics"), help: ArgumentHelp("Write Prometheus metrics of the build to this file.", valueName: "file"))
    var metricsFile: String?

    @Option(name: .customLong("trace"), help: ArgumentHelp("Write the build as a Chrome trace (Perfetto) to this file.", valueName: "file"))
    var traceFile: String?

    @Argument(help: ArgumentHelp("Targets, and NAME=VALUE var overrides.", valueName: "target-or-NAME=VALUE"))
    var arguments: [String] = []

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("-j must be at least 1") }
    }

    func run() async throws {
        let (targets, overrides) = try splitArguments(arguments)
        // Paths given relative to where job was started, before -C or the Jobfile moves us.
        let start = FileOperations.currentDirectory()
        let files = try ProjectFiles.locate(project, overrides: overrides)
        let upToDateKey = Self.upToDateKey(planKey: files.planKey, targets: targets)
        // The build lock, when no other build holds it (else the build waits for it, saying so).
        let lock = dryRun ? nil : BuildLock.tryAcquire(files.cache.path + "/lock")
        // The fast path of a no-op: when only a summary line would be shown anyway.
        if !json && !project.verbose && !dryRun && metricsFile == nil && traceFile == nil, lock != nil {
            let upToDate = UpToDateManifest.check(at: files.cache.upToDate, key: upToDateKey,
                                                  searchPath: ToolIdentities.searchPath,
                                                  databasePath: files.cache.database) {
                GlobRecord.stems(of: $0, rootDirectory: files.rootDirectory)
            }
            if upToDate {
                OutputStream.standardOutput.write("job: nothing to do\n")
                return
            }
        }
        // Under the lock, the state loads while the plan is made (once the YAML is freed: at
        // 100,000 rules both at once passed 300 MB); it is loaded before the process ends,
        // whatever happens.
        var preload: StatePreload?
        defer { _ = preload?.wait() }
        let p = try files.load(writingPlanMeanwhile: true) {
            preload = lock.map { StatePreload(path: files.cache.database, lock: $0) }
        }
        // Whatever happens next, the compiled plan is written before the process ends.
        defer { p.planWriter?.wait() }
        let roots = try p.withSource { try p.graph.resolveTargets(targets) }
        let metricsPath = metricsFile.map { $0.hasPrefix("/") ? $0 : start + "/" + $0 }
        let tracePath = traceFile.map { $0.hasPrefix("/") ? $0 : start + "/" + $0 }
        let human = json ? nil : HumanReporter(verbose: project.verbose)
        let observer = BuildRecorder(human ?? JSONLinesReporter(), keepsReports: metricsPath != nil || tracePath != nil)
        let options = BuildOptions(jobs: jobs ?? processorCount, keepGoing: keepGoing,
                                   dryRun: dryRun, allowOverwrite: allowOverwrite, upToDateKey: upToDateKey)
        let builder = Builder(graph: p.graph, rootDirectory: p.rootDirectory, cache: p.cache, options: options,
                              runner: SystemProcessRunner(), observer: observer, progress: human?.progressSink,
                              preload: preload)
        let summary = try await p.withSource { try await runInterruptibly { try await builder.build(targets: roots) } }
        if let metricsPath { try FileOperations.writeFileAtomically(metricsPath, Array(MetricsFormatter.text(observer.reports, summary: summary).utf8)) }
        if let tracePath { try FileOperations.writeFileAtomically(tracePath, Array(TraceFormatter.json(observer.reports).utf8)) }
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 || (strict && summary.fallback > 0) { throw ExitCode(1) }
        // Ends here, with the plan and the builder's tables still held: freeing them one
        // entry at a time is work for nothing when the process ends (100,000 instances).
        p.planWriter?.wait()
        withExtendedLifetime((p, builder)) { Glibc.exit(0) }
    }
}

extension BuildCommand {
    /// What a build is asked: the plan (Jobfile, overrides, root, version) and the targets.
    static func upToDateKey(planKey: ContentDigest, targets: [String]) -> ContentDigest {
        var h = StreamingHasher()
        h.field("job-uptodate")
        h.field(planKey)
        for t in targets { h.field(t) }
        return h.finish()
    }
}

/// Splits arguments into targets and `NAME=VALUE` overrides. A word with a `/` or a `[` is a
/// target (an output path, an instance name); another word with `=` is an override, malformed
/// when its left side is not a valid name.
func splitArguments(_ words: [String]) throws -> ([String], [VarOverride]) {
    var targets: [String] = []
    var overrides: [VarOverride] = []
    var errors = DiagnosticBag()
    for w in words {
        if w.contains("/") || w.contains("[") {
            targets.append(w)   // an output path or an instance name (`rule[key=value]`)
        } else if let o = VarOverride.parse(w) {
            overrides.append(o)
        } else if w.contains("=") {
            errors.error("malformed 'NAME=VALUE' argument '\(w)' (NAME is letters, digits, '_' and '-')", at: nil)
        } else {
            targets.append(w)
        }
    }
    try errors.throwIfErrors()
    return (targets, overrides)
}


/// Runs `body` in a task that SIGINT and SIGTERM cancel: the running rules' process groups get
/// SIGTERM then SIGKILL, their temporary outputs are removed, and the build reports itself
/// interrupted.
func runInterruptibly<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await body() }
    signal(SIGINT, SIG_IGN)
    signal(SIGTERM, SIG_IGN)
    let sources = [SIGINT, SIGTERM].map { sig -> any DispatchSourceSignal in
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { task.cancel() }
        source.resume()
        return source
    }
    defer { sources.forEach { $0.cancel() } }
    return try await task.value
}
