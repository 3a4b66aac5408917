import CSystemExtras
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The real runner: `vfork` and `execve`, then a small thread that waits for the process. Each
/// process leads its own process group, so that a signal reaches everything it started (a
/// shell's children too) and nothing of `job` itself.
///
/// Spawning directly, rather than through a general subprocess library, leaves nothing
/// between `job` and a rule's process but the log file it writes into: no pipes to drain, no
/// event loop, no task per stream. `job` adds about 0.5 ms per rule to Ninja's 1.4 ms in the
/// `: > OUT` benchmark (bench/RESULTS.md).
public struct SystemProcessRunner: ProcessRunner, ProcessStarter {
    public var grace: Duration
    /// Where a program named without a slash is looked up; nil: job's own `PATH`.
    public var searchPath: String?

    public init(grace: Duration = .seconds(2), searchPath: String? = nil) {
        self.grace = grace
        self.searchPath = searchPath
    }

    public func run(_ spec: ProcessSpec, output: Int32, error: Int32) async throws -> ProcessOutcome {
        try Task.checkCancellation()
        let child = try spawn(spec, output: output, error: error)
        return await withTaskCancellationHandler {
            // Waited for by a thread of its own: blocking in `waitid` on a thread of the
            // concurrency pool would take it from the scheduler.
            await withCheckedContinuation { (continuation: CheckedContinuation<ProcessOutcome, Never>) in
                WaitingThreads.shared.wait(for: child) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            child.terminate()
        }
    }

    public func start(_ spec: ProcessSpec, output: Int32, error: Int32,
                      exited: @escaping @Sendable (ProcessOutcome) -> Void) throws -> any StartedProcess {
        let child = try spawn(spec, output: output, error: error)
        WaitingThreads.shared.wait(for: child, then: exited)
        return child
    }

    /// Starts `spec` (not yet waited for).
    func spawn(_ spec: ProcessSpec, output: Int32, error: Int32) throws -> ChildProcess {
        guard let program = spec.argv.first else {
            throw ProcessLaunchError(command: "", reason: "empty command")
        }
        let argv = CStringArray(spec.argv)
        let environment = CStringArray(InheritedEnvironment.entries(updating: spec.environment))
        var pid: pid_t = 0
        let rc = argv.withPointers { argvPointer in
            environment.withPointers { envPointer in
                withOptionalCString(spec.workingDirectory) { directory in
                    withOptionalCString(searchPath) { path in
                        job_spawn(&pid, program, argvPointer, envPointer, output, error, directory, path)
                    }
                }
            }
        }
        guard rc == 0 else {
            throw ProcessLaunchError(command: program, reason: String(cString: strerror(rc)))
        }
        return ChildProcess(pid: pid, grace: grace)
    }
}

/// A started process: waited for by one thread, signalled by cancellation. It is reaped only
/// after `exited` is set under the lock, so its pid (its group's id) cannot be reused while a
/// signal may still be sent to it.
final class ChildProcess: StartedProcess {
    let pid: pid_t
    let grace: Duration
    private let exited = Mutex(false)

    init(pid: pid_t, grace: Duration) {
        self.pid = pid
        self.grace = grace
    }

    func terminate() {
        signalGroup(SIGTERM)
        let (seconds, attoseconds) = grace.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.signalGroup(SIGKILL) }
    }

    func signalGroup(_ signal: Int32) {
        exited.withLock { done in
            if !done { _ = kill(-pid, signal) }
        }
    }

    func waitForExit() -> ProcessOutcome {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        exited.withLock { $0 = true }
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pid, &status, 0) } while reaped < 0 && errno == EINTR
        // Not ours to wait for (someone set SIGCHLD to SIG_IGN): never report a success.
        if reaped != pid { return .exited(-1) }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }
}

/// Threads that wait for processes, one process each at a time, kept for the next one: a
/// thread made and ended per process cost an `munmap` of its stack, and with it a TLB
/// shootdown on every core, for each rule.
final class WaitingThreads: @unchecked Sendable {
    static let shared = WaitingThreads()

    final class Worker: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
        var child: ChildProcess?
        var done: (@Sendable (ProcessOutcome) -> Void)?
    }

    private let idle = Mutex<[Worker]>([])
    /// The worker whose thread this is, if it is one (a thread-specific value).
    private let currentWorker: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0)
        return key
    }()

    func wait(for child: ChildProcess, then done: @escaping @Sendable (ProcessOutcome) -> Void) {
        // Started by a worker's thread as its process's end is reported (the next command of a
        // rule, or the next rule in its slot): that thread waits for it next, rather than waking
        // another. A wake on another core per process was a chance for the scheduler to put two
        // processes on one core and leave the other idle.
        if let raw = pthread_getspecific(currentWorker) {
            let worker = Unmanaged<Worker>.fromOpaque(raw).takeUnretainedValue()
            if worker.child == nil {
                worker.child = child
                worker.done = done
                return
            }
        }
        if let worker = idle.withLock({ $0.popLast() }) {
            worker.child = child
            worker.done = done
            worker.wake.signal()
            return
        }
        let worker = Worker()
        worker.child = child
        worker.done = done
        if !start(worker) { done(child.waitForExit()) }
    }

    private func start(_ worker: Worker) -> Bool {
        let context = Unmanaged.passRetained(worker).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 128 * 1024)
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            WaitingThreads.shared.run(Unmanaged<Worker>.fromOpaque(raw!).takeRetainedValue())
            return nil
        }, context)
        if rc != 0 { Unmanaged<Worker>.fromOpaque(context).release() }
        return rc == 0
    }

    /// A worker's life: wait for its process, report, wait to be given the next one.
    private func run(_ worker: Worker) {
        pthread_setspecific(currentWorker, Unmanaged.passUnretained(worker).toOpaque())
        while true {
            // `done` may give this worker its next process (see `wait`).
            while let child = worker.child, let done = worker.done {
                worker.child = nil
                worker.done = nil
                done(child.waitForExit())
            }
            idle.withLock { $0.append(worker) }
            worker.wake.wait()
        }
    }
}

/// `job`'s environment as `NAME=VALUE` entries, read once; a process gets it with its spec's
/// variables put in.
enum InheritedEnvironment {
    static let base: [String] = {
        var entries: [String] = []
        var p = environ
        while let entry = p.pointee {
            entries.append(String(cString: entry))
            p += 1
        }
        return entries
    }()

    static func entries(updating updates: [String: String]) -> [String] {
        if updates.isEmpty { return base }
        var result = base.filter { entry in
            guard let eq = entry.firstIndex(of: "=") else { return true }
            return updates[String(entry[..<eq])] == nil
        }
        for (k, v) in updates.sorted(by: { $0.key < $1.key }) { result.append(k + "=" + v) }
        return result
    }
}

/// A NULL-terminated array of C strings, freed with the value.
final class CStringArray {
    private var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) }
        pointers.append(nil)
    }

    deinit { for p in pointers { free(p) } }

    func withPointers<R>(_ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString(body)
}
