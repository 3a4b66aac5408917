import Foundation
import JobBasics

/// `mix`: `tracks`, each an `input` (several files play one after another), `volume`, `delay`
/// (seconds), `duck` (lowered while the other tracks sound: a sidechain compressor keyed on
/// them); optional `loudness` (target LUFS, two-pass linear loudnorm, within 1 LU).
public enum MixRecipe: Recipe {
    public static let name = "mix"

    struct Track: Sendable, Hashable {
        var inputs: [String]
        var volume: Double
        var delay: Double
        var duck: Bool
    }

    public static func invocation(_ request: RecipeRequest, diagnostics d: inout DiagnosticBag) -> RecipeInvocation? {
        guard let r = ParameterReader(request.parameters, recipe: name, allowed: ["tracks", "loudness"], diagnostics: &d)
        else { return nil }
        var tracks: [Track] = []
        var ok = true
        if case .list(let items, _)? = r.value("tracks") {
            for item in items {
                guard let t = ParameterReader(item, recipe: "a track of 'mix'", allowed: ["input", "volume", "delay", "duck"],
                                              diagnostics: &d) else { ok = false; continue }
                let inputs = t.strings("input", diagnostics: &d)
                if !t.has("input") { d.error("a track of 'mix' needs 'input'", at: t.location) }
                let volume = t.has("volume") ? t.number("volume", in: 0...10, diagnostics: &d) : 1
                let delay = t.has("delay") ? t.seconds("delay", diagnostics: &d) : 0
                let duck = t.has("duck") ? t.bool("duck", diagnostics: &d) : false
                // An empty list (a glob that matched nothing) is the build's problem, not the
                // Jobfile's: `job list` must still load it. The program refuses it when it runs.
                guard let inputs, let volume, let delay, let duck else { ok = false; continue }
                tracks.append(Track(inputs: inputs, volume: volume, delay: delay, duck: duck))
            }
        } else {
            d.error("'mix' needs 'tracks', a list of {input, volume, delay, duck}", at: r.has("tracks") ? r.place("tracks") : r.location)
            ok = false
        }
        if ok && tracks.isEmpty { d.error("'tracks' of 'mix' is empty", at: r.place("tracks")); ok = false }
        if ok && !tracks.isEmpty && tracks.allSatisfy(\.duck) {
            d.error("every track ducks: 'duck' lowers a track under the others, so at least one must not", at: r.place("tracks"))
            ok = false
        }
        let loudness = r.has("loudness") ? r.number("loudness", in: -70 ... -5, diagnostics: &d) : nil
        guard ok, !r.has("loudness") || loudness != nil else { return nil }
        let program = MixProgram(tracks: tracks, loudness: loudness)
        let described = tracks.map { "\($0.inputs.joined(separator: "+"))@\($0.volume)+\(ffmpegSeconds($0.delay))\($0.duck ? "duck" : "")" }
        return RecipeInvocation(kind: name, commands: [], program: program, source: request.parameters,
                                reads: tracks.flatMap(\.inputs), tools: ["ffmpeg", "ffprobe"],
                                parameters: "tracks=\(described.joined(separator: "|"));loudness=\(loudness.map { String($0) } ?? "-")")
    }
}

struct MixProgram: RecipeProgram {
    let tracks: [MixRecipe.Track]
    let loudness: Double?

    static let format = "aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo"

    func run(_ context: any RecipeRunContext) async throws {
        var argv = FFmpegArguments.start
        var graph: [String] = []
        var index = 0
        var labels: [String] = []
        var longest = 0.0
        for (k, track) in tracks.enumerated() {
            if track.inputs.isEmpty {
                throw RecipeInputError("track \(k + 1) of 'mix' has no input (does the list or glob behind it match nothing?)")
            }
            var parts: [String] = []
            var trackLength = track.delay
            for (j, input) in track.inputs.enumerated() {
                let info = try await context.probe(input)
                trackLength += info.duration
                guard info.audio != nil else { throw RecipeInputError("'\(input)' has no audio stream to mix") }
                argv += ["-i", input]
                graph.append("[\(index):a:0]\(Self.format)[t\(k)p\(j)]")
                parts.append("[t\(k)p\(j)]")
                index += 1
            }
            var chain = parts.count > 1 ? "\(parts.joined())concat=n=\(parts.count):v=0:a=1" : "\(parts[0])anull"
            if track.delay > 0 { chain += ",adelay=\(Int((track.delay * 1000).rounded())):all=1" }
            if track.volume != 1 { chain += ",volume=\(track.volume)" }
            graph.append(chain + "[t\(k)]")
            longest = max(longest, trackLength)
            labels.append("[t\(k)]")
        }
        let ducked = tracks.indices.filter { tracks[$0].duck }
        let leading = tracks.indices.filter { !tracks[$0].duck }
        var finals: [String] = []
        if ducked.isEmpty {
            finals = labels
        } else {
            // The tracks that are not ducked form the key: while they sound, the others drop.
            let key = leading.count > 1
                ? leading.map { labels[$0] }.joined() + "amix=inputs=\(leading.count):duration=longest:dropout_transition=0:normalize=0"
                : labels[leading[0]] + "anull"
            graph.append(key + ",asplit=\(ducked.count + 1)[lead]" + ducked.map { "[key\($0)]" }.joined())
            finals.append("[lead]")
            for k in ducked {
                graph.append("\(labels[k])[key\(k)]sidechaincompress=threshold=0.02:ratio=10:attack=20:release=400[d\(k)]")
                finals.append("[d\(k)]")
            }
        }
        graph.append(finals.count > 1
            ? finals.joined() + "amix=inputs=\(finals.count):duration=longest:dropout_transition=0:normalize=0[mix]"
            : finals[0] + "anull[mix]")
        argv += ["-filter_complex", graph.joined(separator: ";"), "-map", "[mix]"]
        let output = context.outputs[0]
        guard let target = loudness else {
            try await context.run(argv + AudioOutput.codecArguments(forExtensionOf: output) + ["-ar", "48000"]
                                  + FFmpegArguments.reproducible + [output], expectedSeconds: longest)
            return
        }
        // Two-pass loudnorm: measure, then correct linearly with the measured values (one pass
        // lands about 1 LU off and compresses the range).
        let premix = context.scratchDirectory + "/premix.wav"
        try await context.run(argv + ["-c:a", "pcm_f32le", "-ar", "48000"] + FFmpegArguments.reproducible + [premix],
                              expectedSeconds: longest)
        let settings = "I=\(target):TP=-1.5:LRA=11"
        let report = try await context.capture(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "info", "-i", premix,
                                                "-af", "loudnorm=\(settings):print_format=json", "-f", "null", "-"])
        let m = Self.measurements(report)
        let second = "loudnorm=\(settings):measured_I=\(m["input_i"] ?? "MEASURED")"
            + ":measured_TP=\(m["input_tp"] ?? "MEASURED"):measured_LRA=\(m["input_lra"] ?? "MEASURED")"
            + ":measured_thresh=\(m["input_thresh"] ?? "MEASURED"):offset=\(m["target_offset"] ?? "MEASURED"):linear=true"
        try await context.run(FFmpegArguments.start + ["-i", premix, "-af", second]
                               + AudioOutput.codecArguments(forExtensionOf: output) + ["-ar", "48000"]
                               + FFmpegArguments.reproducible + [output])
    }

    /// The JSON block loudnorm prints at the end of its first pass.
    static func measurements(_ text: String) -> [String: String] {
        guard let open = text.lastIndex(of: "{"), let close = text.lastIndex(of: "}"), open < close,
              let data = String(text[open...close]).data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return [:] }
        return object
    }
}
