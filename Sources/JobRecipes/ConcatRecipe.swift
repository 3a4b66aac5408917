import JobBasics

/// `concat`: `inputs` joined in order. The inputs are probed first: clips that differ in size,
/// frame rate, sample rate or in having sound are an error naming the file, both values and
/// the fix, unless `preset` (or `normalize: true`, to the first clip's format) says what to
/// convert them to: scaled with padding, resampled, silence for silent clips.
public enum ConcatRecipe: Recipe {
    public static let name = "concat"

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name, allowed: ["inputs", "preset", "normalize"], diagnostics: &d)
        else { return nil }
        let inputs = r.strings("inputs", diagnostics: &d)
        if !r.has("inputs") { d.error("'concat' needs 'inputs'", at: r.location) }
        let normalize = r.has("normalize") ? r.bool("normalize", diagnostics: &d) : false
        let found = request.presets.lookup(r, diagnostics: &d)
        guard let inputs, let normalize, let found else { return nil }
        let program = ConcatProgram(inputs: inputs, preset: found, normalize: normalize)
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: inputs, tools: ["ffmpeg", "ffprobe"],
                                parameters: "inputs=\(inputs.joined(separator: "|"));normalize=\(normalize);\(found?.canonical ?? "")")
    }
}

struct ConcatProgram: RecipeProgram {
    let inputs: [String]
    let preset: Preset?
    let normalize: Bool

    func run(_ context: any RecipeRunContext) async throws {
        // Allowed in the Jobfile (a glob may match nothing yet), refused when it must run.
        if inputs.isEmpty { throw RecipeInputError("'concat' has no inputs (does the list or glob behind it match nothing?)") }
        var infos: [MediaInfo] = []
        for input in inputs { infos.append(try await context.probe(input)) }
        let first = infos[0]
        let hasVideo = preset.map { $0.video != nil } ?? (first.video != nil)
        // A preset without `audio:` still keeps the sound, at the default audio settings.
        let hasAudio = infos.contains { $0.audio != nil }
        var video = preset?.video
        var audio = preset.map { $0.audio ?? Preset.Audio() }
        if preset == nil {
            if let v = first.video {
                var target = FFmpegArguments.defaultVideo
                target.width = v.width
                target.height = v.height
                target.fps = v.frameRate
                video = target
            }
            if let a = infos.first(where: { $0.audio != nil })?.audio {
                audio = Preset.Audio(sampleRate: a.sampleRate, channels: a.channels)
            }
            if !normalize { try checkCompatible(infos) }
        }
        var argv = FFmpegArguments.start
        for input in inputs { argv += ["-i", input] }
        var graph: [String] = []
        var joined = ""
        for (i, info) in infos.enumerated() {
            if hasVideo, let v = video {
                guard info.video != nil else { throw RecipeInputError("'\(inputs[i])' has no video stream to join") }
                graph.append("[\(i):v:0]\(FFmpegArguments.videoFilter(v)),setpts=PTS-STARTPTS[v\(i)]")
                joined += "[v\(i)]"
            }
            if hasAudio, let a = audio {
                if info.audio != nil {
                    graph.append("[\(i):a:0]\(FFmpegArguments.audioFilter(a)),asetpts=PTS-STARTPTS[a\(i)]")
                } else {
                    // A silent clip gets silence of its own length, so the sound stays in sync.
                    graph.append("anullsrc=r=\(a.sampleRate):cl=\(a.channels == 1 ? "mono" : "stereo"),atrim=duration=\(ffmpegSeconds(info.duration))[a\(i)]")
                }
                joined += "[a\(i)]"
            }
        }
        let v = hasVideo && video != nil ? 1 : 0, a = hasAudio && audio != nil ? 1 : 0
        graph.append("\(joined)concat=n=\(inputs.count):v=\(v):a=\(a)" + (v == 1 ? "[v]" : "") + (a == 1 ? "[a]" : ""))
        argv += ["-filter_complex", graph.joined(separator: ";")]
        if v == 1, let video { argv += ["-map", "[v]"] + FFmpegArguments.videoCodec(video) }
        if a == 1, let audio { argv += ["-map", "[a]"] + FFmpegArguments.audioCodec(audio) }
        try await context.run(argv + FFmpegArguments.reproducible + [context.outputs[0]],
                              expectedSeconds: infos.reduce(0) { $0 + $1.duration })
    }

    func checkCompatible(_ infos: [MediaInfo]) throws {
        let first = infos[0]
        let fix = "add 'preset:' to convert every input, or 'normalize: true' to convert them to '\(inputs[0])'"
        for (i, info) in infos.enumerated().dropFirst() {
            let name = inputs[i]
            if let a = first.video, let b = info.video {
                if (a.width, a.height) != (b.width, b.height) {
                    throw RecipeInputError("'\(name)' is \(b.width)x\(b.height) but '\(inputs[0])' is \(a.width)x\(a.height); \(fix)")
                }
                if a.frameRate != b.frameRate {
                    throw RecipeInputError("'\(name)' runs at \(b.frameRate) fps but '\(inputs[0])' at \(a.frameRate); \(fix)")
                }
            } else if (first.video == nil) != (info.video == nil) {
                throw RecipeInputError("'\(name)' \(info.video == nil ? "has no" : "has a") video stream but '\(inputs[0])' \(first.video == nil ? "has none" : "has one"); \(fix)")
            }
            if let a = first.audio, let b = info.audio, a.sampleRate != b.sampleRate {
                throw RecipeInputError("'\(name)' has sound at \(b.sampleRate) Hz but '\(inputs[0])' at \(a.sampleRate) Hz; \(fix)")
            }
            if (first.audio == nil) != (info.audio == nil) {
                throw RecipeInputError("'\(name)' \(info.audio == nil ? "has no" : "has an") audio stream but '\(inputs[0])' \(first.audio == nil ? "has none" : "has one"); \(fix)")
            }
        }
    }
}
