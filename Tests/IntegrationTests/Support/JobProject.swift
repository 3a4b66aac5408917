import Foundation
import Testing

/// A project in a fresh temporary directory, and the real `job` binary to run in it.
final class JobProject {
    let root: URL

    init(jobfile: String, files: [String: String] = [:]) throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("job-it-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try write("Jobfile", jobfile)
        for (path, text) in files { try write(path, text) }
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// The `job` executable built beside this test bundle.
    static let binary: String = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The bundle may be a directory (…/jobPackageTests.xctest) or a file in the build dir.
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("job").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return exe.deletingLastPathComponent().appendingPathComponent("job").path
    }()

    func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func write(_ relative: String, _ text: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }

    func read(_ relative: String) -> String? { try? String(contentsOfFile: path(relative), encoding: .utf8) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: path(relative)) }

    /// Changes a file's times without changing its content.
    func touch(_ relative: String) throws {
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path(relative))
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// The `rule` events of a `--json` build.
        var events: [[String: Any]] {
            stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
        var ruleEvents: [[String: Any]] { events.filter { $0["event"] as? String == "rule" } }
        var summary: [String: Any]? { events.last { $0["event"] as? String == "summary" } }

        /// Instance names with the given status.
        func instances(_ status: String) -> [String] {
            ruleEvents.filter { $0["status"] as? String == status }.compactMap { $0["instance"] as? String }.sorted()
        }
    }

    /// Runs `job ARGS` in the project and waits for it.
    @discardableResult
    func job(_ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = try start(args, environment: environment)
        return p.wait()
    }

    /// `job build --json ARGS`.
    func build(_ args: [String] = [], environment: [String: String] = [:]) throws -> Result {
        try job(["build", "--json"] + args, environment: environment)
    }

    /// A `job` still running; its output goes to files so that nothing blocks on a pipe.
    final class Running {
        let process: Process
        let outPath: String
        let errPath: String

        init(process: Process, outPath: String, errPath: String) {
            self.process = process
            self.outPath = outPath
            self.errPath = errPath
        }

        var pid: Int32 { process.processIdentifier }
        var output: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

        /// Waits for `job` to end; one that hangs is killed after `limit` seconds, so that a
        /// bug fails the test instead of stalling the run.
        func wait(limit: Double = 180) -> Result {
            let deadline = Date().addingTimeInterval(limit)
            while process.isRunning && Date() < deadline { usleep(5_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            let r = Result(status: process.terminationStatus, stdout: output,
                           stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            return r
        }
    }

    func start(_ args: [String], environment: [String: String] = [:]) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args
        p.currentDirectoryURL = root
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "JOB_CACHE_DIR")
        // A crash prints its backtrace and exits at once, never waits for a debugger.
        env["SWIFT_BACKTRACE"] = "enable=yes,interactive=no"
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let id = UUID().uuidString.prefix(8)
        let outPath = NSTemporaryDirectory() + "/job-out-\(id)", errPath = NSTemporaryDirectory() + "/job-err-\(id)"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        return Running(process: p, outPath: outPath, errPath: errPath)
    }
}

/// Waits until `condition` holds, polling; false after `seconds`.
func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
