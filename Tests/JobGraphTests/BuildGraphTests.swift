import Foundation
import JobBasics
import JobfileModel
import JobGraph
import Testing

@Suite("BuildGraph")
struct BuildGraphTests {
    static let diamond = """
        rules:
          final:
            inputs: [b.txt, c.txt, src.txt]
            output: final.txt
            run: cat ${in} > ${out}
          b:
            inputs: [a.txt]
            output: b.txt
            run: cp ${in} ${out}
          a:
            output: a.txt
            run: echo a > ${out}
          c:
            inputs: [a.txt, src.txt]
            output: c.txt
            run: cat ${in} > ${out}
          lone:
            output: lone.txt
            run: touch ${out}
        """

    @Test func dependenciesFollowInputsToTheirProducers() throws {
        let g = try buildGraph(Self.diamond)
        let (final, b, a, c, lone) = (try g.index("final"), try g.index("b"), try g.index("a"), try g.index("c"), try g.index("lone"))
        #expect([final, b, a, c, lone] == [Int](0..<5))    // file order
        #expect(g.producer.count == 5)
        #expect([g.producer["final.txt"], g.producer["b.txt"], g.producer["a.txt"], g.producer["c.txt"], g.producer["lone.txt"]]
                == [final, b, a, c, lone])
        #expect(g.producer["src.txt"] == nil)
        #expect(g.dependencies[final] == [b, c])              // src.txt is a source file: no edge
        #expect(g.dependencies[b] == [a])
        #expect(g.dependencies[c] == [a])
        #expect(g.dependencies[a] == [])
        #expect(g.dependencies[lone] == [])
        #expect(g.dependents[a] == [b, c])
        #expect(g.dependents[b] == [final])
        #expect(g.dependents[final] == [])
    }

    @Test func orderPutsDependenciesFirst() throws {
        let g = try buildGraph(Self.diamond)
        #expect(g.order.count == 5)
        #expect(Set(g.order) == Set(0..<5))
        #expect(g.orderIsTopological)
        let position = Dictionary(uniqueKeysWithValues: g.order.enumerated().map { ($1, $0) })
        #expect(position[2]! < position[1]!)    // a before b
        #expect(position[1]! < position[0]!)    // b before final
        #expect(position[3]! < position[0]!)    // c before final
    }

    @Test func closureHoldsWhatATargetNeedsInOrder() throws {
        let g = try buildGraph(Self.diamond)
        #expect(g.closure(of: [1]) == [2, 1])
        #expect(g.closure(of: [4]) == [4])
        let all = g.closure(of: [0])
        #expect(Set(all) == [0, 1, 2, 3])
        #expect(all.first == 2)
        #expect(all.last == 0)
        #expect(g.closure(of: []) == [])
    }

    @Test func aRuleReferenceDependsOnEveryInstance() throws {
        let g = try buildGraph("""
            rules:
              cut:
                inputs: ["${rules.clip}"]
                output: cut.mp4
                run: x
              clip:
                foreach: {scene: [a, b, c]}
                output: clips/${scene}.mp4
                run: x
            """)
        let cut = try g.index("cut")
        let clips = try ["clip[scene=a]", "clip[scene=b]", "clip[scene=c]"].map { try g.index($0) }
        #expect(g.dependencies[cut] == clips.sorted())
        #expect(g.order.last == cut)
        #expect(g.orderIsTopological)
    }

    @Test func twoRuleCycleNamesBothInstances() throws {
        let text = """
            rules:
              a:
                inputs: [b.txt]
                output: a.txt
                run: x
              b:
                inputs: [a.txt]
                output: b.txt
                run: x
              c:
                inputs: [a.txt]
                output: c.txt
                run: x
            """
        let jf = try loadJobfile(text)
        let ds = diagnostics { _ = try BuildGraph(jf) }
        #expect(ds.count == 1)
        let d = try #require(ds.first)
        #expect(d.message.hasPrefix("dependency cycle: "))
        let names = d.message.dropFirst("dependency cycle: ".count).components(separatedBy: " -> ")
        #expect(names.count == 3)
        #expect(names.first == names.last)
        #expect(Set(names) == ["a", "b"])
        #expect(d.message == "dependency cycle: a -> b -> a" || d.message == "dependency cycle: b -> a -> b")
        #expect(d.location?.column == 3)
        #expect(d.location?.line == 2 || d.location?.line == 6)
    }

    @Test func longerCycleIsNamedInBuildOrder() throws {
        let text = """
            rules:
              x:
                foreach: {k: ["1"]}
                inputs: [z.txt]
                output: x${k}.txt
                run: x
              y:
                inputs: [x1.txt]
                output: y.txt
                run: x
              z:
                inputs: [y.txt]
                output: z.txt
                run: x
              free:
                output: free.txt
                run: x
            """
        let jf = try loadJobfile(text)
        let ds = diagnostics { _ = try BuildGraph(jf) }
        let d = try #require(ds.first)
        #expect(ds.count == 1)
        let names = d.message.dropFirst("dependency cycle: ".count).components(separatedBy: " -> ")
        #expect(names.count == 4)
        #expect(names.first == names.last)
        #expect(Set(names) == ["x[k=1]", "y", "z"])
        // Each named instance's output is an input of the next one.
        for (p, q) in zip(names, names.dropFirst()) {
            let producer = try #require(jf.instances.first { $0.name == p })
            let consumer = try #require(jf.instances.first { $0.name == q })
            #expect(!Set(producer.outputs).isDisjoint(with: consumer.inputs), "\(p) -> \(q)")
        }
    }

    @Test func ruleReadingItsOwnOutputAndSeveralCycles() throws {
        let text = """
            rules:
              self:
                inputs: [s.txt]
                output: s.txt
                run: x
              a:
                inputs: [b.txt]
                output: a.txt
                run: x
              b:
                inputs: [a.txt]
                output: b.txt
                run: x
            """
        let ds = diagnostics { _ = try buildGraph(text) }
        #expect(ds.count == 2)
        #expect(ds.contains { $0.message == "dependency cycle: self -> self" })
        #expect(ds.contains { $0.message.contains("a -> b") || $0.message.contains("b -> a") })
    }

    /// A rule per link: r0 <- r1 <- ... <- r(n-1), each reading the previous one's output.
    static func chainJobfile(_ n: Int, closed: Bool = false) -> String {
        var text = "version: 1\nrules:\n"
        text.reserveCapacity(n * 60)
        for i in 0..<n {
            text += "  r\(i):\n"
            if i > 0 { text += "    inputs: [f\(i - 1)]\n" } else if closed { text += "    inputs: [f\(n - 1)]\n" }
            text += "    output: f\(i)\n    run: x\n"
        }
        return text
    }

    static let chainLength = 100_000

    @Test func longChainNeedsNoDeepStack() throws {
        let n = Self.chainLength
        let g = try buildGraph(Self.chainJobfile(n))
        #expect(g.instances.count == n)
        #expect(g.order == Array(0..<n))
        #expect(g.dependencies[n - 1] == [n - 2])
        let closure = g.closure(of: [n - 1])
        #expect(closure.count == n)
        #expect(closure.first == 0)
        #expect(try g.resolveTargets(["f\(n - 1)"]) == [n - 1])
        #expect(try g.resolveTargets([]).count == n)
    }

    @Test func longCycleIsFoundWithoutDeepStack() throws {
        let n = Self.chainLength
        let ds = diagnostics { _ = try buildGraph(Self.chainJobfile(n, closed: true)) }
        #expect(ds.count == 1)
        let d = try #require(ds.first)
        let names = d.message.dropFirst("dependency cycle: ".count).components(separatedBy: " -> ")
        #expect(names.count == n + 1)
        #expect(names.first == names.last)
        #expect(Set(names).count == n)
    }
}
