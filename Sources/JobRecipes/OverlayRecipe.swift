import JobBasics

/// `overlay`: a watermark or logo (`image`) on `input`, at `position` (`top-left`, `top-right`,
/// `bottom-left`, `bottom-right`, `center`), with `opacity` (0-1) and `scale` (its width as a
/// fraction of the video's). The sound is kept as it is.
public enum OverlayRecipe: Recipe {
    public static let name = "overlay"
    static let positions = ["top-left", "top-right", "bottom-left", "bottom-right", "center"]

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name,
                                      allowed: ["input", "image", "position", "opacity", "scale", "margin", "preset"], diagnostics: &d)
        else { return nil }
        let input = r.requiredString("input", diagnostics: &d)
        let image = r.requiredString("image", diagnostics: &d)
        let position = r.string("position", diagnostics: &d) ?? "bottom-right"
        if !positions.contains(position) {
            var m = "unknown position '\(position)' (one of: \(positions.joined(separator: ", ")))"
            if let near = nearestName(to: position, in: positions) { m += " (did you mean '\(near)'?)" }
            d.error(m, at: r.place("position"))
        }
        let opacity = r.has("opacity") ? r.number("opacity", in: 0...1, diagnostics: &d) : 1
        let scale = r.has("scale") ? r.number("scale", in: 0.01...1, diagnostics: &d) : 0.15
        let margin = r.has("margin") ? r.number("margin", in: 0...10000, diagnostics: &d) : 16
        let found = request.presets.lookup(r, diagnostics: &d)
        guard let input, let image, positions.contains(position), let opacity, let scale, let margin, let found else { return nil }
        let program = OverlayProgram(input: input, image: image, position: position, opacity: opacity, scale: scale,
                                     margin: Int(margin), preset: found)
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: [input, image], tools: ["ffmpeg", "ffprobe"],
                                parameters: "input=\(input);image=\(image);\(position);\(opacity);\(scale);\(Int(margin));\(found?.canonical ?? "")")
    }
}

struct OverlayProgram: RecipeProgram {
    let input: String
    let image: String
    let position: String
    let opacity: Double
    let scale: Double
    let margin: Int
    let preset: Preset?

    func run(_ context: any RecipeRunContext) async throws {
        let info = try await context.probe(input)
        guard let v = info.video else { throw RecipeInputError("'\(input)' has no video stream to overlay") }
        let video = FFmpegArguments.videoKeepingFrame(of: v, preset: preset)
        let frameWidth = video.width ?? v.width
        let logoWidth = max(2, Int((Double(frameWidth) * scale / 2).rounded()) * 2)
        let m = margin
        let xy: String
        switch position {
        case "top-left": xy = "x=\(m):y=\(m)"
        case "top-right": xy = "x=W-w-\(m):y=\(m)"
        case "bottom-left": xy = "x=\(m):y=H-h-\(m)"
        case "center": xy = "x=(W-w)/2:y=(H-h)/2"
        default: xy = "x=W-w-\(m):y=H-h-\(m)"
        }
        let graph = "[0:v:0]\(FFmpegArguments.videoFilter(video))[base];"
            + "[1:v]scale=\(logoWidth):-2,format=rgba,colorchannelmixer=aa=\(opacity)[logo];"
            + "[base][logo]overlay=\(xy),format=\(video.pixelFormat)[v]"
        var argv = FFmpegArguments.start + ["-i", input, "-i", image, "-filter_complex", graph, "-map", "[v]"]
        argv += FFmpegArguments.videoCodec(video)
        argv += FFmpegArguments.keptAudio(info, preset: preset)
        try await context.run(argv + FFmpegArguments.reproducible + [context.outputs[0]], expectedSeconds: info.duration)
    }
}
