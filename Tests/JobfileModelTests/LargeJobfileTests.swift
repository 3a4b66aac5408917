import JobBasics
@testable import JobfileModel
import Testing

/// Jobfiles big enough that expansion splits the rules and instances across the cores: the
/// result must be the one a single pass gives, in the same order, errors included.
@Suite("Large Jobfiles")
struct LargeJobfileTests {
    static let count = 6_000   // three chunks of the minimum size, on any machine with 2+ cores

    func jobfile(breaking broken: Set<Int> = []) -> String {
        var text = "version: 1\nrules:\n"
        for i in 0..<Self.count {
            let input = i == 0 ? "src.txt" : "out/\(i - 1).txt"
            // A broken rule names an unknown var in its recipe: an error of the second pass.
            let run = broken.contains(i) ? "cp ${in} ${out} ${nope\(i)}" : "cp ${in} ${out}"
            text += "  r\(i):\n    inputs: [\(input)]\n    output: out/\(i).txt\n    run: \(run)\n"
        }
        return text
    }

    @Test func instancesKeepTheirOrderAndEdges() throws {
        let jobfile = try load(jobfile())
        #expect(jobfile.instances.count == Self.count)
        #expect(jobfile.instances.map(\.name) == (0..<Self.count).map { "r\($0)" })
        #expect(jobfile.rules.map(\.instanceIndices) == (0..<Self.count).map { $0..<($0 + 1) })
        #expect(jobfile.instances[4_321].inputs == ["out/4320.txt"])
        #expect(jobfile.instances[5_999].outputs == ["out/5999.txt"])
    }

    @Test func errorsFromEveryChunkComeInFileOrder() throws {
        let broken: Set<Int> = [3, 2_500, 5_998]
        let found = errors(jobfile(breaking: broken))
        #expect(found.map(\.message) == broken.sorted().map { "unknown name '${nope\($0)}'" })
        // Each rule is 4 lines from line 3: its run line is the 4th.
        #expect(found.map { $0.location?.line } == broken.sorted().map { 3 + 4 * $0 + 3 })
    }

    @Test func aRepeatedOutputAcrossChunksIsNamed() throws {
        var text = jobfile()
        text += "  again:\n    inputs: [src.txt]\n    output: out/10.txt\n    run: cp ${in} ${out}\n"
        let found = try singleError(text)
        #expect(found.message == "'out/10.txt' is the output of both 'r10' (line \(3 + 4 * 10 + 2)) and 'again'")
    }

    @Test func repeatedOutputsAreReportedInRuleOrderWhicheverTableHoldsThem() throws {
        // The outputs are split among per-core tables by a hash; the errors still come in order.
        var text = jobfile()
        for (k, i) in [5_000, 10, 2_999, 4_444].enumerated() {
            text += "  again\(k):\n    inputs: [src.txt]\n    output: out/\(i).txt\n    run: cp ${in} ${out}\n"
        }
        #expect(errors(text).map(\.message) == [5_000, 10, 2_999, 4_444].enumerated().map { k, i in
            "'out/\(i).txt' is the output of both 'r\(i)' (line \(3 + 4 * i + 2)) and 'again\(k)'"
        })
    }

    @Test func theOutputTableFindsEveryWriterAndNothingElse() {
        let outputs = (0..<10_000).map { i in i % 7 == 0 ? ["o/\(i)", "p/\(i)"] : ["o/\(i)"] }
        let (table, conflicts) = OutputTable.make(count: outputs.count) { outputs[$0] }
        #expect(conflicts.isEmpty)
        #expect(table.count == outputs.reduce(0) { $0 + $1.count })
        #expect((0..<10_000).allSatisfy { table["o/\($0)"] == $0 && table["p/\($0)"] == ($0 % 7 == 0 ? $0 : nil) })
        #expect(table["o/10000"] == nil)
    }

    @Test func ruleOutputsAreNamedAcrossChunks() throws {
        var text = jobfile()
        text += "  all:\n    inputs: [\"${rules.r5999}\", \"${rules.r0}\"]\n    output: all.txt\n    run: cat ${in} > ${out}\n"
        let jobfile = try load(text)
        #expect(jobfile.instances.last?.inputs == ["out/5999.txt", "out/0.txt"])
    }

    @Test func manyInputsAreDedupedInOrderWithTheirPlaces() throws {
        // Past 16 inputs the repeats are found with a set instead of a linear search.
        let names = (0..<20).map { "in/\($0).txt" } + ["in/3.txt", "./in/19.txt", "in/20.txt"]
        let jobfile = try load("rules:\n  r:\n    output: o\n    run: cat ${in} > ${out}\n    inputs:\n"
                               + names.map { "      - \($0)\n" }.joined())
        let inst = jobfile.instances[0]
        #expect(inst.inputs == (0...20).map { "in/\($0).txt" })
        #expect(inst.location(of: "in/0.txt")?.line == 6)
        #expect(inst.location(of: "in/19.txt")?.line == 25)     // its first listing, not the `./` one
        #expect(inst.location(of: "in/20.txt")?.line == 28)
        #expect(inst.location(of: "o")?.line == 3)
        #expect(inst.location(of: "elsewhere") == nil)
    }

    @Test func canonicalPathsAreKeptAndOthersNormalized() {
        let rules = PathRules(rootDirectory: "/p", roots: [])
        for kept in ["a", "a/b.txt", ".hidden/x", "a/..b", "a/b..", "...", "a/.b/c"] {
            #expect(PathRules.isCanonicalRelative(kept), "\(kept)")
            #expect(rules.canonical(kept) == .success(kept))
        }
        let normalized = ["./a": "a", "a//b": "a/b", "a/": "a", "a/./b": "a/b", "a/../b": "b", "a/b/..": "a"]
        for (path, canonical) in normalized {
            #expect(!PathRules.isCanonicalRelative(path), "\(path)")
            #expect(rules.canonical(path) == .success(canonical))
        }
        #expect(!PathRules.isCanonicalRelative("/abs"))
        #expect(!PathRules.isCanonicalRelative(".."))
        #expect(rules.canonical("..") == .failure(.escapes("..")))
    }
}
