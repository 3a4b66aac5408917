import Foundation
import Testing

/// The `encode` and `trim` recipes on real media, with real ffmpeg and ffprobe.
@Suite struct EncodeTrimScenarios {
    static let jobfile = MediaFixtures.tinyPresetJobfile + """
          clip:
            foreach: {name: [wide, small]}
            output: out/${name}.mp4
            trim: {input: "footage/${name}.mp4", start: 0.5, duration: 1, preset: tiny}
          sound:
            output: out/wide.wav
            encode: {input: footage/wide.mp4, preset: wav-48k}
          fast:
            output: out/fast.mp4
            trim: {input: footage/wide.mp4, start: 0, end: 1, copy: true}
        """

    func project() throws -> JobProject {
        let p = try JobProject(jobfile: Self.jobfile)
        try FileManager.default.createDirectory(atPath: p.path("footage"), withIntermediateDirectories: true)
        try MediaFixtures.clip(p.path("footage/wide.mp4"), seconds: 2, width: 320, height: 180)
        try MediaFixtures.clip(p.path("footage/small.mp4"), seconds: 2, width: 100, height: 100, fps: 30, audio: false)
        return p
    }

    @Test func trimAndEncodeFollowTheirParametersAndPreset() throws {
        let p = try project()
        let r = try p.build()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.instances("built") == ["clip[name=small]", "clip[name=wide]", "fast", "sound"])
        for name in ["wide", "small"] {
            let path = p.path("out/\(name).mp4")
            #expect(try MediaFixtures.probe(path, "stream=width,height", stream: "v:0") == "160")
            #expect(try MediaFixtures.probe(path, "stream=r_frame_rate", stream: "v:0") == "15/1")
            let duration = Double(try MediaFixtures.probe(path, "format=duration")) ?? 0
            #expect(abs(duration - 1.0) < 0.1, "\(name): \(duration) s")
        }
        #expect(try MediaFixtures.probe(p.path("out/wide.mp4"), "stream=sample_rate", stream: "a:0") == "48000")
        #expect(try MediaFixtures.probe(p.path("out/wide.wav"), "stream=codec_name", stream: "a:0") == "pcm_s16le")
        #expect(try MediaFixtures.probe(p.path("out/fast.mp4"), "stream=codec_name", stream: "v:0") == "h264")
        // ffprobe's answers are kept by content: one per distinct input file.
        let probes = try FileManager.default.contentsOfDirectory(atPath: p.path("cache/probes")).filter { $0.hasSuffix(".json") }
        #expect(probes.count == 2)
        // New parameters, same inputs: the rules run again, and no new answer is needed.
        try p.write("Jobfile", Self.jobfile.replacingOccurrences(of: "duration: 1,", with: "duration: 1.5,"))
        #expect(try p.build().status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: p.path("cache/probes")).filter { $0.hasSuffix(".json") }.count == 2)
    }

    @Test func rebuildingFromAnEmptyCacheGivesTheSameBytes() throws {
        let p = try project()
        _ = try p.build()
        let first = try ["wide.mp4", "small.mp4", "wide.wav", "fast.mp4"].map { try Data(contentsOf: URL(fileURLWithPath: p.path("out/" + $0))) }
        try p.remove("cache")
        try p.remove("out")
        let again = try p.build()
        #expect(again.instances("built").count == 4)
        let second = try ["wide.mp4", "small.mp4", "wide.wav", "fast.mp4"].map { try Data(contentsOf: URL(fileURLWithPath: p.path("out/" + $0))) }
        #expect(first == second)
    }

    @Test func dryRunPrintsTheExactArgv() throws {
        let p = try project()
        let r = try p.job(["build", "-n", "sound"])
        #expect(r.stdout.contains("ffmpeg -nostdin -hide_banner -loglevel error -y -i footage/wide.mp4 -map 0:a:0 -af aresample=48000,aformat=channel_layouts=stereo -c:a pcm_s16le -ar 48000 -ac 2 -fflags +bitexact"))
        #expect(r.stdout.hasSuffix("-progress cache/tmp/sound/progress.txt -stats_period 0.5 out/wide.wav\n1 to run, 0 to restore, 0 up to date\n"))
        #expect(!p.exists("out"))
    }

    @Test func aCorruptInputNamesTheFileAndLeavesNoOutput() throws {
        let p = try project()
        try p.write("footage/wide.mp4", "not a video")
        let r = try p.job(["build", "sound"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("'footage/wide.mp4' is not a media file ffprobe can read"))
        #expect(!p.exists("out/wide.wav"))
    }

    @Test func badParametersAreErrorsWithPlaces() throws {
        let p = try JobProject(jobfile: """
            version: 1
            rules:
              t:
                output: x.mp4
                trim: {input: a.mp4, start: 2, end: 1, preset: nope, speed: 2}
              e:
                output: y.mp4
                encode: {input: a.mp4}
            """)
        let r = try p.job(["build"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("Jobfile:5:58: error: unknown parameter 'speed' of 'trim'"))
        #expect(r.stderr.contains("Jobfile:5:41: error: 'end' (1 s) must be after 'start' (2 s)"))
        #expect(r.stderr.contains("Jobfile:5:52: error: unknown preset 'nope'"))
        #expect(r.stderr.contains("Jobfile:8:13: error: 'encode' needs 'preset'"))
    }

    @Test func missingFFmpegIsOneClearMessageBeforeAnythingRuns() throws {
        let p = try project()
        let bin = p.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/sh", withDestinationPath: "/bin/sh")
        let r = try p.job(["build"], environment: ["PATH": bin])
        #expect(r.status == 1)
        #expect(r.stderr.contains("this build needs ffmpeg, ffprobe, not found on PATH"))
        #expect(r.stderr.contains("apt-get install ffmpeg"))
        #expect(!p.exists("out"))
    }
}
