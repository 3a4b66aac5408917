import JobBasics

/// `tts`: speech from `text` or `text_file`, with `voice`, `rate` (words per minute), `pitch`
/// (0-99), `engine` (`espeak-ng`, local and deterministic). The output's extension picks the
/// format: WAV directly, anything else converted by ffmpeg.
public enum TTSRecipe: Recipe {
    public static let name = "tts"
    static let engines = ["espeak-ng"]

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name,
                                      allowed: ["text", "text_file", "voice", "rate", "pitch", "engine"], diagnostics: &d)
        else { return nil }
        let text = r.string("text", diagnostics: &d)
        let textFile = r.string("text_file", diagnostics: &d)
        if r.has("text") == r.has("text_file") {
            d.error("'tts' needs 'text' or 'text_file' (one of them)", at: r.location)
        }
        let engine = r.string("engine", diagnostics: &d) ?? "espeak-ng"
        if !engines.contains(engine) {
            var m = "unknown TTS engine '\(engine)' (this version has: \(engines.joined(separator: ", ")))"
            if let near = nearestName(to: engine, in: engines) { m += " (did you mean '\(near)'?)" }
            d.error(m, at: r.place("engine"))
        }
        let voice = r.string("voice", diagnostics: &d) ?? "en-us"
        let rate = r.has("rate") ? r.number("rate", in: 80...500, diagnostics: &d) : 175
        let pitch = r.has("pitch") ? r.number("pitch", in: 0...99, diagnostics: &d) : 50
        guard text != nil || textFile != nil, let rate, let pitch, engines.contains(engine) else { return nil }
        let output = request.outputs[0]
        let program = ESpeakProgram(text: text, textFile: textFile, voice: voice, rate: Int(rate), pitch: Int(pitch))
        var tools = ["espeak-ng"]
        if !AudioOutput.isWAV(output) { tools.append("ffmpeg") }
        // The text itself (or the file's content, as an input) and every setting are the key.
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: textFile.map { [$0] } ?? [], tools: tools,
                                parameters: "engine=\(engine);voice=\(voice);rate=\(Int(rate));pitch=\(Int(pitch));"
                                    + (text.map { "text=" + $0 } ?? "text_file=" + textFile!))
    }
}

struct ESpeakProgram: RecipeProgram {
    let text: String?
    let textFile: String?
    let voice: String
    let rate: Int
    let pitch: Int

    func run(_ context: any RecipeRunContext) async throws {
        let output = context.outputs[0]
        // espeak-ng writes WAV; `-w` (never stdout, whose header holds a placeholder size).
        let wav = AudioOutput.isWAV(output) ? output : context.scratchDirectory + "/speech.wav"
        var argv = ["espeak-ng", "-v", voice, "-s", String(rate), "-p", String(pitch), "-w", wav]
        if let textFile {
            argv += ["-f", textFile]
        } else if let text {
            // A leading '-' would read as an option; espeak-ng ignores leading spaces.
            argv.append(text.hasPrefix("-") ? " " + text : text)
        }
        try await context.run(argv)
        if wav != output {
            try await context.run(FFmpegArguments.start + ["-i", wav] + AudioOutput.codecArguments(forExtensionOf: output)
                                  + FFmpegArguments.reproducible + [output])
        }
    }
}
