import Foundation
import Testing

/// Killed builds: nothing partial is ever taken as up to date, nothing finished is redone.
@Suite struct CrashSafetyScenarios {
    /// Eight rules, each writing its output in two steps with pauses in between, and
    /// recording its process group so the test can end what a SIGKILLed job leaves running.
    static let jobfile = """
        version: 1
        rules:
          slow:
            foreach: {i: ["1", "2", "3", "4", "5", "6", "7", "8"]}
            output: out/${i}.txt
            run: mkdir -p pids; echo $$ > pids/${i}; echo part1 > ${out}; sleep 0.25; echo part2 >> ${out}
          total:
            inputs: ["${rules.slow}"]
            output: out/total.txt
            run: cat ${in} > ${out}
        """

    func builtInstances(_ jsonLines: String) -> Set<String> {
        var names = Set<String>()
        for line in jsonLines.split(separator: "\n") {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["status"] as? String == "built", let n = o["instance"] as? String else { continue }
            names.insert(n)
        }
        return names
    }

    @Test(arguments: [0.35, 0.6, 0.9])
    func sigkillThenResume(after delay: Double) throws {
        let p = try JobProject(jobfile: Self.jobfile)
        let running = try p.start(["build", "--json", "-j", "2"])
        usleep(useconds_t(delay * 1_000_000))
        kill(running.pid, SIGKILL)
        let killed = running.wait()
        #expect(killed.status != 0)
        // What job started keeps running in its own process groups: end it, as a reboot would.
        for pidFile in (try? FileManager.default.contentsOfDirectory(atPath: p.path("pids"))) ?? [] {
            if let text = p.read("pids/" + pidFile), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(-pid, SIGKILL)
            }
        }
        usleep(100_000)
        let finishedBefore = builtInstances(killed.stdout)
        // No declared output is partial.
        for i in 1...8 {
            if let text = p.read("out/\(i).txt") { #expect(text == "part1\npart2\n", "out/\(i).txt is partial") }
        }
        let resumed = try p.build(["-j", "2"])
        #expect(resumed.status == 0)
        let redone = Set(resumed.instances("built")).intersection(finishedBefore)
        #expect(redone.isEmpty, "finished rules were run again: \(redone)")
        for i in 1...8 { #expect(p.read("out/\(i).txt") == "part1\npart2\n") }
        #expect(p.read("out/total.txt") == String(repeating: "part1\npart2\n", count: 8))
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func signalEndsChildrenRemovesTemporariesAndExits130(signal: Int32) throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              long:
                output: out/long.txt
                run: echo $$ > shell.pid; echo partial > ${out}; sleep 30 & echo $! > sleep.pid; wait
            """)
        let running = try p.start(["build"])
        #expect(eventually { p.exists("sleep.pid") && p.read("sleep.pid")?.hasSuffix("\n") == true })
        let shellPid = Int32(p.read("shell.pid")!.trimmingCharacters(in: .whitespacesAndNewlines))!
        let sleepPid = Int32(p.read("sleep.pid")!.trimmingCharacters(in: .whitespacesAndNewlines))!
        kill(running.pid, signal)
        let r = running.wait()
        #expect(r.status == 130)
        #expect(eventually(5) { kill(sleepPid, 0) != 0 && kill(shellPid, 0) != 0 }, "the rule's processes survived")
        #expect(!p.exists("out/long.txt"))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: p.path("out"))) ?? []
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
        // And the next build runs it from scratch.
        try p.write("Jobfile", """
            version: 1
            rules:
              long:
                output: out/long.txt
                run: echo done > ${out}
            """)
        #expect(try p.build().instances("built") == ["long"])
    }
}

extension CrashSafetyScenarios {
    static let slowOnce = """
        version: 1
        rules:
          slow:
            output: out.txt
            run: echo run >> runs.log; sleep 1; echo done > ${out}
        """

    @Test func twoBuildsOfOneProjectTakeTurnsAndRunEachRuleOnce() throws {
        let p = try JobProject(jobfile: Self.slowOnce)
        let first = try p.start(["build"])
        #expect(eventually { p.exists("runs.log") })
        let second = try p.job(["build", "--json"])
        let firstResult = first.wait()
        #expect(firstResult.status == 0)
        #expect(second.status == 0)
        #expect(second.stderr.contains("waiting for another job build in this project (pid \(first.pid))"))
        #expect(second.instances("skipped") == ["slow"])
        #expect(p.read("runs.log") == "run\n")
    }

    @Test func aLockLeftByKill9IsTakenOver() throws {
        let p = try JobProject(jobfile: Self.slowOnce)
        let first = try p.start(["build"])
        #expect(eventually { p.exists("runs.log") })
        kill(first.pid, SIGKILL)
        _ = first.wait()
        let started = Date()
        let again = try p.build()
        #expect(again.status == 0)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(again.instances("built") == ["slow"])
    }
}
