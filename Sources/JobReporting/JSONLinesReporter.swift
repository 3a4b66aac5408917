import JobEngine

/// `--json`: one JSON object per line on stdout, as the contract says:
/// a `rule` event for every instance in the requested graph, then a `summary`.
public final class JSONLinesReporter: BuildObserver {
    let out: OutputStream
    public init(out: OutputStream = .standardOutput, err: OutputStream = .standardError) {
        self.out = out
        self.err = err
    }

    var dryRun = false
    let err: OutputStream

    public func buildStarted(total: Int, dryRun: Bool) { self.dryRun = dryRun }

    public func warning(_ message: String) { err.write("job: warning: \(message)\n") }
    public func instanceStarted(_ name: String, description: String?, completed: Int, total: Int) {}

    public func instanceFinished(_ r: InstanceReport, completed: Int, total: Int) {
        var pairs: [(String, String)] = [
            ("event", JSONText.string("rule")),
            ("rule", JSONText.string(r.rule)),
            ("instance", JSONText.string(r.name)),
            ("outputs", JSONText.array(r.outputs)),
            ("status", JSONText.string(r.status.rawValue)),
            ("duration_s", JSONText.seconds(r.durationSeconds)),
        ]
        if r.status != .skipped { pairs.append(("reason", JSONText.string(r.reason.description))) }
        if dryRun { pairs.append(("dry_run", "true")) }
        if r.attempts > 1 { pairs.append(("attempts", String(r.attempts))) }
        if let kind = r.failureKind, r.status == .failed { pairs.append(("failure", JSONText.string(kind.rawValue))) }
        if let f = r.failure { pairs.append(("error", JSONText.string(f))) }
        if let l = r.logPath { pairs.append(("log", JSONText.string(l))) }
        out.write(JSONText.object(pairs) + "\n")
    }

    public func buildFinished(_ s: BuildSummary) {
        var pairs: [(String, String)] = [
            ("event", JSONText.string("summary")),
            ("built", String(s.built)), ("skipped", String(s.skipped)),
            ("restored", String(s.restored)), ("failed", String(s.failed)),
            ("duration_s", JSONText.seconds(s.durationSeconds)),
        ]
        pairs.append(("blocked", String(s.blocked)))
        if s.fallback > 0 { pairs.append(("fallback", String(s.fallback))) }
        if s.interrupted { pairs.append(("interrupted", "true")) }
        if s.dryRun { pairs.append(("dry_run", "true")) }
        out.write(JSONText.object(pairs) + "\n")
    }
}
