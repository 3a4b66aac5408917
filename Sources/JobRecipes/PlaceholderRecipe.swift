import JobBasics

/// `placeholder`: a stand-in clip, black frames of the preset's size with a quiet tone, for
/// `duration` seconds: what a `fallback:` makes so that a long render still completes when one
/// clip cannot be made. An audio-only preset gives the tone alone.
public enum PlaceholderRecipe: Recipe {
    public static let name = "placeholder"

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name, allowed: ["duration", "preset"], diagnostics: &d)
        else { return nil }
        if !r.has("duration") { d.error("'placeholder' needs 'duration'", at: r.location) }
        let duration = r.has("duration") ? r.seconds("duration", diagnostics: &d) : nil
        if let v = duration, v <= 0 { d.error("'duration' must be more than 0", at: r.place("duration")) }
        let found = request.presets.lookup(r, diagnostics: &d)
        guard let duration, duration > 0, let found else { return nil }
        let preset = found ?? Preset.builtIn["web-720p"]!
        return RecipeInvocation(kind: name, commands: [], program: PlaceholderProgram(duration: duration, preset: preset),
                                source: request.parameters, reads: [], tools: ["ffmpeg"],
                                parameters: "duration=\(ffmpegSeconds(duration));\(preset.canonical)")
    }
}

struct PlaceholderProgram: RecipeProgram {
    let duration: Double
    let preset: Preset

    func run(_ context: any RecipeRunContext) async throws {
        let seconds = ffmpegSeconds(duration)
        var argv = FFmpegArguments.start
        var index = 0
        if let v = preset.video {
            argv += ["-f", "lavfi", "-i", "color=c=black:s=\(v.width ?? 1280)x\(v.height ?? 720):r=\(v.fps):d=\(seconds)"]
            index += 1
        }
        let a = preset.audio ?? Preset.Audio()
        argv += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=\(a.sampleRate):duration=\(seconds)"]
        if let v = preset.video {
            argv += ["-map", "0:v:0", "-vf", "format=\(v.pixelFormat)"] + FFmpegArguments.videoCodec(v)
        }
        argv += ["-map", "\(index):a:0", "-af", "volume=0.1," + FFmpegArguments.audioFilter(a)] + FFmpegArguments.audioCodec(a)
        try await context.run(argv + ["-t", seconds] + FFmpegArguments.reproducible + [context.outputs[0]],
                              expectedSeconds: duration)
    }
}
