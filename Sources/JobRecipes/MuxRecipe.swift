import JobBasics

/// `mux`: `video` with the sound of `audio`. `shortest` (default true) ends at the shorter of
/// the two; false pads the audio with silence or holds the video's last frame. Lengths come
/// from ffprobe and go in as `-t`: `-shortest` alone is unreliable (research notes, 4e).
public enum MuxRecipe: Recipe {
    public static let name = "mux"

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name,
                                      allowed: ["video", "audio", "shortest", "preset"], diagnostics: &d)
        else { return nil }
        let video = r.requiredString("video", diagnostics: &d)
        let audio = r.requiredString("audio", diagnostics: &d)
        let shortest = r.has("shortest") ? r.bool("shortest", diagnostics: &d) : true
        let found = request.presets.lookup(r, diagnostics: &d)
        guard let video, let audio, let shortest, let found else { return nil }
        let program = MuxProgram(video: video, audio: audio, shortest: shortest, preset: found)
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: [video, audio], tools: ["ffmpeg", "ffprobe"],
                                parameters: "video=\(video);audio=\(audio);shortest=\(shortest);\(found?.canonical ?? "")")
    }
}

struct MuxProgram: RecipeProgram {
    let video: String
    let audio: String
    let shortest: Bool
    let preset: Preset?

    func run(_ context: any RecipeRunContext) async throws {
        let v = try await context.probe(video)
        let a = try await context.probe(audio)
        guard v.video != nil else { throw RecipeInputError("'\(video)' has no video stream") }
        guard a.audio != nil else { throw RecipeInputError("'\(audio)' has no audio stream") }
        let length = shortest ? min(v.duration, a.duration) : max(v.duration, a.duration)
        var argv = FFmpegArguments.start + ["-i", video, "-i", audio, "-map", "0:v:0", "-map", "1:a:0"]
        let holdLastFrame = !shortest && v.duration < length
        if holdLastFrame || preset?.video != nil {
            var vf = preset?.video.map(FFmpegArguments.videoFilter) ?? "format=yuv420p"
            if holdLastFrame { vf = "tpad=stop_mode=clone:stop_duration=\(ffmpegSeconds(length - v.duration))," + vf }
            argv += ["-vf", vf] + FFmpegArguments.videoCodec(preset?.video ?? FFmpegArguments.defaultVideo)
        } else {
            argv += ["-c:v", "copy"]
        }
        let sound = preset?.audio ?? Preset.Audio()
        var af = FFmpegArguments.audioFilter(sound)
        if a.duration < length { af += ",apad=whole_dur=\(ffmpegSeconds(length))" }
        argv += ["-af", af] + FFmpegArguments.audioCodec(sound)
        argv += ["-t", ffmpegSeconds(length)] + FFmpegArguments.reproducible + [context.outputs[0]]
        try await context.run(argv, expectedSeconds: length)
    }
}
