import Foundation
import JobBasics
@testable import JobEngine
import JobfileModel
import JobGraph
@testable import JobState
import Synchronization
import Testing

/// A process runner under the test's control: it "runs" `[make-output, PATH, NAME]` by writing
/// PATH after a short pause, and records the order of starts and the peak concurrency.
final class RecordingRunner: ProcessRunner {
    struct Record { var started: [String] = []; var running = 0; var peak = 0; var peakByPool: [String: Int] = [:] }
    let record = Mutex(Record())
    let failing: Set<String>
    let pause: Duration

    init(failing: Set<String> = [], pause: Duration = .milliseconds(40)) {
        self.failing = failing
        self.pause = pause
    }

    func run(_ spec: ProcessSpec, output: Int32, error: Int32) async throws -> ProcessOutcome {
        let path = spec.argv[1], name = spec.argv[2]
        record.withLock {
            $0.started.append(name)
            $0.running += 1
            $0.peak = max($0.peak, $0.running)
        }
        try await Task.sleep(for: pause)
        record.withLock { $0.running -= 1 }
        if failing.contains(name) { return .exited(1) }
        // Any further arguments are more outputs.
        for output in [path] + spec.argv.dropFirst(3) { try Data(name.utf8).write(to: URL(fileURLWithPath: output)) }
        return .exited(0)
    }
}

class CollectingObserver: BuildObserver {
    var reports: [InstanceReport] = []
    func buildStarted(total: Int, dryRun: Bool) {}
    func instanceStarted(_ name: String, description: String?, completed: Int, total: Int) {}
    func instanceFinished(_ report: InstanceReport, completed: Int, total: Int) { reports.append(report) }
    func buildFinished(_ summary: BuildSummary) {}
    func warning(_ message: String) {}
    func status(_ name: String) -> InstanceStatus? { reports.first { $0.name == name }?.status }
}

/// A temporary project directory that is the working directory while a test builds in it.
/// Tests in this suite run one at a time because they change the working directory.
struct Workspace {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "job-engine-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func graph(_ yaml: String) throws -> BuildGraph {
        try BuildGraph(JobfileLoader(displayName: "Jobfile", text: yaml, rootDirectory: root).load())
    }

    func build(_ graph: BuildGraph, runner: RecordingRunner, options: BuildOptions,
               observer: CollectingObserver = CollectingObserver()) async throws -> (BuildSummary, CollectingObserver) {
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(root)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let builder = Builder(graph: graph, rootDirectory: root, cache: CacheDirectory(path: "cache"),
                              options: options, runner: runner, observer: observer)
        let summary = try await builder.build(targets: try graph.resolveTargets([]))
        return (summary, observer)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

func rule(_ name: String, inputs: [String] = [], pool: String? = nil) -> String {
    var s = "  \(name):\n    output: out/\(name).txt\n    run: [make-output, \"${out}\", \(name)]\n"
    if !inputs.isEmpty { s += "    inputs: [\(inputs.map { "out/\($0).txt" }.joined(separator: ", "))]\n" }
    if let pool { s += "    pool: \(pool)\n" }
    return s
}

@Suite(.serialized) struct SchedulerTests {
    @Test func neverRunsMoreThanJobsAtOnce() async throws {
        let w = try Workspace()
        defer { w.remove() }
        let g = try w.graph("version: 1\nrules:\n" + (1...6).map { rule("r\($0)") }.joined())
        let runner = RecordingRunner()
        let (summary, _) = try await w.build(g, runner: runner, options: BuildOptions(jobs: 2))
        #expect(summary.built == 6)
        #expect(runner.record.withLock { $0.peak } == 2)
    }

    @Test func poolLimitHoldsUnderAHigherJobCount() async throws {
        let w = try Workspace()
        defer { w.remove() }
        let g = try w.graph("version: 1\npools:\n  tts: 1\nrules:\n"
                            + (1...3).map { rule("t\($0)", pool: "tts") }.joined())
        let runner = RecordingRunner()
        let (summary, _) = try await w.build(g, runner: runner, options: BuildOptions(jobs: 4))
        #expect(summary.built == 3)
        #expect(runner.record.withLock { $0.peak } == 1)
    }

    @Test func aBatchOfFinishedInstancesSaysWhenCommittingItMakesADependentReady() throws {
        // c needs a and b; d needs c. Committing a alone readies nothing; a and b ready c.
        let w = try Workspace()
        defer { w.remove() }
        let g = try w.graph("version: 1\nrules:\n" + rule("a") + rule("b") + rule("c", inputs: ["a", "b"])
                            + rule("d", inputs: ["c"]) + rule("e"))
        let state = try StateDatabase(path: w.root + "/state.db")
        let run = SchedulerState(graph: g, closure: g.order, state: state)
        let index = Dictionary(uniqueKeysWithValues: g.instances.enumerated().map { ($1.name, $0) })
        let zero = ContentDigest(high: 0, low: 0)
        let material = ActionKeyMaterial(recipeKind: "run", commands: [], parameters: "", environment: [], outputs: [],
                                         inputs: [], tools: [])
        func entry(_ name: String) -> CommitBatch.Entry {
            CommitBatch.Entry(index: index[name]!, decision: Decision(action: .run, reason: .neverBuilt, material: material, key: zero),
                              temporaries: [], record: RuleRecord(key: zero, outputs: [], durationSeconds: 0,
                                                                  recipeDigest: zero, inputs: []),
                              reportDuration: 0, attempts: 1, restored: false)
        }
        var batch = CommitBatch()
        #expect(batch.isEmpty && !batch.unlocks)
        batch.add(entry("a"), scheduler: run)
        #expect(!batch.unlocks, "c still needs b")
        batch.add(entry("e"), scheduler: run)
        #expect(!batch.unlocks, "e has no dependents")
        batch.add(entry("b"), scheduler: run)
        #expect(batch.unlocks, "a and b together ready c")
        #expect(batch.take().map { g.instances[$0.index].name } == ["a", "e", "b"])
        #expect(batch.isEmpty && !batch.unlocks)
        batch.add(entry("b"), scheduler: run)
        #expect(!batch.unlocks, "a is not in this batch")
        #expect(!batch.isFull)
        for _ in 1..<CommitBatch.limit { batch.add(entry("e"), scheduler: run) }
        #expect(batch.isFull)
    }

    @Test func theKeyMadeWithoutMaterialIsTheMaterialsAndJudgesANoOpUpToDate() async throws {
        // `upToDateAtStart` makes keys without their material; a key made differently would
        // leave every instance to `decide`, which no other test would notice.
        let w = try Workspace()
        defer { w.remove() }
        try Data("s".utf8).write(to: URL(fileURLWithPath: w.root + "/src.txt"))
        let g = try w.graph("""
            version: 1
            rules:
              a:
                inputs: [src.txt]
                output: out/a.txt
                env: {B: "2", A: "1"}
                run: [make-output, "${out}", a]
              b:
                inputs: [src.txt, out/a.txt]
                output: out/b.txt
                run: [make-output, "${out}", b]
              c:
                inputs: [src.txt]
                output: out/c.txt
                run: [make-output, "${out}", "c d"]
            """)
        let (summary, _) = try await w.build(g, runner: RecordingRunner(pause: .zero), options: BuildOptions(jobs: 2))
        #expect(summary.built == 3)
        // Files written within the last 50 ms are not vouched for; a later no-op records them.
        try await Task.sleep(for: .milliseconds(120))
        let (again, _) = try await w.build(g, runner: RecordingRunner(pause: .zero), options: BuildOptions(jobs: 2))
        #expect(again.skipped == 3)
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(w.root)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let cache = CacheDirectory(path: "cache")
        let state = try StateDatabase(path: cache.database)
        let sources = try SourceFiles(graph: g, instances: g.order, rootDirectory: w.root)
        let judge = DecisionMaker(graph: g, state: state, digests: FileDigests(state: state),
                                  store: LocalContentStore(directory: cache.store), sources: sources, tools: [:],
                                  outputStatus: OutputStatuses.stat(graph: g, closure: g.order))
        let digest = try hashFile(atPath: "src.txt")
        for i in g.order {
            let inputs = g.instances[i].inputs.map { (path: $0, digest: digest) }
            #expect(judge.key(i, inputs: inputs) == judge.material(i, inputs: inputs).key)
        }
        // a and c read only sources: judged up to date at the start; b reads a's output.
        let atStart = judge.upToDateAtStart(g.order)
        #expect(g.order.filter { atStart.outputs[$0] != nil }.map { g.instances[$0].name }.sorted() == ["a", "c"])
        // src.txt, read by all three, is one source, vouched for by a (which reads it first).
        #expect(sources.files.map(\.path) == ["src.txt"])
        #expect(atStart.sourceDigests == [digest])
    }

    @Test func aManifestWrittenFromTheJudgementAtTheStartHoldsEachFilesStatusAndDigest() async throws {
        // The full path of a no-op writes the manifest from what the judgement at the start
        // vouched for (no table lookups): each entry must still be its file's.
        let w = try Workspace()
        defer { w.remove() }
        for name in ["s1", "s2", "shared"] {
            try Data("\(name) bytes".utf8).write(to: URL(fileURLWithPath: w.root + "/\(name).txt"))
        }
        let g = try w.graph("""
            version: 1
            rules:
              a:
                inputs: [shared.txt, s1.txt]
                output: out/a.txt
                run: [make-output, "${out}", a]
              b:
                inputs: [s2.txt, shared.txt]
                outputs: {first: out/b.txt, second: out/b2.txt}
                run: [make-output, "${out.first}", b, "${out.second}"]
              c:
                inputs: [out/a.txt, shared.txt]
                output: out/c.txt
                run: [make-output, "${out}", c]
            """)
        let options = BuildOptions(jobs: 2, upToDateKey: ContentDigest(high: 1, low: 2))
        #expect(try await w.build(g, runner: RecordingRunner(pause: .zero), options: options).0.built == 3)
        try await Task.sleep(for: .milliseconds(120))
        let manifest = w.root + "/cache/uptodate.bin"
        try FileManager.default.removeItem(atPath: manifest)
        #expect(try await w.build(g, runner: RecordingRunner(pause: .zero), options: options).0.skipped == 3)
        // Twice: the first full-path no-op found the files written by the build too recent to trust.
        try FileManager.default.removeItem(atPath: manifest)
        #expect(try await w.build(g, runner: RecordingRunner(pause: .zero), options: options).0.skipped == 3)

        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: manifest)))
        let layout = try #require(ManifestLayout(bytes))
        var files: [String: (status: FileStatus, digest: ContentDigest, trusted: Bool)] = [:]
        bytes.withUnsafeBytes { raw in
            for k in 0..<layout.entryCount {
                let e = layout.entryOffset(k)
                guard raw[e] == UpToDateManifest.Kind.file.rawValue else { continue }
                let words = (0..<7).map { layout.word(raw, e, $0) }
                files[layout.path(raw, entry: e)] = (
                    FileStatus(device: words[0], inode: words[1], size: Int64(bitPattern: words[2]),
                               mtimeNs: Int64(bitPattern: words[3]), ctimeNs: Int64(bitPattern: words[4])),
                    ContentDigest(high: words[5], low: words[6]), raw[e + 1] == 0)
            }
        }
        let expected = ["s1.txt", "s2.txt", "shared.txt", "out/a.txt", "out/b.txt", "out/b2.txt", "out/c.txt"]
        #expect(files.keys.sorted() == expected.sorted())
        for path in expected {
            let found = try #require(files[path])
            #expect(found.trusted, "\(path)")
            #expect(found.digest == (try hashFile(atPath: w.root + "/" + path)), "\(path)")
            #expect(found.status == FileStatus.of(w.root + "/" + path), "\(path)")
        }
    }

    @Test func longestPathStartsFirst() async throws {
        // chain a1 -> a2 -> a3 is longer than the lone b, so a1 starts first with -j1.
        let w = try Workspace()
        defer { w.remove() }
        let g = try w.graph("version: 1\nrules:\n" + rule("b") + rule("a1") + rule("a2", inputs: ["a1"]) + rule("a3", inputs: ["a2"]))
        let runner = RecordingRunner()
        _ = try await w.build(g, runner: runner, options: BuildOptions(jobs: 1))
        // a1 (path 3) beats b (path 1), then a2 (2) beats b; a3 and b tie at 1 and the one
        // written first in the Jobfile (b) goes first.
        #expect(runner.record.withLock { $0.started } == ["a1", "a2", "b", "a3"])
    }

    @Test func recordedDurationsDecideThePriority() async throws {
        // With b recorded as taking 10 s, b outranks the 3-step chain of 1 s steps.
        let w = try Workspace()
        defer { w.remove() }
        let g = try w.graph("version: 1\nrules:\n" + rule("a1") + rule("a2", inputs: ["a1"]) + rule("a3", inputs: ["a2"]) + rule("b"))
        try FileManager.default.createDirectory(atPath: w.root + "/cache", withIntermediateDirectories: true)
        let state = try StateDatabase(path: w.root + "/cache/state.db")
        let zero = ContentDigest(high: 0, low: 0)
        for (name, seconds) in [("a1", 1.0), ("a2", 1.0), ("a3", 1.0), ("b", 10.0)] {
            try state.recordRule(instance: name, RuleRecord(key: zero, outputs: [], durationSeconds: seconds,
                                                            recipeDigest: zero, inputs: []))
        }
        let runner = RecordingRunner()
        _ = try await w.build(g, runner: runner, options: BuildOptions(jobs: 1))
        #expect(runner.record.withLock { $0.started.first } == "b")
    }

    @Test func failureBlocksDependentsAndKeepGoingRunsTheRest() async throws {
        let w = try Workspace()
        defer { w.remove() }
        let g = try w.graph("version: 1\nrules:\n" + rule("bad") + rule("child", inputs: ["bad"]) + rule("other"))
        let runner = RecordingRunner(failing: ["bad"])
        let (summary, observer) = try await w.build(g, runner: runner, options: BuildOptions(jobs: 1, keepGoing: true))
        #expect(summary.failed == 1)
        #expect(observer.status("child") == .blocked)
        #expect(observer.status("other") == .built)
        #expect(!FileManager.default.fileExists(atPath: w.root + "/out/bad.txt"))
    }

    @Test func dryRunStartsNothing() async throws {
        let w = try Workspace()
        defer { w.remove() }
        let g = try w.graph("version: 1\nrules:\n" + rule("a") + rule("b", inputs: ["a"]))
        let runner = RecordingRunner()
        let (summary, observer) = try await w.build(g, runner: runner, options: BuildOptions(jobs: 2, dryRun: true))
        #expect(runner.record.withLock { $0.started }.isEmpty)
        #expect(summary.built == 2)
        #expect(observer.reports.first { $0.name == "b" }?.reason == .inputWillChange("out/a.txt"))
    }
}

/// Collects the progress that running rules report.
final class CollectingProgress: ProgressSink {
    let seen = Mutex<[String: [Double]]>([:])
    func progress(_ instance: String, fraction: Double) { seen.withLock { $0[instance, default: []].append(fraction) } }
}

extension SchedulerTests {
    @Test func anFFmpegStepReportsHowFarItGot() async throws {
        let w = try Workspace()
        defer { w.remove() }
        let clip = w.root + "/clip.mp4"
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        make.arguments = ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=15:duration=2",
                          "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", clip]
        try make.run()
        make.waitUntilExit()
        let g = try w.graph("""
            version: 1
            presets:
              tiny: {video: {width: 160, height: 90, fps: 15, speed: ultrafast}}
            rules:
              small:
                output: small.mp4
                encode: {input: clip.mp4, preset: tiny}
            """)
        let previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(w.root)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let progress = CollectingProgress()
        let builder = Builder(graph: g, rootDirectory: w.root, cache: CacheDirectory(path: "cache"),
                              options: BuildOptions(jobs: 1), runner: SystemProcessRunner(),
                              observer: CollectingObserver(), progress: progress)
        let summary = try await builder.build(targets: try g.resolveTargets([]))
        #expect(summary.built == 1)
        let fractions = progress.seen.withLock { $0["small"] ?? [] }
        #expect(!fractions.isEmpty)
        #expect(fractions.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(abs((fractions.last ?? 0) - 1) < 0.1, "the last report is the end: \(fractions)")
        #expect(!FileManager.default.fileExists(atPath: w.root + "/cache/tmp/small/progress.txt"))
    }
}
