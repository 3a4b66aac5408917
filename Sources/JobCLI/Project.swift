import JobBasics
import JobEngine
import JobfileModel
import JobGraph
#if canImport(Glibc)
import Glibc
#endif

/// The Jobfile a command works on: found (`-f`, `-C`), read, loaded and graphed, with the
/// project root as the working directory, so that every path is relative to it.
struct Project {
    var displayName: String
    var text: String
    var rootDirectory: String
    var cache: CacheDirectory
    var graph: BuildGraph
    /// The compiled plan being written, when it is written while the build goes on.
    var planWriter: InBackground<Void>? = nil

    static func open(_ options: ProjectOptions, overrides: [VarOverride]) throws -> Project {
        try ProjectFiles.locate(options, overrides: overrides).load()
    }

    /// Runs `body`; a `UsageError` from it comes out with the Jobfile's text attached, so its
    /// lines can be quoted.
    func withSource<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as UsageError { throw SourcedUsageError(error: e, source: text, file: displayName) }
    }

    func withSource<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as UsageError { throw SourcedUsageError(error: e, source: text, file: displayName) }
    }
}

/// The Jobfile found and read, before it is planned: enough for the no-op's fast path.
struct ProjectFiles {
    var displayName: String
    var text: String
    var rootDirectory: String
    var cache: CacheDirectory
    var overrides: [VarOverride]
    /// What the compiled plan depends on besides its globs.
    var planKey: ContentDigest

    static func locate(_ options: ProjectOptions, overrides: [VarOverride]) throws -> ProjectFiles {
        if let dir = options.directory, chdir(dir) != 0 {
            throw UsageError("cannot change to directory '\(dir)': \(String(cString: strerror(errno)))")
        }
        let path = options.file ?? "Jobfile"
        guard FileOperations.exists(path) else {
            throw UsageError(options.file == nil
                ? "no Jobfile in \(FileOperations.currentDirectory()) (use -f PATH or -C DIR)"
                : "no Jobfile at '\(path)'")
        }
        let bytes: [UInt8]
        do { bytes = try FileOperations.readFile(path) } catch { throw UsageError("\(error)") }
        // A byte search (`contains` went one byte at a time through 12 MB at 100,000 rules).
        let hasNul = bytes.withUnsafeBytes { $0.isEmpty ? false : memchr($0.baseAddress!, 0, $0.count) != nil }
        guard !hasNul, let text = String(validating: bytes, as: UTF8.self) else {
            throw UsageError("'\(path)' is not a text file (a Jobfile is UTF-8 YAML)",
                             at: SourceLocation(file: path, line: 1, column: 1))
        }
        let rootDirectory = FileOperations.parentDirectory(path)
        if rootDirectory != ".", chdir(rootDirectory) != 0 {
            throw UsageError("cannot change to directory '\(rootDirectory)'")
        }
        let root = FileOperations.currentDirectory()
        let cacheDirectory = options.cacheDirectory ?? environmentValue("JOB_CACHE_DIR") ?? "cache"
        return ProjectFiles(displayName: path, text: text, rootDirectory: root, cache: CacheDirectory(path: cacheDirectory),
                            overrides: overrides,
                            planKey: CompiledPlan.key(displayName: path, text: text, overrides: overrides,
                                                      rootDirectory: root, version: jobBuildIdentity))
    }

    /// The plan (compiled, or from YAML when the compiled one is missing or stale) and its graph.
    /// `writingPlanMeanwhile`: a new compiled plan is written on another thread while the caller
    /// goes on, and it must `planWriter?.wait()` before the process ends.
    /// `lighter` is called once, when planning holds the least memory: before a compiled plan
    /// is read, or once the YAML is expanded and freed (the build then loads its state).
    func load(writingPlanMeanwhile: Bool = false, lighter: () -> Void = {}) throws -> Project {
        do throws(UsageError) {
            // A compiled plan skips YAML when nothing it was made from has changed. (One made
            // from another Jobfile is known from its first bytes, before YAML takes memory.)
            let compiled = CompiledPlan.isStored(path: cache.plan, key: planKey)
            if compiled { lighter() }
            if compiled, let planned = CompiledPlan.load(path: cache.plan, key: planKey, text: text) {
                return Project(displayName: displayName, text: text, rootDirectory: rootDirectory, cache: cache,
                               graph: try BuildGraph(planned))
            }
            let jobfile = try JobfileLoader(displayName: displayName, text: text, rootDirectory: rootDirectory,
                                            overrides: overrides).load()
            if !compiled { lighter() }
            // Written on another thread while this one makes the graph (at 100,000 rules: 18 MB,
            // 115 ms), and, when `writingPlanMeanwhile`, while the build goes on. A plan whose
            // graph has a cycle is stored too: the next run reports the cycle without parsing
            // YAML again.
            let key = planKey, path = cache.plan
            let writer = InBackground { CompiledPlan.store(jobfile, key: key, path: path) }
            let graph: BuildGraph
            do throws(UsageError) {
                graph = try BuildGraph(jobfile)
            } catch {
                writer.wait()
                throw error
            }
            var project = Project(displayName: displayName, text: text, rootDirectory: rootDirectory, cache: cache,
                                  graph: graph)
            if writingPlanMeanwhile { project.planWriter = writer } else { writer.wait() }
            return project
        } catch {
            throw SourcedUsageError(error: error, source: text, file: displayName)
        }
    }
}

struct SourcedUsageError: Error {
    var error: UsageError
    var source: String
    var file: String
}

func environmentValue(_ name: String) -> String? {
    guard let v = getenv(name) else { return nil }
    let s = String(cString: v)
    return s.isEmpty ? nil : s
}
