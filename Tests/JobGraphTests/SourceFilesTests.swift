import Foundation
import JobBasics
import JobfileModel
import JobGraph
import Testing

@Suite("Source files")
struct SourceFilesTests {
    @Test func missingInputNamesTheRuleAndPointsAtTheInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("src/present.txt", "here")
        let g = try buildGraph("""
            rules:
              a:
                inputs: [src/present.txt, src/missing.txt]
                output: out/a.txt
                run: x
            """, root: dir.path)
        let ds = diagnostics { _ = try SourceFiles(graph: g, instances: [0], rootDirectory: dir.path) }
        #expect(ds.count == 1)
        let d = try #require(ds.first)
        #expect(d.message == "input 'src/missing.txt' of rule 'a' is neither a file nor the output of any rule")
        #expect(d.location == JobBasics.SourceLocation(file: "Jobfile", line: 3, column: 31))
    }

    @Test func manyInstancesAreCheckedInChunksAndEachSourceIsReportedOnce() throws {
        // 4,200 instances: split across two cores or more. All read voice.cfg (missing, so reported by
        // each chunk and shown once, for the first instance); one late instance reads a
        // missing script of its own.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let n = 4200
        for i in 0..<n where i != 4100 { try dir.write("scripts/\(i).txt", "line \(i)") }
        let values = (0..<n).map { "      - \"\($0)\"" }.joined(separator: "\n")
        let g = try buildGraph("""
            rules:
              say:
                foreach:
                  n:
            \(values)
                inputs:
                  - scripts/${n}.txt
                  - voice.cfg
                output: out/${n}.wav
                run: x
            """, root: dir.path)
        let ds = diagnostics { _ = try SourceFiles(graph: g, instances: Array(0..<n), rootDirectory: dir.path) }
        #expect(ds.map(\.message) == [
            "input 'voice.cfg' of rule 'say[n=0]' is neither a file nor the output of any rule",
            "input 'scripts/4100.txt' of rule 'say[n=4100]' is neither a file nor the output of any rule",
        ])
        try dir.write("voice.cfg", "v")
        try dir.write("scripts/4100.txt", "line")
        let sources = try SourceFiles(graph: g, instances: Array(0..<n), rootDirectory: dir.path)
        #expect(sources.files.count == n + 1)
        #expect(sources.statusByPath["scripts/4199.txt"]?.size == 9)
        #expect(sources.statusByPath["voice.cfg"]?.size == 1)
    }

    @Test func missingInputOfAnInstanceAndReportedOnce() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let g = try buildGraph("""
            rules:
              say:
                foreach: {scene: [intro, outro]}
                inputs:
                  - scripts/${scene}.txt
                  - voice.cfg
                output: out/${scene}.wav
                run: x
            """, root: dir.path)
        try dir.write("scripts/intro.txt", "hello")
        let ds = diagnostics { _ = try SourceFiles(graph: g, instances: [0, 1], rootDirectory: dir.path) }
        #expect(ds.map(\.message) == [
            "input 'voice.cfg' of rule 'say[scene=intro]' is neither a file nor the output of any rule",
            "input 'scripts/outro.txt' of rule 'say[scene=outro]' is neither a file nor the output of any rule",
        ])
        #expect(ds.map { $0.location?.line } == [6, 5])
        #expect(ds.map { $0.location?.column } == [9, 9])
    }

    @Test func statusesOfSourcesAreKeptAndOutputsAreNotSources() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("in.txt", "input")
        let g = try buildGraph("""
            rules:
              a:
                inputs: [in.txt]
                output: mid.txt
                run: x
              b:
                inputs: [mid.txt]
                output: out.txt
                run: x
            """, root: dir.path)
        let sources = try SourceFiles(graph: g, instances: [0, 1], rootDirectory: dir.path)
        #expect(sources.files.map(\.path) == ["in.txt"])          // mid.txt is made by a, not read from disk
        #expect(sources.statusByPath["in.txt"] == FileStatus.of(dir.file("in.txt")))
        #expect(sources.statusByPath["in.txt"]?.size == 5)
        // Only the asked-for instances are checked.
        let none = try SourceFiles(graph: g, instances: [1], rootDirectory: dir.path)
        #expect(none.files.isEmpty)
    }

    @Test func directoriesAndBrokenLinksAreNotInputs() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.makeDirectory("folder")
        try dir.symlink("dangling.txt", to: dir.file("nothing-here"))
        let g = try buildGraph("""
            rules:
              a:
                inputs: [folder, dangling.txt]
                output: a.txt
                run: x
            """, root: dir.path)
        let ds = diagnostics { _ = try SourceFiles(graph: g, instances: [0], rootDirectory: dir.path) }
        #expect(ds.map(\.message) == ["input 'folder' of rule 'a' is not a regular file",
                                      "input 'dangling.txt' of rule 'a' is a broken symlink"])
    }

    /// `top/proj` is the project, `top/outside` a directory beside it.
    func projectBesideOutside() throws -> (TemporaryDirectory, root: String, outside: String) {
        let top = try TemporaryDirectory()
        try top.write("proj/inside.txt", "in")
        try top.write("outside/secret.txt", "secret")
        try top.symlink("proj/secret-link.txt", to: top.file("outside/secret.txt"))
        try top.symlink("proj/inside-link.txt", to: "inside.txt")
        try top.symlink("proj/shared", to: top.file("outside"))
        return (top, top.file("proj"), top.file("outside"))
    }

    static let linkRules = """
        rules:
          a:
            inputs: [inside-link.txt, secret-link.txt, shared/secret.txt]
            output: a.txt
            run: x
          b:
            output: shared/new.txt
            run: x
        """

    @Test func symlinkLeadingOutIsAnError() throws {
        let (top, root, _) = try projectBesideOutside()
        defer { top.remove() }
        let g = try buildGraph(Self.linkRules, root: root)
        let ds = diagnostics { _ = try SourceFiles(graph: g, instances: [0, 1], rootDirectory: root) }
        #expect(ds.map(\.message) == [
            "input 'secret-link.txt' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
            "input 'shared/secret.txt' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
            "output 'shared/new.txt' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
        ])
        #expect(ds.map { $0.location?.line } == [3, 3, 7])
        #expect(ds.map { $0.location?.column } == [31, 48, 13])
    }

    @Test func symlinkLeadingIntoARootIsAllowed() throws {
        let (top, root, outside) = try projectBesideOutside()
        defer { top.remove() }
        let g = try buildGraph("roots: [\"\(outside)\"]\n" + Self.linkRules, root: root)
        let sources = try SourceFiles(graph: g, instances: [0, 1], rootDirectory: root)
        #expect(sources.statusByPath["secret-link.txt"] == FileStatus.of(outside + "/secret.txt"))
        #expect(sources.statusByPath["shared/secret.txt"] == FileStatus.of(outside + "/secret.txt"))
        #expect(sources.statusByPath["inside-link.txt"] == FileStatus.of(root + "/inside.txt"))
        #expect(sources.files.count == 3)
    }

    @Test func absoluteInputUnderARootIsChecked() throws {
        let (top, root, outside) = try projectBesideOutside()
        defer { top.remove() }
        let g = try buildGraph("""
            roots: ["\(outside)"]
            rules:
              a:
                inputs: ["\(outside)/secret.txt", "\(outside)/gone.txt"]
                output: a.txt
                run: x
            """, root: root)
        let ds = diagnostics { _ = try SourceFiles(graph: g, instances: [0], rootDirectory: root) }
        #expect(ds.map(\.message) == ["input '\(outside)/gone.txt' of rule 'a' is neither a file nor the output of any rule"])
    }
}
