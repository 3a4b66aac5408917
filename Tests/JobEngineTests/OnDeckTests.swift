import Foundation
import JobBasics
import JobTestSupport
@testable import JobEngine
import Synchronization
import Testing

/// The instance on deck: taken by the thread of a run that ended well, in priority order,
/// unless settling that run may make something more urgent ready; and what the build loop
/// hears of it.
@Suite struct OnDeckTests {
    let dir: TemporaryDirectory
    let executor: Executor

    init() throws {
        dir = try TemporaryDirectory()
        executor = realExecutor(in: dir)
    }

    /// A job writing `name.txt` with `script` (`OUT` is its temporary name), its output going to
    /// `spool`.
    func job(_ name: String, _ script: String, spool: String = "") -> ExecutionJob {
        ExecutionJob(index: 0, name: name, outputs: [dir.file(name + ".txt")], work: .run([shellCommand(script)]),
                     environment: [:], logPath: dir.file(name + ".log"), spoolPath: spool,
                     scratchDirectory: dir.file("scratch/" + name), inputDigests: [:])
    }

    func entry(_ index: Int, priority: Double, _ job: ExecutionJob, dependentsPriority: Double = -.infinity) throws -> OnDeck.Entry {
        OnDeck.Entry(index: index, priority: priority, job: job, temporaries: try executor.prepareTemporaries(job),
                     run: DirectRun(), dependentsPriority: dependentsPriority)
    }

    /// The events the loop would get, until `count` of them came (or 20 s passed).
    func events(_ queue: CompletionQueue<BuildLoopEvent>, _ count: Int) async -> [(index: Int, result: ExecutionResult, next: Int?)] {
        var got: [(Int, ExecutionResult, Int?)] = []
        while got.count < count {
            let event = await withTaskGroup(of: BuildLoopEvent?.self) { group in
                // Cancelled, the wait ends with a `.timer`, which no run reports.
                group.addTask { await queue.next(onCancel: { queue.push(.timer) }) }
                group.addTask { try? await Task.sleep(for: .seconds(20)); return nil }
                let first = await group.next()!
                group.cancelAll()
                return first
            }
            guard case .job(let i, let result, _, let next)? = event else { break }
            got.append((i, result, next?.index))
        }
        return got
    }

    @Test func aThreadTakesTheMostUrgentUnlessItsOwnDependentsMayComeFirst() throws {
        defer { dir.remove() }
        let deck = OnDeck()
        deck.put(try entry(1, priority: 5, job("a", "true")))
        deck.put(try entry(2, priority: 3, job("b", "true")))
        deck.put(try entry(3, priority: 2, job("c", "true")))
        // A dependent as urgent as the first on deck: the loop must choose.
        #expect(deck.take(after: 5) == nil)
        // Every entry left is more urgent than the dependents: the loop may sleep on.
        let first = try #require(deck.take(after: 1))
        #expect(first.entry.index == 1)
        #expect(!first.wakeLoop)
        // A dependent more urgent than an entry left: the loop must hear of it now.
        let second = try #require(deck.take(after: 2.5))
        #expect(second.entry.index == 2)
        #expect(second.wakeLoop)
        #expect(deck.take(after: 2) == nil)
        #expect(deck.withdrawAll().map(\.index) == [3])
        #expect(deck.withdrawFirst() == nil)
        // The last one taken always wakes the loop: it must refill the deck.
        deck.put(try entry(4, priority: 2, job("d", "true")))
        #expect(try #require(deck.take(after: 1)).wakeLoop)
    }

    @Test func aRunThatEndsWellStartsTheNextInItsSlotAndTellsTheLoopFirst() async throws {
        defer { dir.remove() }
        let deck = OnDeck()
        let queue = CompletionQueue<BuildLoopEvent>()
        let end = DirectRunEnd(onDeck: deck, events: queue, executor: executor)
        let spool = dir.file("slot-0.log")
        deck.put(try entry(2, priority: 1, job("b", "printf B > OUT; echo said-b")))
        let a = job("a", "printf A > OUT; echo said-a", spool: spool)
        _ = executor.startDirectly(a, done: end.callback(for: 1, dependentsPriority: 0, spoolPath: spool))
        let got = await events(queue, 2)
        try #require(got.count == 2)
        #expect(got[0].index == 1 && got[0].next == 2)
        #expect(got[1].index == 2 && got[1].next == nil)
        guard case .prepared(let temporaries, _, _) = got[1].result else { Issue.record("\(got[1].result)"); return }
        #expect(try FileOperations.readFile(temporaries[0]) == Array("B".utf8))
        // Each kept its own log, though both wrote to the slot's spool.
        #expect(try FileOperations.readFile(dir.file("a.log")) == Array("said-a\n".utf8))
        #expect(try FileOperations.readFile(dir.file("b.log")) == Array("said-b\n".utf8))
        #expect(deck.withdrawAll().isEmpty)
    }

    @Test func aFailedRunOrAnUrgentDependentLeavesTheDeckToTheLoop() async throws {
        defer { dir.remove() }
        let deck = OnDeck()
        let queue = CompletionQueue<BuildLoopEvent>()
        let end = DirectRunEnd(onDeck: deck, events: queue, executor: executor)
        deck.put(try entry(3, priority: 2, job("c", "printf C > OUT")))
        let spool = dir.file("slot-0.log")
        _ = executor.startDirectly(job("a", "exit 4", spool: spool), done: end.callback(for: 1, dependentsPriority: 0, spoolPath: spool))
        _ = executor.startDirectly(job("b", "printf B > OUT", spool: dir.file("slot-1.log")),
                                   done: end.callback(for: 2, dependentsPriority: 2, spoolPath: dir.file("slot-1.log")))
        let got = await events(queue, 2)
        try #require(got.count == 2)
        #expect(got.allSatisfy { $0.next == nil })
        #expect(Set(got.map(\.index)) == [1, 2])
        #expect(deck.withdrawAll().map(\.index) == [3])
    }

    @Test func anEntryCancelledOnDeckNeverStartsAndKeepsItsLastLog() async throws {
        defer { dir.remove() }
        let deck = OnDeck()
        let queue = CompletionQueue<BuildLoopEvent>()
        let end = DirectRunEnd(onDeck: deck, events: queue, executor: executor)
        try FileOperations.writeFile(dir.file("b.log"), Array("last run\n".utf8))
        let b = try entry(2, priority: 1, job("b", "printf B > OUT; touch \(dir.file("b-ran"))"))
        deck.put(b)
        b.run.cancel()
        let spool = dir.file("slot-0.log")
        _ = executor.startDirectly(job("a", "printf A > OUT", spool: spool), done: end.callback(for: 1, dependentsPriority: 0, spoolPath: spool))
        let got = await events(queue, 2)
        try #require(got.count == 2)
        #expect(got[0].next == 2)
        guard case .interrupted = got[1].result else { Issue.record("\(got[1].result)"); return }
        #expect(!FileOperations.exists(dir.file("b-ran")))
        #expect(try FileOperations.readFile(dir.file("b.log")) == Array("last run\n".utf8))
    }

    @Test func anItemPushedWithoutWakeWaitsForTheNextWake() async throws {
        let queue = CompletionQueue<Int>()
        let received = Mutex<[Int]>([])
        let consumer = Task {
            for _ in 0..<2 {
                let item = await queue.next(onCancel: {})
                received.withLock { $0.append(item) }
            }
        }
        let deadline = Date().addingTimeInterval(10)
        while !queue.isWaiting && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try #require(queue.isWaiting)
        queue.push(1, wake: false)
        try await Task.sleep(for: .milliseconds(100))
        #expect(received.withLock { $0 }.isEmpty)
        queue.push(2)
        await consumer.value
        #expect(received.withLock { $0 } == [1, 2])
    }
}

/// Builds with real processes, where instances go on deck: in the same suite as the other
/// builds, which change the working directory one at a time.
extension SchedulerTests {
    /// Builds `yaml` in a new workspace with real processes; returns the builder, the summary,
    /// the observer and the order in which commands ran (each appends its rule's name to `order`).
    func buildForReal(_ yaml: String, options: BuildOptions, in workspace: Workspace? = nil,
                      observer: CollectingObserver = CollectingObserver()) async throws
        -> (builder: Builder, summary: BuildSummary, observer: CollectingObserver, order: [String], root: String) {
        let w = try workspace ?? Workspace()
        let graph = try w.graph(yaml)
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(w.root)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let builder = Builder(graph: graph, rootDirectory: w.root, cache: CacheDirectory(path: "cache"),
                              options: options, runner: SystemProcessRunner(), observer: observer)
        let summary = try await builder.build(targets: try graph.resolveTargets([]))
        let order = ((try? String(contentsOfFile: w.root + "/order", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        return (builder, summary, observer, order, w.root)
    }

    /// A rule that appends its name to `order` and writes it to its output (or fails).
    func orderedRule(_ name: String, inputs: [String] = [], fails: Bool = false) -> String {
        var s = "  \(name):\n    output: out/\(name).txt\n    run: echo \(name) >> order; " + (fails ? "exit 1" : "printf \(name) > ${out}") + "\n"
        if !inputs.isEmpty { s += "    inputs: [\(inputs.map { "out/\($0).txt" }.joined(separator: ", "))]\n" }
        return s
    }

    @Test func slotsStartTheInstancesOnDeckAndEveryOutputIsRight() async throws {
        let names = (1...12).map { "r\($0)" }
        let (builder, summary, _, order, root) = try await buildForReal("version: 1\nrules:\n" + names.map { orderedRule($0) }.joined(),
                                                                        options: BuildOptions(jobs: 2))
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(summary.built == 12)
        #expect(summary.peakConcurrency == 2)
        #expect(builder.handovers > 0)
        #expect(Set(order) == Set(names))
        for name in names { #expect(try String(contentsOfFile: root + "/out/\(name).txt", encoding: .utf8) == name) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/out").allSatisfy { !$0.hasPrefix(".job-tmp.") })
    }

    @Test func withRealProcessesTheLongestPathStillStartsFirst() async throws {
        // As in longestPathStartsFirst, but with instances on deck: b waits on deck while a1 and
        // a2 run, since each of them may make ready one more urgent.
        let yaml = "version: 1\nrules:\n" + orderedRule("b") + orderedRule("a1") + orderedRule("a2", inputs: ["a1"])
            + orderedRule("a3", inputs: ["a2"])
        let (_, summary, _, order, root) = try await buildForReal(yaml, options: BuildOptions(jobs: 1))
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(summary.built == 4)
        #expect(order == ["a1", "a2", "b", "a3"])
    }

    @Test func aFailureStopsTheBuildThoughOthersWaitedOnDeck() async throws {
        let yaml = "version: 1\nrules:\n" + orderedRule("bad", fails: true) + (1...4).map { orderedRule("r\($0)") }.joined()
        let (_, summary, observer, order, root) = try await buildForReal(yaml, options: BuildOptions(jobs: 1))
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(order == ["bad"])
        #expect(summary.failed == 1)
        #expect(summary.blocked == 4)
        #expect((1...4).allSatisfy { observer.status("r\($0)") == .blocked })
    }

    @Test func anInstanceStartsAsSoonAsItIsJudgedNotAfterAllAre() async throws {
        // Second build: `a` (recorded as slow, so judged first) must run again, `c` (after `d`)
        // is up to date. `a` starts before `c` is judged and reported up to date.
        let w = try Workspace()
        defer { w.remove() }
        try FileManager.default.createDirectory(atPath: w.root + "/in", withIntermediateDirectories: true)
        try "1".write(toFile: w.root + "/in/a.txt", atomically: true, encoding: .utf8)
        let yaml = """
            version: 1
            rules:
              a:
                inputs: [in/a.txt]
                output: out/a.txt
                run: sleep 0.3; cp in/a.txt ${out}
              d:
                output: out/d.txt
                run: printf d > ${out}
              c:
                inputs: [out/d.txt]
                output: out/c.txt
                run: cp out/d.txt ${out}

            """
        _ = try await buildForReal(yaml, options: BuildOptions(jobs: 1), in: w)
        try "2".write(toFile: w.root + "/in/a.txt", atomically: true, encoding: .utf8)
        let events = EventOrderObserver()
        let (_, summary, _, _, _) = try await buildForReal(yaml, options: BuildOptions(jobs: 1), in: w, observer: events)
        #expect(summary.built == 1)
        #expect(summary.skipped == 2)
        let started = try #require(events.events.firstIndex(of: "started a"))
        let judged = try #require(events.events.firstIndex(of: "finished c"))
        #expect(started < judged, "\(events.events)")
    }
}

/// Records the order of starts and ends.
final class EventOrderObserver: CollectingObserver {
    var events: [String] = []
    override func instanceStarted(_ name: String, description: String?, completed: Int, total: Int) {
        events.append("started " + name)
    }
    override func instanceFinished(_ report: InstanceReport, completed: Int, total: Int) {
        super.instanceFinished(report, completed: completed, total: total)
        events.append("finished " + report.name)
    }
}
