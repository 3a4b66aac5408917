import JobBasics
import JobEngine

/// Human output. On a terminal one status line, rewritten in place (`[12/40] name`);
/// elsewhere (CI logs) one line per rule that ran. Skipped rules only with `-v`.
/// Failures go to stderr with the command and the tail of its log.
public final class HumanReporter: BuildObserver {
    let out: OutputStream
    let err: OutputStream
    let verbose: Bool
    let statusLine: Bool
    var dryRun = false
    let line: StatusLine
    /// The rules running now, in the order they started, for the status line.
    var running: [String] = []

    /// Where running rules report their progress: the status line, on a terminal only.
    public var progressSink: (any ProgressSink)? { statusLine ? line : nil }

    public init(out: OutputStream = .standardOutput, err: OutputStream = .standardError, verbose: Bool) {
        self.out = out
        self.err = err
        self.verbose = verbose
        self.statusLine = out.isTerminal
        self.line = StatusLine(out: out)
    }

    public func buildStarted(total: Int, dryRun: Bool) { self.dryRun = dryRun }

    public func warning(_ message: String) {
        clearStatus()
        err.write("job: warning: \(message)\n")
    }

    public func instanceStarted(_ name: String, description: String?, completed: Int, total: Int) {
        guard statusLine else { return }
        running.append(name)
        line.show(counter: "[\(completed)/\(total)]", name: runningText(latest: description ?? name))
    }

    /// `name`, or `name (+2 more running)`: what the terminal shows while rules run.
    func runningText(latest: String) -> String {
        running.count > 1 ? "\(latest) (+\(running.count - 1) more running)" : latest
    }

    func clearStatus() { line.clear() }

    public func instanceFinished(_ r: InstanceReport, completed: Int, total: Int) {
        if let k = running.firstIndex(of: r.name) { running.remove(at: k) }
        if dryRun {
            switch r.status {
            case .built:
                out.write("would run \(r.name): \(r.reason)\n")
                for c in r.commands { out.write("  " + c.replacingAll("\n", with: "\n  ") + "\n") }
            case .restored: out.write("would restore \(r.name) from the cache: \(r.reason)\n")
            case .skipped: if verbose { out.write("up to date: \(r.name)\n") }
            case .failed, .blocked, .fallback: break
            }
            return
        }
        switch r.status {
        case .skipped:
            if verbose { clearStatus(); out.write("[\(completed)/\(total)] up to date \(r.name)\n") }
        case .built, .restored:
            if statusLine {
                line.show(counter: "[\(completed)/\(total)]", name: r.name)
                if verbose { out.write("\n"); line.clear() }
            } else {
                let verb = r.status == .built ? "built" : "restored"
                out.write("[\(completed)/\(total)] \(verb) \(r.name) (\(JSONText.seconds(r.durationSeconds))s)\n")
            }
        case .failed:
            clearStatus()
            var text = "job: rule '\(r.name)' failed: \(r.failure ?? "unknown error")\n"
            for c in r.commands { text += "  command: \(c)\n" }
            if let log = r.logPath {
                text += "  log: \(log)\n"
                let tail = Self.lastLines(FileOperations.tail(log, maxBytes: 4096), count: 15)
                if !tail.isEmpty {
                    text += "  last lines of its output:\n" + tail.map { "    " + $0 }.joined(separator: "\n") + "\n"
                }
            }
            err.write(text)
        case .fallback:
            clearStatus()
            out.write("[\(completed)/\(total)] fallback \(r.name) (\(JSONText.seconds(r.durationSeconds))s)\n")
        case .blocked:
            if verbose { clearStatus(); out.write("[\(completed)/\(total)] not run \(r.name)\n") }
        }
    }

    public func buildFinished(_ s: BuildSummary) {
        clearStatus()
        if dryRun {
            out.write("\(s.built) to run, \(s.restored) to restore, \(s.skipped) up to date\n")
            return
        }
        if s.interrupted { err.write("job: interrupted\n") }
        if s.failed > 0 {
            err.write("job: \(s.failed) failed, \(s.built) built, \(s.restored) restored, \(s.skipped) up to date, \(s.blocked) not run\n")
        } else if s.built + s.restored + s.fallback == 0 && !s.interrupted {
            out.write("job: nothing to do\n")
        } else if !s.interrupted {
            let fallbacks = s.fallback > 0 ? ", \(s.fallback) from fallbacks" : ""
            out.write("job: \(s.built) built, \(s.restored) restored\(fallbacks), \(s.skipped) up to date in \(JSONText.seconds(s.durationSeconds))s\n")
        }
    }

    static func lastLines(_ text: String, count: Int) -> [String] {
        Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            .drop { $0.isEmpty }.suffix(count + 1)).filter { !$0.isEmpty }.suffix(count)
    }
}
