import JobBasics

/// `tts`: speech from `text` or `text_file`, with `voice`, `rate` (words per minute), `pitch`
/// (0-99), `engine`: `espeak-ng` (local and deterministic) or `openai` (an OpenAI-compatible
/// endpoint: `endpoint`, `model`, `api_key_env`). The output's extension picks the format.
public enum TTSRecipe: Recipe {
    public static let name = "tts"
    static let engines = ["espeak-ng", "openai"]

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name,
                                      allowed: ["text", "text_file", "voice", "rate", "pitch", "engine",
                                                "endpoint", "model", "api_key_env"], diagnostics: &d)
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
        if engine == "openai" {
            return openAI(r, request: request, text: text, textFile: textFile, diagnostics: &d)
        }
        for key in ["endpoint", "model", "api_key_env"] where r.has(key) {
            d.error("'\(key)' is for the openai engine, not \(engine)", at: r.place(key))
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

extension TTSRecipe {
    /// The cloud engine. The key holds the model, voice, speed and text; not the endpoint or
    /// the API key (research notes, section 3), so moving to a proxy rebuilds nothing.
    static func openAI(_ r: ParameterReader, request: RecipeRequest, text: String?, textFile: String?,
                       diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        if r.has("pitch") { d.error("the openai engine has no 'pitch'", at: r.place("pitch")) }
        let endpoint = r.string("endpoint", diagnostics: &d) ?? "https://api.openai.com"
        if !(endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://")) {
            d.error("'endpoint' must be an http(s) URL, not '\(endpoint)'", at: r.place("endpoint"))
        }
        let model = r.string("model", diagnostics: &d) ?? "tts-1"
        let voice = r.string("voice", diagnostics: &d) ?? "alloy"
        let keyVariable = r.string("api_key_env", diagnostics: &d) ?? "OPENAI_API_KEY"
        // `rate` is words per minute for every engine; 175 is the vendor's speed 1.0.
        let rate = r.has("rate") ? r.number("rate", in: 44...700, diagnostics: &d) : nil
        guard text != nil || textFile != nil, !d.hasErrors else { return nil }
        let speed = rate.map { ($0 / 175 * 100).rounded() / 100 }
        let program = OpenAISpeechProgram(text: text, textFile: textFile, endpoint: endpoint, model: model, voice: voice,
                                          speed: speed, apiKeyVariable: keyVariable, attempts: 4, firstDelay: 1)
        let tools = AudioOutput.isWAV(request.outputs[0]) ? [] : ["ffmpeg"]
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: textFile.map { [$0] } ?? [], tools: tools, requires: ["curl"],
                                parameters: "engine=openai;model=\(model);voice=\(voice);speed=\(speed.map { String($0) } ?? "-");"
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
