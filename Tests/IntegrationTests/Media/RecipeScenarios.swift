import Foundation
import Testing

/// tts, still, mux, concat, mix, overlay and subtitles on tiny generated media.
@Suite struct RecipeScenarios {
    func project(_ jobfile: String) throws -> JobProject {
        let p = try JobProject(jobfile: jobfile, files: [
            "scripts/one.txt": "Hello from slide one.\n",
            "subs.srt": "1\n00:00:00,000 --> 00:00:01,500\nHello, world\n",
        ])
        try FileManager.default.createDirectory(atPath: p.path("media"), withIntermediateDirectories: true)
        try MediaFixtures.clip(p.path("media/wide.mp4"), seconds: 2, width: 320, height: 180, fps: 15)
        try MediaFixtures.clip(p.path("media/tall.mp4"), seconds: 1, width: 180, height: 320, fps: 30)
        try MediaFixtures.clip(p.path("media/mute.mp4"), seconds: 1, width: 320, height: 180, fps: 15, audio: false)
        try MediaFixtures.tone(p.path("media/music.wav"), seconds: 4, frequency: 220)
        try MediaFixtures.run("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=blue:s=64x32",
                                         "-frames:v", "1", p.path("media/logo.png")])
        return p
    }

    func duration(_ path: String) throws -> Double { Double(try MediaFixtures.probe(path, "format=duration")) ?? -1 }

    @Test func ttsWritesSpeechInTheFormatOfTheExtension() throws {
        let p = try project(MediaFixtures.tinyPresetJobfile + """
              a:
                output: out/a.wav
                tts: {text_file: scripts/one.txt, voice: en-us, rate: 200, pitch: 40}
              b:
                output: out/b.mp3
                tts: {text: "-dash first"}
            """)
        let r = try p.build()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try MediaFixtures.probe(p.path("out/a.wav"), "stream=codec_name") == "pcm_s16le")
        #expect(try MediaFixtures.probe(p.path("out/b.mp3"), "stream=codec_name") == "mp3")
        #expect(try duration(p.path("out/a.wav")) > 0.5)
        // Same text, same bytes; an edit of the script reruns the rule.
        let before = try Data(contentsOf: URL(fileURLWithPath: p.path("out/a.wav")))
        try p.remove("cache")
        try p.remove("out")
        _ = try p.build()
        #expect(try Data(contentsOf: URL(fileURLWithPath: p.path("out/a.wav"))) == before)
        try p.write("scripts/one.txt", "Something else entirely.\n")
        #expect(try p.build().instances("built") == ["a"])
    }

    @Test func stillLastsAsLongAsItsAudioOrDuration() throws {
        let p = try project(MediaFixtures.tinyPresetJobfile + """
              narrated:
                output: out/n.mp4
                still: {image: media/logo.png, audio: media/music.wav, preset: tiny}
              timed:
                output: out/t.mp4
                still: {image: media/logo.png, duration: 1.5, preset: tiny}
            """)
        let r = try p.build()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(abs(try duration(p.path("out/n.mp4")) - 4) < 0.1)
        #expect(abs(try duration(p.path("out/t.mp4")) - 1.5) < 0.1)
        #expect(try MediaFixtures.probe(p.path("out/t.mp4"), "stream=codec_type", stream: "a:0") == "audio")
        #expect(try MediaFixtures.probe(p.path("out/n.mp4"), "stream=width", stream: "v:0") == "160")
    }

    @Test func muxUsesProbedLengthsNotShortest() throws {
        let p = try project(MediaFixtures.tinyPresetJobfile + """
              short:
                output: out/short.mp4
                mux: {video: media/wide.mp4, audio: media/music.wav}
              long:
                output: out/long.mp4
                mux: {video: media/wide.mp4, audio: media/music.wav, shortest: false}
            """)
        let r = try p.build()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(abs(try duration(p.path("out/short.mp4")) - 2) < 0.05)
        let long = p.path("out/long.mp4")
        #expect(abs(try duration(long) - 4) < 0.1)
        #expect(abs((Double(try MediaFixtures.probe(long, "stream=duration", stream: "v:0")) ?? 0) - 4) < 0.1,
                "the last frame is held to the end of the audio")
    }

    @Test func concatRefusesMismatchedClipsAndNormalizesWithAPreset() throws {
        let p = try project(MediaFixtures.tinyPresetJobfile + """
              strict:
                output: out/strict.mp4
                concat: {inputs: [media/wide.mp4, media/tall.mp4]}
              fitted:
                output: out/fitted.mp4
                concat: {inputs: [media/wide.mp4, media/tall.mp4, media/mute.mp4], preset: tiny}
              same:
                output: out/same.mp4
                concat: {inputs: [media/wide.mp4, media/wide.mp4]}
            """)
        let r = try p.build(["-k"])
        #expect(r.status == 1)
        let strict = r.ruleEvents.first { $0["instance"] as? String == "strict" }
        #expect((strict?["error"] as? String)?.contains("'media/tall.mp4' is 180x320 but 'media/wide.mp4' is 320x180; add 'preset:'") == true)
        #expect(!p.exists("out/strict.mp4"))
        #expect(abs(try duration(p.path("out/fitted.mp4")) - 4) < 0.15)
        #expect(try MediaFixtures.probe(p.path("out/fitted.mp4"), "stream=width", stream: "v:0") == "160")
        #expect(abs(try duration(p.path("out/same.mp4")) - 4) < 0.15)
    }

    @Test func mixDucksAndReachesTheLoudnessTarget() throws {
        let p = try project(MediaFixtures.tinyPresetJobfile + """
              voice:
                output: out/voice.wav
                tts: {text: "This is the narration over the music."}
              bed:
                output: out/bed.wav
                mix:
                  tracks:
                    - input: [out/voice.wav, out/voice.wav]
                      delay: 0.5
                    - input: media/music.wav
                      volume: 0.5
                      duck: true
                  loudness: -16
            """)
        let r = try p.build()
        #expect(r.status == 0, "\(r.stderr)")
        let voice = try duration(p.path("out/voice.wav"))
        #expect(abs(try duration(p.path("out/bed.wav")) - max(4, 0.5 + 2 * voice)) < 0.1)
        let report = try MediaFixtures.runCapturingStderr("ffmpeg", ["-nostdin", "-hide_banner", "-i", p.path("out/bed.wav"),
                                                                     "-af", "ebur128", "-f", "null", "-"])
        let integrated = report.split(separator: "\n").last { $0.contains(" I:") && $0.contains("LUFS") }
        let lufs = integrated.flatMap { line in line.split(separator: " ").compactMap { Double($0) }.first }
        #expect(lufs != nil && abs(lufs! + 16) <= 1, "integrated loudness \(String(describing: lufs))")
    }

    @Test func overlayAndSubtitlesKeepTheSound() throws {
        let p = try project(MediaFixtures.tinyPresetJobfile + """
              marked:
                output: out/marked.mp4
                overlay: {input: media/wide.mp4, image: media/logo.png, position: top-left, opacity: 0.5, scale: 0.25}
              subbed:
                output: out/subbed.mp4
                subtitles: {input: media/wide.mp4, subtitles: subs.srt, style: "FontName=DejaVu Sans,FontSize=24"}
              wrong:
                output: out/wrong.mp4
                overlay: {input: media/wide.mp4, image: media/logo.png, position: middle}
            """)
        let bad = try p.job(["build"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("unknown position 'middle'"))
        try p.write("Jobfile", p.read("Jobfile")!.components(separatedBy: "  wrong:")[0])
        let r = try p.build()
        #expect(r.status == 0, "\(r.stderr)")
        for f in ["out/marked.mp4", "out/subbed.mp4"] {
            #expect(abs(try duration(p.path(f)) - 2) < 0.1)
            #expect(try MediaFixtures.probe(p.path(f), "stream=codec_type", stream: "a:0") == "audio")
        }
        // The burnt-in text changes the picture: the frames differ from the source's.
        let a = try MediaFixtures.run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", p.path("out/subbed.mp4"), "-frames:v", "1", "-f", "md5", "-"])
        let b = try MediaFixtures.run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", p.path("out/marked.mp4"), "-frames:v", "1", "-f", "md5", "-"])
        #expect(a != b)
    }
}

extension RecipeScenarios {
    @Test func aVideoOnlyPresetKeepsTheSoundAndEmptyListsFailWhenRun() throws {
        let p = try project("""
            version: 1
            presets:
              picture:
                video: {width: 160, height: 90, fps: 15, speed: ultrafast}
            rules:
              joined:
                output: out/joined.mp4
                concat: {inputs: [media/wide.mp4, media/wide.mp4], preset: picture}
              encoded:
                output: out/encoded.mp4
                encode: {input: media/wide.mp4, preset: picture}
              nothing:
                foreach: {n: {glob: "none/*.txt"}}
                output: out/${n}.txt
                run: touch ${out}
              empty-join:
                output: out/empty.mp4
                concat: {inputs: ["${rules.nothing}"]}
              empty-mix:
                output: out/empty.wav
                mix:
                  tracks:
                    - input: ["${rules.nothing}"]
            """)
        #expect(try p.job(["list"]).status == 0)
        let r = try p.build(["-k"])
        #expect(r.status == 1)
        for f in ["out/joined.mp4", "out/encoded.mp4"] {
            #expect(try MediaFixtures.probe(p.path(f), "stream=codec_type", stream: "a:0") == "audio", "\(f) lost its sound")
        }
        let errors = r.ruleEvents.compactMap { $0["error"] as? String }
        #expect(errors.contains { $0.contains("'concat' has no inputs") })
        #expect(errors.contains { $0.contains("track 1 of 'mix' has no input") })
        // The tools' identities are kept, so a no-op does not ask ffmpeg again.
        #expect(p.read("cache/tools")?.contains("ffmpeg version") == true)
    }
}
