import ArgumentParser
import JobBasics
import JobEngine
import JobGraph
import JobReporting
import JobState

struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean", abstract: "Remove outputs (the cache stays, so the next build restores them).")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "Targets to clean (default: as for build), and NAME=VALUE var overrides.") var arguments: [String] = []

    func run() async throws {
        let (targets, overrides) = try splitArguments(arguments)
        let p = try Project.open(project, overrides: overrides)
        let roots = try p.withSource { try p.graph.resolveTargets(targets) }
        let instances = targets.isEmpty && p.graph.jobfile.targets["default"] == nil
            ? p.graph.order : p.graph.closure(of: roots)
        guard FileOperations.exists(p.cache.database) else {
            writeOutput("job: nothing to clean (no build state)\n")
            return
        }
        let lock = try await BuildLock.acquire(p.cache.path + "/lock") { holder in
            writeError("job: waiting for another job build in this project (\(holder)) to finish\n")
        }
        defer { withExtendedLifetime(lock) {} }
        UpToDateManifest.remove(at: p.cache.upToDate)
        let state = try StateDatabase(path: p.cache.database)
        var removed = 0
        for i in instances {
            for out in p.graph.instances[i].outputs {
                try? FileOperations.removeFile(OutputStaging.temporaryPath(for: out))
                guard FileOperations.exists(out) else { continue }
                // Only what job made: a file of the user's at an output path stays.
                guard state.madeByJob(out) else {
                    writeError("job: keeping '\(out)': job did not create it\n")
                    continue
                }
                try FileOperations.removeFile(out)
                removed += 1
                if project.verbose { writeOutput("removed \(out)\n") }
            }
        }
        writeOutput("job: removed \(removed) output\(removed == 1 ? "" : "s")\n")
    }
}

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "graph", abstract: "Print the DAG (Graphviz dot, or JSON).")

    enum Format: String, ExpressibleByArgument { case dot, json }

    @OptionGroup var project: ProjectOptions
    @Option(help: "dot or json.") var format: Format = .dot
    @Argument(help: "Targets (default: as for build), and NAME=VALUE var overrides.") var arguments: [String] = []

    func run() async throws {
        let (targets, overrides) = try splitArguments(arguments)
        let p = try Project.open(project, overrides: overrides)
        let roots = try p.withSource { try p.graph.resolveTargets(targets) }
        let instances = p.graph.closure(of: roots)
        writeOutput(format == .dot ? GraphFormatter.dot(p.graph, instances: instances)
                                   : GraphFormatter.json(p.graph, instances: instances))
    }
}

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Say why TARGET would (or would not) be rebuilt now.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "A target, rule or output path, and NAME=VALUE var overrides.") var arguments: [String]

    func run() async throws {
        let (targets, overrides) = try splitArguments(arguments)
        guard !targets.isEmpty else { throw UsageError("explain needs a target") }
        let p = try Project.open(project, overrides: overrides)
        let roots = try p.withSource { try p.graph.resolveTargets(targets) }
        let builder = Builder(graph: p.graph, rootDirectory: p.rootDirectory, cache: p.cache,
                              options: BuildOptions(jobs: 1, keepGoing: true, dryRun: true),
                              runner: SystemProcessRunner(), observer: ExplainReporter())
        _ = try await p.withSource { try await builder.build(targets: roots) }
    }
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List rules, their instances and outputs, and targets.")

    @OptionGroup var project: ProjectOptions

    func run() async throws {
        let p = try Project.open(project, overrides: [])
        writeOutput(ListFormatter.text(p.graph))
    }
}

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Print the latest log (every attempt's output) of TARGET's rule instances.")

    @OptionGroup var project: ProjectOptions
    @Argument(help: "A target, rule, instance or output path.") var target: String

    func run() async throws {
        let p = try Project.open(project, overrides: [])
        let roots = try p.withSource { try p.graph.resolveTargets([target]) }
        var printed = 0
        for i in roots {
            let name = p.graph.instances[i].name
            let path = p.cache.logPath(for: name)
            guard let bytes = try? FileOperations.readFile(path) else { continue }
            if roots.count > 1 { writeOutput("== \(name) (\(path))\n") }
            writeOutput(String(decoding: bytes, as: UTF8.self))
            printed += 1
        }
        if printed == 0 { writeError("job: no log for '\(target)' (it has not run, or its last run printed nothing)\n") }
    }
}
