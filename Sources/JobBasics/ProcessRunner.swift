#if canImport(Glibc)
import Glibc
#endif

/// One process to start: its argv (argv[0] looked up in PATH unless it holds a slash),
/// variables added to the inherited environment, and where its output goes.
public struct ProcessSpec: Sendable, Hashable {
    public var argv: [String]
    public var environment: [String: String]
    public var workingDirectory: String?

    public init(argv: [String], environment: [String: String] = [:], workingDirectory: String? = nil) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// How a process ended.
public enum ProcessOutcome: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let signal): return "killed by signal \(signal)"
        }
    }
}

public struct ProcessLaunchError: Error, Sendable, CustomStringConvertible {
    public var command: String
    public var reason: String
    public var description: String { "cannot start '\(command)': \(reason)" }
}

/// Runs processes. Injected so that the engine's tests can control it; the real one below.
public protocol ProcessRunner: Sendable {
    /// Runs `spec` with its stdout and stderr written to the given descriptors, and waits for
    /// it. Cancelling the calling task ends the process's whole group: SIGTERM, then SIGKILL
    /// after a grace period.
    func run(_ spec: ProcessSpec, output: Int32, error: Int32) async throws -> ProcessOutcome
}

/// A runner that can also start a process and report its end from a thread of its own, with
/// no task of the concurrency runtime between: one thread wake when a process ends, where
/// `run` takes four (the waiting thread, the task that resumes, its group, the next task).
public protocol ProcessStarter: Sendable {
    /// Starts `spec` (stdout and stderr to the given descriptors) and calls `exited` once, on
    /// another thread, when it has ended and been reaped.
    func start(_ spec: ProcessSpec, output: Int32, error: Int32,
               exited: @escaping @Sendable (ProcessOutcome) -> Void) throws -> any StartedProcess
}

/// A process from `ProcessStarter.start`.
public protocol StartedProcess: Sendable {
    /// Ends the process's whole group: SIGTERM now, SIGKILL after the runner's grace period
    /// (nothing once it has been reaped).
    func terminate()
}

extension ProcessRunner {
    /// Runs `spec` with stdout and stderr both written to `logDescriptor`.
    public func run(_ spec: ProcessSpec, logDescriptor: Int32) async throws -> ProcessOutcome {
        try await run(spec, output: logDescriptor, error: logDescriptor)
    }
}

