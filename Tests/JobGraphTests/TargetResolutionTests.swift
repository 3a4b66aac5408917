import JobBasics
import JobfileModel
import JobGraph
import Testing

@Suite("Target resolution")
struct TargetResolutionTests {
    static let project = """
        vars: {dir: build}
        rules:
          clip:
            foreach: {scene: [a, b]}
            output: ${dir}/clips/${scene}.mp4
            run: x
          final:
            inputs: ["${rules.clip}"]
            output: ${dir}/final.mp4
            run: x
          cover:
            inputs: ["${dir}/final.mp4"]
            output: ${dir}/cover.png
            run: x
          other:
            output: other.txt
            run: x
        targets:
          default: ["${dir}/final.mp4", cover]
          all: [default, other]
        """

    @Test func instancesAreInFileOrder() throws {
        let g = try buildGraph(Self.project)
        #expect(g.instances.map(\.name) == ["clip[scene=a]", "clip[scene=b]", "final", "cover", "other"])
    }

    @Test func noNamesMeansTheDefaultTarget() throws {
        let g = try buildGraph(Self.project)
        #expect(try g.resolveTargets([]) == [2, 3])
    }

    @Test func targetNamesIncludingOtherTargets() throws {
        let g = try buildGraph(Self.project)
        #expect(try g.resolveTargets(["all"]) == [2, 3, 4])
        #expect(try g.resolveTargets(["default"]) == [2, 3])
    }

    @Test func ruleNamesGiveEveryInstance() throws {
        let g = try buildGraph(Self.project)
        #expect(try g.resolveTargets(["clip"]) == [0, 1])
        #expect(try g.resolveTargets(["other", "clip", "other", "clip[scene=a]"]) == [4, 0, 1])
    }

    @Test func outputPathsAndInstanceNames() throws {
        let g = try buildGraph(Self.project)
        #expect(try g.resolveTargets(["build/clips/b.mp4"]) == [1])
        #expect(try g.resolveTargets(["./build//clips/b.mp4"]) == [1])
        #expect(try g.resolveTargets(["clip[scene=b]"]) == [1])
        #expect(try g.resolveTargets(["build/cover.png", "build/final.mp4"]) == [3, 2])
    }

    @Test func unknownTargetIsAnErrorWithSuggestion() throws {
        let g = try buildGraph(Self.project)
        let ds = diagnostics { _ = try g.resolveTargets(["finl"]) }
        #expect(ds.count == 1)
        let d = try #require(ds.first)
        #expect(d.message == "unknown target 'finl' (not a target, a rule or an output) (did you mean 'final'?)")
        #expect(d.location == nil)

        let far = diagnostics { _ = try g.resolveTargets(["build/nothing.mp4", "alll", "clip"]) }
        #expect(far.count == 2)
        #expect(far.first?.message == "unknown target 'build/nothing.mp4' (not a target, a rule or an output)")
        #expect(far.last?.message.contains("did you mean 'all'?") == true)
        // A source file is not a target either.
        #expect(diagnostics { _ = try g.resolveTargets(["src.txt"]) }.count == 1)
    }

    @Test func withoutADefaultTargetEverythingInOrder() throws {
        let g = try buildGraph("""
            rules:
              b:
                inputs: [a.txt]
                output: b.txt
                run: x
              a:
                output: a.txt
                run: x
            """)
        #expect(try g.resolveTargets([]) == g.order)
        #expect(try g.resolveTargets([]) == [1, 0])
    }

    @Test func badItemsInTargetsPointAtTheirPlace() throws {
        let g = try buildGraph("""
            rules:
              a:
                output: a.txt
                run: x
            targets:
              default: [a, missing.txt]
              loop: [loop2]
              loop2: [a, loop]
            """)
        let def = diagnostics { _ = try g.resolveTargets([]) }
        #expect(def.count == 1)
        #expect(def.first?.message.hasPrefix("unknown target 'missing.txt'") == true)
        #expect(def.first?.location?.line == 6)
        #expect(def.first?.location?.column == 16)

        let loop = diagnostics { _ = try g.resolveTargets(["loop"]) }
        #expect(loop.count == 1)
        #expect(loop.first?.message == "target 'loop' includes itself")
        #expect(loop.first?.location?.line == 8)
        #expect(loop.first?.location?.column == 14)
    }
}
