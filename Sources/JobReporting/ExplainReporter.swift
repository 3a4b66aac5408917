import JobEngine

/// `job explain`: every instance the target needs, with the decision and its reason.
public final class ExplainReporter: BuildObserver {
    let out: OutputStream
    public init(out: OutputStream = .standardOutput) { self.out = out }

    public func buildStarted(total: Int, dryRun: Bool) {}
    public func instanceStarted(_ name: String, description: String?, completed: Int, total: Int) {}

    public func instanceFinished(_ r: InstanceReport, completed: Int, total: Int) {
        switch r.status {
        case .skipped: out.write("\(r.name): up to date\n")
        case .restored: out.write("\(r.name): would be restored from the cache (\(r.reason))\n")
        case .built: out.write("\(r.name): would run (\(r.reason))\n")
        case .failed: out.write("\(r.name): cannot tell: \(r.failure ?? "error")\n")
        case .blocked: out.write("\(r.name): not reached (\(r.reason))\n")
        case .fallback: out.write("\(r.name): would use its fallback\n")
        }
    }

    public func buildFinished(_ summary: BuildSummary) {}
    public func warning(_ message: String) { OutputStream.standardError.write("job: warning: \(message)\n") }
}
