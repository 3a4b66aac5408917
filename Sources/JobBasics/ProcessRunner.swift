import Subprocess
#if canImport(Glibc)
import Glibc
#endif
#if canImport(System)
import System
#else
import SystemPackage
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

extension ProcessRunner {
    /// Runs `spec` with stdout and stderr both written to `logDescriptor`.
    public func run(_ spec: ProcessSpec, logDescriptor: Int32) async throws -> ProcessOutcome {
        try await run(spec, output: logDescriptor, error: logDescriptor)
    }
}

/// The real runner, over swift-subprocess. Each process leads its own process group, so that a
/// signal reaches everything it started (a shell's children too) and nothing of `job` itself.
public struct SystemProcessRunner: ProcessRunner {
    public var grace: Duration

    public init(grace: Duration = .seconds(2)) { self.grace = grace }

    public func run(_ spec: ProcessSpec, output: Int32, error: Int32) async throws -> ProcessOutcome {
        guard let program = spec.argv.first else {
            throw ProcessLaunchError(command: "", reason: "empty command")
        }
        var options = PlatformOptions()
        options.processGroupID = 0
        options.teardownSequence = [
            .send(signal: .terminate, toProcessGroup: true, allowedDurationToNextStep: grace)
        ]
        var updates: [Environment.Key: String?] = [:]
        for (k, v) in spec.environment { updates[Environment.Key(stringLiteral: k)] = v }
        let executable: Executable = program.contains("/")
            ? .path(FilePath(program)) : .name(program)
        do {
            let result = try await Subprocess.run(
                executable,
                arguments: Arguments(Array(spec.argv.dropFirst())),
                environment: updates.isEmpty ? .inherit : .inherit.updating(updates),
                workingDirectory: spec.workingDirectory.map { FilePath($0) },
                platformOptions: options,
                input: .none,
                output: .fileDescriptor(FileDescriptor(rawValue: output), closeAfterSpawningProcess: false),
                error: .fileDescriptor(FileDescriptor(rawValue: error), closeAfterSpawningProcess: false))
            switch result.terminationStatus {
            case .exited(let code): return .exited(code)
            case .signaled(let signal): return .signaled(signal)
            }
        } catch let error as SubprocessError {
            if Task.isCancelled { throw CancellationError() }
            throw ProcessLaunchError(command: program, reason: "\(error)")
        }
    }
}
