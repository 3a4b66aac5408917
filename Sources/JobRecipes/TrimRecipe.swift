import JobBasics

/// `trim`: `input`, `start`, `end` or `duration`, optional `preset`, `copy`. Frame-accurate by
/// default (re-encodes from the exact start); `copy: true` cuts at keyframes without encoding,
/// which is fast but starts at the keyframe before `start`.
public enum TrimRecipe: Recipe {
    public static let name = "trim"

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name,
                                      allowed: ["input", "start", "end", "duration", "preset", "copy"], diagnostics: &d)
        else { return nil }
        let input = r.requiredString("input", diagnostics: &d)
        let start = r.has("start") ? r.seconds("start", diagnostics: &d) : 0
        var length: Double?
        if r.has("end") && r.has("duration") {
            d.error("'trim' takes 'end' or 'duration', not both", at: r.place("duration"))
        } else if r.has("end") {
            if let end = r.seconds("end", diagnostics: &d), let start {
                if end > start { length = end - start }
                else { d.error("'end' (\(ffmpegSeconds(end)) s) must be after 'start' (\(ffmpegSeconds(start)) s)", at: r.place("end")) }
            }
        } else if r.has("duration") {
            if let v = r.seconds("duration", diagnostics: &d) {
                if v > 0 { length = v } else { d.error("'duration' must be more than 0", at: r.place("duration")) }
            }
        } else {
            d.error("'trim' needs 'end' or 'duration'", at: r.location)
        }
        let copy = r.has("copy") ? r.bool("copy", diagnostics: &d) : false
        if copy == true && r.has("preset") {
            d.error("'copy: true' keeps the input's codecs; it cannot apply a preset", at: r.place("copy"))
        }
        let found = request.presets.lookup(r, diagnostics: &d)
        guard let input, let start, let length, let copy, let found else { return nil }
        let program = TrimProgram(input: input, start: start, length: length, copy: copy, preset: found)
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: [input], tools: ["ffmpeg", "ffprobe"],
                                parameters: "input=\(input);start=\(ffmpegSeconds(start));length=\(ffmpegSeconds(length));copy=\(copy);\(found?.canonical ?? "")")
    }
}

struct TrimProgram: RecipeProgram {
    let input: String
    let start: Double
    let length: Double
    let copy: Bool
    let preset: Preset?

    func run(_ context: any RecipeRunContext) async throws {
        let info = try await context.probe(input)
        if start >= info.duration {
            throw RecipeInputError("'start' (\(ffmpegSeconds(start)) s) is past the end of '\(input)' (\(ffmpegSeconds(info.duration)) s)")
        }
        var argv = FFmpegArguments.start + ["-ss", ffmpegSeconds(start), "-i", input, "-t", ffmpegSeconds(length)]
        if copy {
            argv += ["-map", "0", "-c", "copy", "-avoid_negative_ts", "make_zero"]
        } else {
            if let v = info.video {
                var video = preset?.video ?? FFmpegArguments.defaultVideo
                if preset?.video == nil { video.fps = v.frameRate }
                argv += ["-map", "0:v:0", "-vf", FFmpegArguments.videoFilter(video)] + FFmpegArguments.videoCodec(video)
            }
            if let a = info.audio {
                let audio = preset?.audio ?? Preset.Audio(sampleRate: a.sampleRate, channels: a.channels)
                argv += ["-map", "0:a:0", "-af", FFmpegArguments.audioFilter(audio)] + FFmpegArguments.audioCodec(audio)
            }
        }
        try await context.run(argv + FFmpegArguments.reproducible + [context.outputs[0]],
                              expectedSeconds: min(length, info.duration - start))
    }
}
