import JobEngine

/// Passes every event on to another observer and keeps the reports, for what is written
/// after the build (metrics, the trace).
public final class BuildRecorder: BuildObserver {
    let inner: any BuildObserver
    /// Whether the reports are kept: only when something reads them (100,000 reports are
    /// 20 MB that a plain build has no use for).
    let keepsReports: Bool
    public private(set) var reports: [InstanceReport] = []
    public private(set) var summary = BuildSummary()

    public init(_ inner: any BuildObserver, keepsReports: Bool = true) {
        self.inner = inner
        self.keepsReports = keepsReports
    }

    public func buildStarted(total: Int, dryRun: Bool) { inner.buildStarted(total: total, dryRun: dryRun) }
    public func instanceStarted(_ name: String, description: String?, completed: Int, total: Int) {
        inner.instanceStarted(name, description: description, completed: completed, total: total)
    }
    public func instanceFinished(_ report: InstanceReport, completed: Int, total: Int) {
        if keepsReports { reports.append(report) }
        inner.instanceFinished(report, completed: completed, total: total)
    }
    public func buildFinished(_ summary: BuildSummary) {
        self.summary = summary
        inner.buildFinished(summary)
    }
    public func warning(_ message: String) { inner.warning(message) }
}
