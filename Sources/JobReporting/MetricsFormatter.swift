import JobBasics
import JobEngine

/// `--metrics FILE`: the build in Prometheus' text exposition format, for node_exporter's
/// textfile collector or a Pushgateway. Written by hand: a handful of series, no server.
public enum MetricsFormatter {
    /// Upper bounds of the duration histogram, in seconds.
    static let buckets: [Double] = [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800]

    public static func text(_ reports: [InstanceReport], summary: BuildSummary) -> String {
        var out = ""
        out += header("job_rule_duration_seconds", "Time each rule instance took to run or restore.", "histogram")
        struct Key: Hashable { var rule: String; var status: String }
        var groups: [Key: [Double]] = [:]
        for r in reports where r.status == .built || r.status == .restored || r.status == .failed || r.status == .fallback {
            groups[Key(rule: r.rule, status: r.status.rawValue), default: []].append(r.durationSeconds)
        }
        for key in groups.keys.sorted(by: { ($0.rule, $0.status) < ($1.rule, $1.status) }) {
            let values = groups[key]!
            let labels = "rule=\(quoted(key.rule)),status=\(quoted(key.status))"
            for bound in buckets {
                out += "job_rule_duration_seconds_bucket{\(labels),le=\"\(number(bound))\"} \(values.filter { $0 <= bound }.count)\n"
            }
            out += "job_rule_duration_seconds_bucket{\(labels),le=\"+Inf\"} \(values.count)\n"
            out += "job_rule_duration_seconds_sum{\(labels)} \(number(values.reduce(0, +)))\n"
            out += "job_rule_duration_seconds_count{\(labels)} \(values.count)\n"
        }
        out += header("job_rule_failures_total", "Rule instances that failed, by reason.", "counter")
        var failures: [String: Int] = [:]
        for r in reports where r.status == .failed {
            failures["rule=\(quoted(r.rule)),reason=\(quoted((r.failureKind ?? .job).rawValue))", default: 0] += 1
        }
        for (labels, n) in failures.sorted(by: { $0.key < $1.key }) { out += "job_rule_failures_total{\(labels)} \(n)\n" }
        out += header("job_rule_retries_total", "Attempts beyond the first, by rule.", "counter")
        var retries: [String: Int] = [:]
        for r in reports where r.attempts > 1 { retries[r.rule, default: 0] += r.attempts - 1 }
        for (rule, n) in retries.sorted(by: { $0.key < $1.key }) { out += "job_rule_retries_total{rule=\(quoted(rule))} \(n)\n" }
        out += header("job_cache_hits_total", "Instances that needed no run: up to date, or restored from the store.", "counter")
        out += "job_cache_hits_total \(summary.skipped + summary.restored)\n"
        out += header("job_cache_misses_total", "Instances that had to run.", "counter")
        out += "job_cache_misses_total \(summary.built + summary.failed)\n"
        out += header("job_build_peak_concurrency", "The most rules that ran at once.", "gauge")
        out += "job_build_peak_concurrency \(summary.peakConcurrency)\n"
        return out
    }

    /// The `# HELP` and `# TYPE` lines that open a metric family.
    static func header(_ name: String, _ help: String, _ type: String) -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: "\\n") + "\""
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
}
