import JobBasics

/// `encode`: `input`, `preset`: convert a file to the preset's codecs, size and rates.
public enum EncodeRecipe: Recipe {
    public static let name = "encode"

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name, allowed: ["input", "preset"], diagnostics: &d)
        else { return nil }
        let input = r.requiredString("input", diagnostics: &d)
        if !r.has("preset") { d.error("'encode' needs 'preset'", at: r.location) }
        guard let input, let found = request.presets.lookup(r, diagnostics: &d), let preset = found else { return nil }
        return RecipeInvocation(kind: name, commands: [], program: EncodeProgram(input: input, preset: preset),
                                source: request.parameters, reads: [input], tools: ["ffmpeg", "ffprobe"],
                                parameters: "input=\(input);\(preset.canonical)")
    }
}

struct EncodeProgram: RecipeProgram {
    let input: String
    let preset: Preset

    func run(_ context: any RecipeRunContext) async throws {
        let info = try await context.probe(input)
        var argv = FFmpegArguments.start + ["-i", input]
        var streams = 0
        if let v = preset.video, info.video != nil {
            argv += ["-map", "0:v:0", "-vf", FFmpegArguments.videoFilter(v)] + FFmpegArguments.videoCodec(v)
            streams += 1
        }
        // A video preset without `audio:` keeps the sound at the default audio settings; an
        // audio-only preset (wav-48k, podcast-mp3) drops the picture.
        if info.audio != nil, preset.audio != nil || preset.video != nil {
            let a = preset.audio ?? Preset.Audio()
            argv += ["-map", "0:a:0", "-af", FFmpegArguments.audioFilter(a)] + FFmpegArguments.audioCodec(a)
            streams += 1
        }
        if streams == 0 {
            throw RecipeInputError("'\(input)' has no stream that the preset encodes (it has \(info.video == nil ? "no video" : "video") and \(info.audio == nil ? "no audio" : "audio"))")
        }
        try await context.run(argv + FFmpegArguments.reproducible + [context.outputs[0]], expectedSeconds: info.duration)
    }
}
