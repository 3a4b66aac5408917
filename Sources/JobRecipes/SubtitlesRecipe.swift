import JobBasics

/// `subtitles`: burn an SRT or ASS file (`subtitles`) into `input`, with `style` (libass
/// `force_style`, e.g. `FontName=DejaVu Sans,FontSize=24,Outline=2`). The sound is kept.
public enum SubtitlesRecipe: Recipe {
    public static let name = "subtitles"

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name, allowed: ["input", "subtitles", "style", "preset"],
                                      diagnostics: &d)
        else { return nil }
        let input = r.requiredString("input", diagnostics: &d)
        let file = r.requiredString("subtitles", diagnostics: &d)
        let style = r.string("style", diagnostics: &d)
        if let file, !(file.lowercased().hasSuffix(".srt") || file.lowercased().hasSuffix(".ass") || file.lowercased().hasSuffix(".ssa")) {
            d.error("'subtitles' must be an .srt or .ass file, not '\(file)'", at: r.place("subtitles"))
        }
        let found = request.presets.lookup(r, diagnostics: &d)
        guard let input, let file, let found, d.diagnostics.isEmpty || !d.hasErrors else { return nil }
        let program = SubtitlesProgram(input: input, file: file, style: style, preset: found)
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: [input, file], tools: ["ffmpeg", "ffprobe"],
                                parameters: "input=\(input);subtitles=\(file);style=\(style ?? "-");\(found?.canonical ?? "")")
    }
}

struct SubtitlesProgram: RecipeProgram {
    let input: String
    let file: String
    let style: String?
    let preset: Preset?

    func run(_ context: any RecipeRunContext) async throws {
        let info = try await context.probe(input)
        guard let v = info.video else { throw RecipeInputError("'\(input)' has no video stream for subtitles") }
        let video = FFmpegArguments.videoKeepingFrame(of: v, preset: preset)
        var filter = "subtitles=filename=\(filterQuoted(file))"
        if let style { filter += ":force_style=\(filterQuoted(style))" }
        var argv = FFmpegArguments.start + ["-i", input, "-map", "0:v:0",
                                            "-vf", FFmpegArguments.videoFilter(video) + "," + filter]
        argv += FFmpegArguments.videoCodec(video)
        argv += FFmpegArguments.keptAudio(info, preset: preset)
        try await context.run(argv + FFmpegArguments.reproducible + [context.outputs[0]], expectedSeconds: info.duration)
    }
}

/// A value inside a filtergraph option: quoted, with the characters the filter parser treats
/// specially escaped (two levels: the option, then the graph).
func filterQuoted(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "'": out += "\\\\\\'"
        case "\\": out += "\\\\\\\\"
        case ":": out += "\\\\:"
        case ",", ";", "[", "]": out += "\\" + String(c)
        default: out.append(c)
        }
    }
    return out
}
