import JobBasics

/// Why an instance runs (or is restored) instead of being skipped. Every decision has one.
public enum RebuildReason: Sendable, Hashable, CustomStringConvertible {
    case neverBuilt
    case outputMissing(String)
    case outputModified(String)
    case inputChanged([String])
    /// An input that another rule rebuilds in this build (a dry run cannot know its content yet).
    case inputWillChange(String)
    case recipeChanged
    case upToDate
    /// Not run: the instance named failed (or was not run) and this one needs its output.
    case dependencyFailed(String)
    /// Not run: the build stopped (a failure without -k, or an interrupt).
    case buildStopped

    public var description: String {
        switch self {
        case .neverBuilt: return "never built"
        case .outputMissing(let p): return "output missing: \(p)"
        case .outputModified(let p): return "output modified: \(p)"
        case .inputChanged(let ps): return "input changed: " + ps.joined(separator: ", ")
        case .inputWillChange(let p): return "input will be rebuilt: \(p)"
        case .recipeChanged: return "recipe changed"
        case .upToDate: return "up to date"
        case .dependencyFailed(let name): return "needs '\(name)', which did not build"
        case .buildStopped: return "the build stopped before it"
        }
    }
}

/// Why a rule failed, in the words of metrics (`job_rule_failures_total{reason=...}`).
public enum FailureKind: String, Sendable {
    case exit, signal, timeout
    case missingOutput = "missing_output"
    /// An input the recipe could not use (not media, mismatched clips, a refused request).
    case input = "probe"
    /// `job` itself: a file it could not write, a rename that failed, a refused overwrite.
    case job

    init(_ outcome: ProcessOutcome) {
        if case .signaled = outcome { self = .signal } else { self = .exit }
    }
}

/// How an instance ended in this build.
public enum InstanceStatus: String, Sendable {
    case built, skipped, restored, failed
    /// The recipe failed and its `fallback:` made the outputs: not recorded as up to date.
    case fallback
    /// Not run: a rule it needs failed, or the build stopped (a failure without -k, Ctrl-C).
    case blocked
}

public struct InstanceReport: Sendable {
    public var index: Int
    public var name: String
    public var rule: String
    public var outputs: [String]
    public var status: InstanceStatus
    public var reason: RebuildReason
    public var durationSeconds: Double
    /// The commands as run (with the final output paths), for `-n` and failure messages (empty
    /// in other reports).
    public var commands: [String]
    public var failure: String?
    public var logPath: String?
    /// How many times it ran (more than 1 after retries; 0 when it did not run).
    public var attempts: Int = 0
    public var failureKind: FailureKind?
    /// When it started running, in seconds from the start of the build, and in which of the
    /// `-j` slots (for the trace); nil when it did not run.
    public var startSeconds: Double?
    public var slot: Int?
}

public struct BuildSummary: Sendable {
    public var built = 0, skipped = 0, restored = 0, failed = 0, blocked = 0, fallback = 0
    public var durationSeconds = 0.0
    public var interrupted = false
    public var dryRun = false
    /// The most rules that ran at once.
    public var peakConcurrency = 0
    public init() {}
}

/// Told, from running rules, how far a long step has got. Called from any task: it must be
/// safe to call concurrently (the human reporter's status line is).
public protocol ProgressSink: Sendable {
    func progress(_ instance: String, fraction: Double)
}

/// What a build tells its observer: the human reporter and the JSON Lines writer implement it.
public protocol BuildObserver: AnyObject {
    func buildStarted(total: Int, dryRun: Bool)
    func instanceStarted(_ name: String, description: String?, completed: Int, total: Int)
    func instanceFinished(_ report: InstanceReport, completed: Int, total: Int)
    func buildFinished(_ summary: BuildSummary)
    /// Something the user should know that does not stop the build.
    func warning(_ message: String)
}
