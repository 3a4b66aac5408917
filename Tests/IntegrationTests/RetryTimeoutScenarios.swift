import Foundation
import Testing

/// `retries:`, `retry_delay:` and `timeout:`.
@Suite struct RetryTimeoutScenarios {
    @Test func aFlakyRuleSucceedsOnRetryAndEachAttemptIsLogged() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              flaky:
                output: out.txt
                retries: 2
                retry_delay: 100ms
                run: n=$(cat count 2>/dev/null || echo 0); echo $((n+1)) > count; echo "try $n"; [ $n -ge 2 ] && echo ok > ${out}
            """)
        let r = try p.build()
        #expect(r.status == 0)
        #expect(r.instances("built") == ["flaky"])
        #expect(r.ruleEvents.first?["attempts"] as? Int == 3)
        #expect(p.read("count") == "3\n")
        let log = p.read("cache/logs/flaky.log") ?? ""
        #expect(log.contains("try 0") && log.contains("try 1") && log.contains("try 2"))
        #expect(log.contains("job: attempt 2 failed (exit status 1); next in 0.2 s"))
        #expect(log.contains("job: attempt 1 failed (exit status 1); next in 0.1 s"))
    }

    @Test func retriesRunOutAndTheRuleFails() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              broken:
                output: out.txt
                retries: 1
                retry_delay: 50ms
                run: echo attempt >> attempts; exit 4
            """)
        let r = try p.build()
        #expect(r.status == 1)
        #expect(r.ruleEvents.first?["attempts"] as? Int == 2)
        #expect(p.read("attempts") == "attempt\nattempt\n")
    }

    @Test(arguments: ["sleep 30 & echo $! > child.pid; wait", "trap '' TERM; sleep 30 & echo $! > child.pid; wait; wait"])
    func aRuleOverItsTimeoutIsEndedAndFails(command: String) throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              slow:
                output: out.txt
                timeout: 1s
                run: \(command)
            """)
        let started = Date()
        let r = try p.job(["build", "--json"])
        let took = Date().timeIntervalSince(started)
        #expect(r.status == 1)
        #expect(r.ruleEvents.first?["error"] as? String == "timed out after 1 s")
        #expect(took < 10, "took \(took) s")
        if let text = p.read("child.pid"), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            #expect(eventually(5) { kill(pid, 0) != 0 }, "the rule's process outlived its timeout")
        } else {
            Issue.record("the rule did not start")
        }
        #expect(!p.exists("out.txt"))
    }
}

extension RetryTimeoutScenarios {
    @Test func aFallbackMakesTheOutputAndTheNextBuildTriesAgain() throws {
        let p = try JobProject(jobfile: MediaFixtures.tinyPresetJobfile + """
              clip:
                output: out/clip.mp4
                inputs: [source.txt]
                run: grep -q good source.txt && cp good.mp4 ${out}
                fallback:
                  placeholder: {duration: 1.5, preset: tiny}
              copy:
                inputs: [out/clip.mp4]
                output: out/copy.mp4
                run: cp ${in} ${out}
            """, files: ["source.txt": "bad\n"])
        try MediaFixtures.clip(p.path("good.mp4"), seconds: 1, width: 160, height: 90)
        let r = try p.build()
        #expect(r.status == 0)
        #expect(r.instances("fallback") == ["clip"])
        #expect(r.instances("built") == ["copy"])
        #expect(r.summary?["fallback"] as? Int == 1)
        #expect(abs((Double(try MediaFixtures.probe(p.path("out/clip.mp4"), "format=duration")) ?? 0) - 1.5) < 0.1)
        #expect(try MediaFixtures.probe(p.path("out/clip.mp4"), "stream=width", stream: "v:0") == "160")
        // Never up to date: the next build tries the recipe again (and falls back again).
        let strict = try p.build(["--strict"])
        #expect(strict.status == 1)
        #expect(strict.instances("fallback") == ["clip"])
        // Once the recipe works, its output replaces the placeholder, and the dependent follows.
        try p.write("source.txt", "good\n")
        let fixed = try p.build()
        #expect(fixed.status == 0)
        #expect(fixed.instances("built") == ["clip", "copy"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: p.path("out/copy.mp4"))) == Data(contentsOf: URL(fileURLWithPath: p.path("good.mp4"))))
    }
}
