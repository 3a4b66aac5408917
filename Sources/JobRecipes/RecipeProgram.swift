import JobBasics

/// What a built-in recipe does when it runs: the processes it starts may depend on what the
/// inputs hold (a duration, a loudness measured in a first pass), so it is a small program over
/// a context rather than a fixed list. A dry run gives it a context that records instead of
/// running, so `-n` prints the argv exactly as it would run.
public protocol RecipeProgram: Sendable {
    func run(_ context: any RecipeRunContext) async throws
}

/// What a running recipe can do. The engine provides the real one (processes, ffprobe, the
/// rule's log) and a recording one for dry runs.
public protocol RecipeRunContext: Sendable {
    /// Where the outputs go: temporary names beside the final ones, same extensions.
    var outputs: [String] { get }
    /// A private directory for intermediate files, removed after the rule.
    var scratchDirectory: String { get }
    /// Runs a process (output to the rule's log); a non-zero exit throws. For an ffmpeg
    /// command whose output lasts `expectedSeconds`, progress is reported as a percentage.
    func run(_ argv: [String], expectedSeconds: Double?) async throws
    /// Runs a process and returns what it printed (stdout and stderr); a non-zero exit throws.
    func capture(_ argv: [String]) async throws -> String
    /// What ffprobe says of a media file (cached by content for the build).
    func probe(_ path: String) async throws -> MediaInfo
    /// Adds a line to the rule's log.
    func log(_ line: String)
    /// True when nothing runs (`-n`): `capture` returns "" and files are not written.
    var isDryRun: Bool { get }
}

extension RecipeRunContext {
    public func run(_ argv: [String]) async throws { try await run(argv, expectedSeconds: nil) }

    /// `argv` with ffmpeg's progress report written to `file` every half second (placed
    /// before the output, the last argument), or `argv` itself when it is not an ffmpeg run.
    public func withProgress(_ argv: [String], file: String, expectedSeconds: Double?) -> [String] {
        guard let seconds = expectedSeconds, seconds > 0, argv.first == "ffmpeg", argv.count > 1 else { return argv }
        return argv.dropLast() + ["-progress", file, "-stats_period", "0.5", argv.last!]
    }
}

/// A process that exited badly inside a recipe.
public struct RecipeStepFailed: Error, Sendable, CustomStringConvertible {
    public var command: [String]
    public var outcome: ProcessOutcome
    public init(command: [String], outcome: ProcessOutcome) {
        self.command = command
        self.outcome = outcome
    }
    public var description: String { "\(outcome): \(shellJoin(command))" }
}

/// An input that a recipe cannot use, found when it runs (a corrupt file, mismatched clips).
public struct RecipeInputError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
