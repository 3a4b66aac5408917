import Foundation
import JobBasics
import JobRecipes

/// ffprobe results: once per file per build (a file's content cannot change during a build
/// once its rule has run), and across builds by content digest, in `cache/probes/HEX.json`
/// (ffprobe's own JSON), so an unchanged clip is never probed again.
actor MediaProbes {
    let runner: any ProcessRunner
    let scratch: String
    let directory: String
    private var known: [String: MediaInfo] = [:]

    init(runner: any ProcessRunner, scratch: String, directory: String) {
        self.runner = runner
        self.scratch = scratch
        self.directory = directory
    }

    func info(_ path: String, digest: ContentDigest?) async throws -> MediaInfo {
        if let i = known[path] { return i }
        let stored = digest.map { directory + "/" + $0.hex + ".json" }
        if let stored, let bytes = try? FileOperations.readFile(stored),
           let info = try? MediaInfo.parse(String(decoding: bytes, as: UTF8.self), path: path) {
            known[path] = info
            return info
        }
        try FileOperations.createDirectories(scratch)
        let base = scratch + "/probe-" + UUID().uuidString.prefix(8)
        let out = open(base + ".json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let err = open(base + ".err", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer {
            close(out)
            close(err)
            try? FileOperations.removeFile(base + ".json")
            try? FileOperations.removeFile(base + ".err")
        }
        let outcome = try await runner.run(ProcessSpec(argv: MediaInfo.probeCommand(path)), output: out, error: err)
        let json = String(decoding: (try? FileOperations.readFile(base + ".json")) ?? [], as: UTF8.self)
        guard outcome.isSuccess else {
            let complaint = String(decoding: (try? FileOperations.readFile(base + ".err")) ?? [], as: UTF8.self)
                .split(separator: "\n").last.map(String.init) ?? "\(outcome)"
            throw RecipeInputError("'\(path)' is not a media file ffprobe can read: \(complaint)")
        }
        let info = try MediaInfo.parse(json, path: path)
        known[path] = info
        if let stored {
            try? FileOperations.createDirectories(directory)
            try? FileOperations.writeFileAtomically(stored, Array(json.utf8))
        }
        return info
    }
}

/// The context a built-in recipe runs in: its processes write to the rule's log, in the
/// project root, with the rule's declared environment.
struct ExecutionContext: RecipeRunContext {
    let runner: any ProcessRunner
    let log: Int32
    let outputs: [String]
    let scratchDirectory: String
    let environment: [String: String]
    let probes: MediaProbes
    /// The content digests of the rule's inputs, to find their probes of earlier builds.
    let inputDigests: [String: ContentDigest]
    /// Told the fraction done of a long ffmpeg step, from its `-progress` file.
    let progress: (@Sendable (Double) -> Void)?

    func run(_ argv: [String], expectedSeconds: Double?) async throws {
        let file = scratchDirectory + "/progress.txt"
        let command = withProgress(argv, file: file, expectedSeconds: expectedSeconds)
        var watcher: Task<Void, Never>?
        if command != argv, let progress, let total = expectedSeconds {
            watcher = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    if let done = Self.outTime(file) { progress(min(1, done / total)) }
                }
            }
        }
        defer {
            watcher?.cancel()
            try? FileOperations.removeFile(file)
        }
        let outcome = try await runner.run(ProcessSpec(argv: command, environment: environment), logDescriptor: log)
        if !outcome.isSuccess { throw RecipeStepFailed(command: command, outcome: outcome) }
        if command != argv, let done = Self.outTime(file), let total = expectedSeconds { progress?(min(1, done / total)) }
    }

    /// The last `out_time_us` ffmpeg wrote to its progress file, in seconds.
    static func outTime(_ file: String) -> Double? {
        guard let bytes = try? FileOperations.readFile(file) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("out_time_us=") }),
              let micro = Double(line.dropFirst("out_time_us=".count)) else { return nil }
        return micro / 1_000_000
    }

    func capture(_ argv: [String]) async throws -> String {
        let path = scratchDirectory + "/capture-" + UUID().uuidString.prefix(8)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("create", path, errno: errno) }
        defer { close(fd); try? FileOperations.removeFile(path) }
        let outcome = try await runner.run(ProcessSpec(argv: argv, environment: environment), output: fd, error: fd)
        let text = String(decoding: (try? FileOperations.readFile(path)) ?? [], as: UTF8.self)
        _ = text.utf8CString.withUnsafeBufferPointer { write(log, $0.baseAddress, $0.count - 1) }
        if !outcome.isSuccess { throw RecipeStepFailed(command: argv, outcome: outcome) }
        return text
    }

    func probe(_ path: String) async throws -> MediaInfo { try await probes.info(path, digest: inputDigests[path]) }

    func log(_ line: String) {
        _ = (line + "\n").utf8CString.withUnsafeBufferPointer { write(log, $0.baseAddress, $0.count - 1) }
    }

    var isDryRun: Bool { false }
}

/// A file a dry run cannot probe because another rule rebuilds it first.
struct NotBuiltYet: Error, CustomStringConvertible {
    var path: String
    var description: String { "its commands depend on '\(path)', which is rebuilt first" }
}

/// The dry run's context: records each command instead of running it, so `-n` shows the
/// argv exactly. Inputs that exist are probed for real (read-only); outputs are the final paths.
final class RecordingContext: RecipeRunContext, @unchecked Sendable {
    let outputs: [String]
    let scratchDirectory: String
    let probes: MediaProbes
    let pending: Set<String>
    let inputDigests: [String: ContentDigest]
    private let lock = NSLock()
    private var recorded: [[String]] = []

    init(outputs: [String], scratchDirectory: String, probes: MediaProbes, pending: Set<String>,
         inputDigests: [String: ContentDigest]) {
        self.inputDigests = inputDigests
        self.outputs = outputs
        self.scratchDirectory = scratchDirectory
        self.probes = probes
        self.pending = pending
    }

    var commands: [String] { lock.withLock { recorded.map(shellJoin) } }

    func run(_ argv: [String], expectedSeconds: Double?) async throws {
        let command = withProgress(argv, file: scratchDirectory + "/progress.txt", expectedSeconds: expectedSeconds)
        lock.withLock { recorded.append(command) }
    }

    func capture(_ argv: [String]) async throws -> String {
        lock.withLock { recorded.append(argv) }
        return ""
    }

    func probe(_ path: String) async throws -> MediaInfo {
        if pending.contains(path) || !FileOperations.exists(path) { throw NotBuiltYet(path: path) }
        return try await probes.info(path, digest: inputDigests[path])
    }

    func log(_ line: String) {}

    var isDryRun: Bool { true }
}

/// Tools that a build needs and this machine lacks, with what to install.
public struct MissingTools: Error, CustomStringConvertible {
    public var tools: [String]
    public var description: String {
        let packages = Set(tools.map { RecipeRegistry.packages[$0] ?? $0 }).sorted()
        return "this build needs \(tools.joined(separator: ", ")), not found on PATH; install it first "
            + "(Debian: apt-get install \(packages.joined(separator: " ")))"
    }
}
