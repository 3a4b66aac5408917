import JobBasics

/// `still`: an image held as video, for as long as `audio` plays (which becomes its sound) or
/// for `duration` seconds (with silence, so that it joins other clips). Slides, podcast covers.
public enum StillRecipe: Recipe {
    public static let name = "still"

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name,
                                      allowed: ["image", "audio", "duration", "preset"], diagnostics: &d)
        else { return nil }
        let image = r.requiredString("image", diagnostics: &d)
        let audio = r.string("audio", diagnostics: &d)
        var duration: Double?
        if r.has("audio") == r.has("duration") {
            d.error("'still' needs 'audio' or 'duration' (one of them)", at: r.location)
        } else if r.has("duration") {
            duration = r.seconds("duration", diagnostics: &d)
            if let v = duration, v <= 0 { d.error("'duration' must be more than 0", at: r.place("duration")); duration = nil }
        }
        let found = request.presets.lookup(r, diagnostics: &d)
        guard let image, audio != nil || duration != nil, let found else { return nil }
        let preset = found ?? Preset.builtIn["web-720p"]!
        let program = StillProgram(image: image, audio: audio, duration: duration, preset: preset)
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: [image] + (audio.map { [$0] } ?? []), tools: ["ffmpeg", "ffprobe"],
                                parameters: "image=\(image);audio=\(audio ?? "-");duration=\(duration.map(ffmpegSeconds) ?? "-");\(preset.canonical)")
    }
}

struct StillProgram: RecipeProgram {
    let image: String
    let audio: String?
    let duration: Double?
    let preset: Preset

    func run(_ context: any RecipeRunContext) async throws {
        let video = preset.video ?? FFmpegArguments.defaultVideo
        let sound = preset.audio ?? Preset.Audio()
        var argv = FFmpegArguments.start + ["-loop", "1", "-framerate", video.fps, "-i", image]
        let length: Double
        if let audio {
            let info = try await context.probe(audio)
            guard info.audio != nil else { throw RecipeInputError("'\(audio)' has no audio stream") }
            length = info.duration
            argv += ["-i", audio]
        } else {
            length = duration!
            argv += ["-f", "lavfi", "-i", "anullsrc=r=\(sound.sampleRate):cl=\(sound.channels == 1 ? "mono" : "stereo")"]
        }
        // `-t` from the measured length, never `-shortest` (it overshoots by frames).
        argv += ["-map", "0:v:0", "-map", "1:a:0", "-vf", FFmpegArguments.videoFilter(video)]
        argv += FFmpegArguments.videoCodec(video)
        if video.codec == "libx264" { argv += ["-tune", "stillimage"] }
        argv += ["-af", FFmpegArguments.audioFilter(sound)] + FFmpegArguments.audioCodec(sound)
        argv += ["-t", ffmpegSeconds(length)] + FFmpegArguments.reproducible + [context.outputs[0]]
        try await context.run(argv, expectedSeconds: length)
    }
}
