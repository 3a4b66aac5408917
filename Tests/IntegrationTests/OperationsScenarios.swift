import Foundation
import Testing

/// What a build leaves for operators: metrics, a trace, logs.
@Suite struct OperationsScenarios {
    static let jobfile = """
        version: 1
        rules:
          ok:
            foreach: {n: ["1", "2", "3"]}
            output: out/${n}.txt
            run: sleep 0.2; echo ${n} > ${out}
          flaky:
            output: out/flaky.txt
            retries: 1
            retry_delay: 50ms
            run: n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; echo "attempt $n"; [ $n -ge 1 ] && echo ok > ${out}
          slow:
            output: out/slow.txt
            timeout: 300ms
            run: sleep 5
          missing:
            output: out/missing.txt
            run: "true"
        """

    @Test func metricsAndTracePathsAreReadFromWhereJobStarted() throws {
        // `-C sub` moves job into the project; FILE stays relative to where it was started.
        let p = try JobProject(jobfile: "rules:\n  a:\n    output: x.txt\n    run: echo a > ${out}\n")
        try p.write("sub/Jobfile", "rules:\n  b:\n    output: y.txt\n    run: echo b > ${out}\n")
        let r = try p.job(["build", "-C", "sub", "--metrics", "m.prom", "--trace", "t.json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(p.read("sub/y.txt") == "b\n")
        #expect(p.read("m.prom")?.contains("job_cache_misses_total 1") == true)
        #expect(p.read("t.json") != nil)
        #expect(p.read("sub/m.prom") == nil)
    }

    @Test func metricsTraceAndLogsDescribeTheBuild() throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let r = try p.job(["build", "-k", "-j", "2", "--metrics", "build.prom", "--trace", "trace.json"])
        #expect(r.status == 1)

        let metrics = p.read("build.prom") ?? ""
        func value(_ series: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
        }
        #expect(value("job_rule_failures_total{rule=\"slow\",reason=\"timeout\"}") == 1)
        #expect(value("job_rule_failures_total{rule=\"missing\",reason=\"missing_output\"}") == 1)
        #expect(value("job_rule_retries_total{rule=\"flaky\"}") == 1)
        #expect(value("job_rule_duration_seconds_count{rule=\"ok\",status=\"built\"}") == 3)
        #expect(value("job_rule_duration_seconds_bucket{rule=\"ok\",status=\"built\",le=\"+Inf\"}") == 3)
        #expect(value("job_rule_duration_seconds_bucket{rule=\"ok\",status=\"built\",le=\"0.1\"}") == 0)
        #expect(value("job_cache_misses_total") == 6)
        #expect(value("job_cache_hits_total") == 0)
        #expect(value("job_build_peak_concurrency") == 2)
        #expect(metrics.contains("# TYPE job_rule_duration_seconds histogram"))

        let trace = try JSONSerialization.jsonObject(with: Data((p.read("trace.json") ?? "").utf8)) as? [String: Any]
        let events = trace?["traceEvents"] as? [[String: Any]] ?? []
        #expect(events.count == 6)
        #expect(Set(events.compactMap { $0["tid"] as? Int }) == [1, 2])
        #expect(events.allSatisfy { $0["ph"] as? String == "X" && ($0["dur"] as? Int ?? 0) > 0 })
        let slow = events.first { $0["name"] as? String == "slow" }
        #expect((slow?["args"] as? [String: Any])?["error"] as? String == "timed out after 0.3 s")
        // Two slots never run two rules at once: the events of one lane do not overlap.
        for lane in [1, 2] {
            let spans = events.filter { $0["tid"] as? Int == lane }
                .map { (($0["ts"] as? Int) ?? 0, (($0["ts"] as? Int) ?? 0) + (($0["dur"] as? Int) ?? 0)) }.sorted { $0.0 < $1.0 }
            for (a, b) in zip(spans, spans.dropFirst()) { #expect(a.1 <= b.0 + 1000) }
        }

        let log = try p.job(["log", "flaky"])
        #expect(log.stdout.contains("attempt 0") && log.stdout.contains("attempt 1"))
        #expect(log.stdout.contains("job: attempt 2 of 2"))
        // Silent runs leave no log file.
        let none = try p.job(["log", "ok"])
        #expect(none.stdout.isEmpty)
        #expect(none.stderr.contains("no log for 'ok' (it has not run, or its last run printed nothing)"))
        #expect(!p.exists("cache/logs/ok_n_1_.log"))
    }
}
