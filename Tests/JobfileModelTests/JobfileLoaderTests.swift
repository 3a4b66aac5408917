import Foundation
import JobBasics
import JobfileModel
import JobRecipes
import Testing

@Suite("Jobfile loading")
struct JobfileLoaderTests {
    // MARK: vars and substitution

    static let varsJobfile = """
        version: 1
        vars:
          dir: build
          name: song
          full: ${dir}/${name}
        rules:
          a:
            output: ${full}.txt
            run: echo ${name} > ${out}
        """

    @Test func varsAreSubstitutedEverywhere() throws {
        let jf = try load(Self.varsJobfile)
        #expect(jf.vars == ["dir": "build", "name": "song", "full": "build/song"])
        #expect(jf.instances.count == 1)
        let a = try jf.instance("a")
        #expect(a.rule == "a")
        #expect(a.outputs == ["build/song.txt"])
        #expect(a.commandText == "echo song > build/song.txt")
        #expect(a.argv == ["/bin/sh", "-c", "echo song > build/song.txt"])
        #expect(a.invocation.kind == "run")
        #expect(jf.displayName == "Jobfile")
        #expect(jf.source == Self.varsJobfile)
    }

    @Test func overridesReplaceVarsAndWhatUsesThem() throws {
        let jf = try load(Self.varsJobfile, overrides: [VarOverride(name: "dir", value: "out")])
        #expect(jf.vars["dir"] == "out")
        #expect(jf.vars["full"] == "out/song")
        #expect(try jf.instance("a").outputs == ["out/song.txt"])

        let spaced = try load(Self.varsJobfile, overrides: [VarOverride(name: "name", value: "my song")])
        let a = try spaced.instance("a")
        #expect(a.outputs == ["build/my song.txt"])
        // A var is text (not quoted); a path in a run string is quoted.
        #expect(a.commandText == "echo my song > 'build/my song.txt'")
    }

    @Test func unknownOverrideIsAnError() throws {
        let d = try singleError(Self.varsJobfile, overrides: [VarOverride(name: "dri", value: "x")])
        #expect(d.location == nil)
        #expect(d.message.contains("unknown var 'dri'"))
        #expect(d.message.contains("did you mean 'dir'?"))

        let reserved = try singleError(Self.varsJobfile, overrides: [VarOverride(name: "out", value: "x")])
        #expect(reserved.message.contains("'out' is reserved"))
    }

    @Test func overrideParsing() {
        #expect(VarOverride.parse("dir=out") == VarOverride(name: "dir", value: "out"))
        #expect(VarOverride.parse("opts=a=b c") == VarOverride(name: "opts", value: "a=b c"))
        #expect(VarOverride.parse("empty=") == VarOverride(name: "empty", value: ""))
        #expect(VarOverride.parse("my_var-2=x")?.name == "my_var-2")
        #expect(VarOverride.parse("noequals") == nil)
        #expect(VarOverride.parse("=x") == nil)
        #expect(VarOverride.parse("bad name=x") == nil)
        #expect(VarOverride.parse("build/out.mp4") == nil)
        #expect(isValidName("clip_2-final"))
        #expect(!isValidName(""))
        #expect(!isValidName("a.b"))
        #expect(!isValidName("ünï"))
    }

    @Test func doubleDollarIsALiteral() throws {
        let jf = try load("""
            vars:
              lit: "$${x}"
            rules:
              a:
                output: out.txt
                run: echo '$${HOME}' $$HOME ${lit} > ${out}
            """)
        #expect(jf.vars["lit"] == "${x}")
        // The literal `${x}` that a var holds is not expanded a second time.
        #expect(try jf.instance("a").commandText == "echo '${HOME}' $$HOME ${x} > out.txt")
    }

    @Test func varsMayNotReferToThemselves() {
        let all = errors("""
            vars:
              a: x${b}
              b: y${a}
            rules:
              r:
                output: o
                run: x
            """)
        #expect(all.contains { $0.message.contains("refers to itself") })
    }

    // MARK: foreach

    @Test func foreachListMakesOneInstancePerValue() throws {
        let jf = try load("""
            rules:
              narration:
                foreach: {scene: [intro, body, outro]}
                output: build/${scene}.wav
                run: say ${scene} > ${out}
            """)
        #expect(jf.instances.map(\.name) == ["narration[scene=intro]", "narration[scene=body]", "narration[scene=outro]"])
        #expect(jf.instances.map(\.outputs) == [["build/intro.wav"], ["build/body.wav"], ["build/outro.wav"]])
        #expect(jf.instances.allSatisfy { $0.rule == "narration" })
        #expect(try jf.instance("narration[scene=body]").commandText == "say body > build/body.wav")
        #expect(jf.rules.count == 1)
        #expect(jf.rules[0].name == "narration")
        #expect(jf.rules[0].instanceIndices == 0..<3)
    }

    @Test func severalKeysGiveEveryCombinationFirstKeySlowest() throws {
        let jf = try load("""
            rules:
              render:
                foreach:
                  a: ["1", "2"]
                  b: [x, y, z]
                output: out/${a}-${b}.txt
                run: touch ${out}
            """)
        #expect(jf.instances.map(\.name) == [
            "render[a=1,b=x]", "render[a=1,b=y]", "render[a=1,b=z]",
            "render[a=2,b=x]", "render[a=2,b=y]", "render[a=2,b=z]",
        ])
        #expect(jf.instances.map { $0.outputs[0] } == [
            "out/1-x.txt", "out/1-y.txt", "out/1-z.txt", "out/2-x.txt", "out/2-y.txt", "out/2-z.txt",
        ])
    }

    @Test func foreachGlobTakesTheSortedStemsOfMatchingFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for f in ["footage/b.mp4", "footage/a.mp4", "footage/c.mov", "footage/z.tar.mp4", "other/x.mp4"] {
            try dir.write(f, "data")
        }
        try dir.makeDirectory("footage/folder.mp4")           // a directory: not a value
        let jf = try load("""
            vars:
              src: footage
            rules:
              clip:
                foreach:
                  scene: {glob: "${src}/*.mp4"}
                inputs: ["footage/${scene}.mp4"]
                output: build/${scene}.mp4
                run: cp ${in} ${out}
            """, in: dir)
        #expect(jf.instances.map(\.name) == ["clip[scene=a]", "clip[scene=b]", "clip[scene=z.tar]"])
        #expect(jf.instances.map(\.inputs) == [["footage/a.mp4"], ["footage/b.mp4"], ["footage/z.tar.mp4"]])
        #expect(try jf.instance("clip[scene=z.tar]").commandText == "cp footage/z.tar.mp4 build/z.tar.mp4")
    }

    // MARK: outputs and inputs

    @Test func outputsAsAList() throws {
        let jf = try load("""
            rules:
              pair:
                outputs: [a.txt, "sub dir/b.txt"]
                run: touch ${out}
            """)
        let pair = try jf.instance("pair")
        #expect(pair.outputs == ["a.txt", "sub dir/b.txt"])
        #expect(pair.outputNames.isEmpty)
        #expect(pair.commandText == "touch a.txt 'sub dir/b.txt'")
    }

    @Test func outputsAsANamedMap() throws {
        let jf = try load("""
            rules:
              split:
                outputs:
                  video: v.mp4
                  audio: "sound track.wav"
                run: split --video ${out.video} --audio ${out.audio}
            """)
        let split = try jf.instance("split")
        #expect(split.outputs == ["v.mp4", "sound track.wav"])
        #expect(split.outputNames == ["video": 0, "audio": 1])
        #expect(split.commandText == "split --video v.mp4 --audio 'sound track.wav'")
        // The outputs stay holes in the command, filled with whatever paths the run writes to.
        let command = try #require(split.invocation.commands.first)
        #expect(command.argv(outputs: ["tmp/0", "tmp/1 x"]) == ["/bin/sh", "-c", "split --video tmp/0 --audio 'tmp/1 x'"])
        guard case .shell(let template) = command else { Issue.record("expected a shell command"); return }
        #expect(template.parts.contains(.output(index: 1, quoted: true)))
        #expect(template.plainText == nil)
    }

    @Test func outputPathsAreNormalized() throws {
        let jf = try load("""
            rules:
              a:
                output: ./build//x/../a.txt
                run: touch ${out}
            """)
        #expect(try jf.instance("a").outputs == ["build/a.txt"])
    }

    @Test func inputsAsAListWithoutRepeats() throws {
        let jf = try load("""
            rules:
              cat:
                inputs: [a.txt, ./b.txt, a.txt, "c d.txt"]
                output: out.txt
                run: cat ${in} > ${out}
            """)
        let cat = try jf.instance("cat")
        #expect(cat.inputs == ["a.txt", "b.txt", "c d.txt"])
        #expect(cat.commandText == "cat a.txt b.txt 'c d.txt' > out.txt")
    }

    @Test func inputsAsANamedMap() throws {
        let jf = try load("""
            rules:
              paste:
                inputs:
                  left: l.txt
                  right: "r dir/r.txt"
                output: o.txt
                run: paste ${in.left} ${in.right} > ${out} # all: ${in}
            """)
        let paste = try jf.instance("paste")
        #expect(paste.inputs == ["l.txt", "r dir/r.txt"])
        #expect(paste.commandText == "paste l.txt 'r dir/r.txt' > o.txt")
    }

    @Test func rulesReferenceExpandsToSeveralListItems() throws {
        let jf = try load("""
            rules:
              cut:
                inputs: ["${rules.clip}", extra.txt]
                output: cut.txt
                run: [cat, "${in}", "--", "${rules.clip}", "x${rules.clip}"]
              clip:
                foreach: {scene: [a, b, c]}
                output: clips/${scene}.txt
                run: touch ${out}
              summary:
                output: summary.txt
                run: echo ${rules.clip} > ${out}
            """)
        let clips = ["clips/a.txt", "clips/b.txt", "clips/c.txt"]
        let cut = try jf.instance("cut")
        #expect(cut.inputs == clips + ["extra.txt"])
        #expect(cut.argv == ["cat"] + clips + ["extra.txt", "--"] + clips + ["xclips/a.txt clips/b.txt clips/c.txt"])
        #expect(try jf.instance("summary").commandText == "echo clips/a.txt clips/b.txt clips/c.txt > summary.txt")
        #expect(jf.rules.map(\.name) == ["cut", "clip", "summary"])
    }

    @Test func runStringQuotesPathsButARunListIsArgv() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("my dir/in put.txt", "it's $HOME\n")
        let jf = try load("""
            vars:
              dir: my dir
              greeting: hello world
            rules:
              a:
                inputs: ["${dir}/in put.txt"]
                output: ${dir}/out.txt
                run: cat ${in} > ${out} && echo ${greeting} >> ${out}
              b:
                inputs: ["${dir}/in put.txt"]
                output: ${dir}/b.txt
                run: [cp, "${in}", "${out}"]
            """, in: dir)
        let a = try jf.instance("a")
        #expect(a.commandText == "cat 'my dir/in put.txt' > 'my dir/out.txt' && echo hello world >> 'my dir/out.txt'")
        let b = try jf.instance("b")
        #expect(b.argv == ["cp", "my dir/in put.txt", "my dir/b.txt"])
        #expect(b.commandText == "cp 'my dir/in put.txt' 'my dir/b.txt'")

        // And the shell really reads the quoted paths back.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(a.argv?.first))
        process.arguments = Array(try #require(a.argv).dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(try String(contentsOfFile: dir.file("my dir/out.txt"), encoding: .utf8) == "it's $HOME\nhello world\n")
    }

    @Test func envPoolRetriesTimeoutAndDescription() throws {
        let jf = try load("""
            pools:
              tts: 2
            rules:
              a:
                output: a.txt
                run: make-it
                env: {LANG: C.UTF-8, TARGET: "${out}", AAA: first}
                pool: tts
                retries: 3
                timeout: 10m
                description: builds ${out}
              b:
                output: b.txt
                run: x
                timeout: 1.5s
              c:
                output: c.txt
                run: x
                timeout: 90s
                retries: 0
            """)
        #expect(jf.pools == ["tts": 2])
        let a = try jf.instance("a")
        #expect(a.environment == [EnvironmentEntry(name: "AAA", value: "first"),
                                  EnvironmentEntry(name: "LANG", value: "C.UTF-8"),
                                  EnvironmentEntry(name: "TARGET", value: "a.txt")])
        #expect(a.pool == "tts")
        #expect(a.retries == 3)
        #expect(a.timeoutSeconds == 600)
        #expect(a.description == "builds a.txt")
        let b = try jf.instance("b")
        #expect(b.environment.isEmpty)
        #expect(b.pool == nil)
        #expect(b.retries == 0)
        #expect(b.timeoutSeconds == 1.5)
        #expect(b.description == nil)
        #expect(try jf.instance("c").timeoutSeconds == 90)
    }

    @Test func targetsAreSubstituted() throws {
        let jf = try load("""
            vars:
              dir: build
            rules:
              final:
                output: ${dir}/final.mp4
                run: touch ${out}
            targets:
              default: ["${dir}/final.mp4", final]
              one: final
            """)
        let def = try #require(jf.targets["default"])
        #expect(def.items.map(\.text) == ["build/final.mp4", "final"])
        #expect(def.items.map(\.location.line) == [8, 8])
        #expect(jf.targets["one"]?.items.map(\.text) == ["final"])
    }

    @Test func rootsAllowPathsOutsideTheProject() throws {
        let top = try TemporaryDirectory()
        defer { top.remove() }
        try top.makeDirectory("proj")
        try top.write("shared/in.txt", "x")
        let project = top.file("proj")
        let shared = top.file("shared")
        let text = """
            roots: ["\(shared)"]
            rules:
              a:
                inputs: ["\(shared)/in.txt", ../shared/b.txt]
                output: \(shared)/out/a.txt
                run: cp ${in} ${out}
            """
        let jf = try JobfileLoader(displayName: "Jobfile", text: text, rootDirectory: project).load()
        let a = try jf.instance("a")
        #expect(a.inputs == [shared + "/in.txt", shared + "/b.txt"])
        #expect(a.outputs == [shared + "/out/a.txt"])
        #expect(jf.roots.contains(shared))

        // A directory whose name merely starts like the root's is not under it.
        let outside = text.replacingOccurrences(of: "\(shared)/out/a.txt", with: "\(shared)x/a.txt")
        let d = try singleError(outside, root: project)
        expectDiagnostic(d, line: 5, column: 13, "output: absolute path '\(shared)x/a.txt' is outside the project")
    }
}
