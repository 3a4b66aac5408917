import JobBasics

/// An FFmpeg output template. Every field that reproducibility needs is pinned: codec, pixel
/// format, frame rate, sample rate, and encoder threads (libx264's bytes change with them).
public struct Preset: Sendable, Hashable {
    public struct Video: Sendable, Hashable {
        public var codec = "libx264"
        public var crf = 20
        public var speed = "veryfast"
        public var width: Int?
        public var height: Int?
        public var fps = "30"
        public var pixelFormat = "yuv420p"
        public var threads = 2
    }
    public struct Audio: Sendable, Hashable {
        public var codec = "aac"
        public var bitrate: String? = "192k"
        public var sampleRate = 48000
        public var channels = 2
    }
    public var video: Video?
    public var audio: Audio?

    /// The canonical text of the preset, for action keys.
    public var canonical: String {
        var s = ""
        if let v = video {
            s += "video:\(v.codec),\(v.crf),\(v.speed),\(v.width ?? 0)x\(v.height ?? 0),\(v.fps),\(v.pixelFormat),\(v.threads);"
        }
        if let a = audio { s += "audio:\(a.codec),\(a.bitrate ?? "-"),\(a.sampleRate),\(a.channels);" }
        return s
    }

    static func video(_ w: Int, _ h: Int, crf: Int = 20) -> Preset {
        var v = Video()
        v.width = w
        v.height = h
        v.crf = crf
        return Preset(video: v, audio: Audio())
    }

    public static let builtIn: [String: Preset] = [
        "web-720p": .video(1280, 720, crf: 23),
        "web-1080p": .video(1920, 1080),
        "vertical-1080p": .video(1080, 1920),
        "square-1080p": .video(1080, 1080),
        "podcast-mp3": Preset(video: nil, audio: Audio(codec: "libmp3lame", bitrate: "128k", sampleRate: 44100, channels: 2)),
        "wav-48k": Preset(video: nil, audio: Audio(codec: "pcm_s16le", bitrate: nil, sampleRate: 48000, channels: 2)),
    ]
}

/// The presets a Jobfile can name: the built-in ones, with the Jobfile's `presets:` merged
/// over them field by field (a preset of a new name starts from the defaults).
public struct PresetTable: Sendable, Hashable {
    public var presets: [String: Preset]

    public init(presets: [String: Preset] = Preset.builtIn) { self.presets = presets }

    static let videoKeys: Set<String> = ["codec", "crf", "speed", "width", "height", "fps", "pix_fmt", "threads"]
    static let audioKeys: Set<String> = ["codec", "bitrate", "sample_rate", "channels"]

    public static func make(_ declared: [String: ParameterValue], diagnostics d: inout DiagnosticBag) -> PresetTable {
        var table = PresetTable()
        for (name, value) in declared.sorted(by: { $0.key < $1.key }) {
            guard let r = ParameterReader(value, recipe: "preset '\(name)'", allowed: ["video", "audio"], diagnostics: &d)
            else { continue }
            var preset = table.presets[name] ?? Preset(video: nil, audio: nil)
            if let v = r.value("video") {
                guard let vr = ParameterReader(v, recipe: "video of preset '\(name)'", allowed: videoKeys, diagnostics: &d)
                else { continue }
                var video = preset.video ?? Preset.Video()
                if let s = vr.string("codec", diagnostics: &d) { video.codec = s }
                if let n = vr.number("crf", in: 0...63, diagnostics: &d) { video.crf = Int(n) }
                if let s = vr.string("speed", diagnostics: &d) { video.speed = s }
                if let n = vr.number("width", in: 2...16384, diagnostics: &d) { video.width = Int(n) }
                if let n = vr.number("height", in: 2...16384, diagnostics: &d) { video.height = Int(n) }
                if let s = vr.string("fps", diagnostics: &d) {
                    if Double(s) != nil || s.split(separator: "/").count == 2 { video.fps = s }
                    else { d.error("'fps' must be a number or a ratio such as 30000/1001, not '\(s)'", at: vr.place("fps")) }
                }
                if let s = vr.string("pix_fmt", diagnostics: &d) { video.pixelFormat = s }
                if let n = vr.number("threads", in: 1...64, diagnostics: &d) { video.threads = Int(n) }
                preset.video = video
            }
            if let a = r.value("audio") {
                guard let ar = ParameterReader(a, recipe: "audio of preset '\(name)'", allowed: audioKeys, diagnostics: &d)
                else { continue }
                var audio = preset.audio ?? Preset.Audio()
                if let s = ar.string("codec", diagnostics: &d) { audio.codec = s }
                if let s = ar.string("bitrate", diagnostics: &d) { audio.bitrate = s }
                if let n = ar.number("sample_rate", in: 8000...384000, diagnostics: &d) { audio.sampleRate = Int(n) }
                if let n = ar.number("channels", in: 1...8, diagnostics: &d) { audio.channels = Int(n) }
                preset.audio = audio
            }
            table.presets[name] = preset
        }
        return table
    }

    /// The preset named by a recipe's `preset` parameter, or an error at its place.
    public func lookup(_ reader: ParameterReader, diagnostics d: inout DiagnosticBag) -> Preset?? {
        guard reader.has("preset") else { return .some(nil) }
        guard let name = reader.string("preset", diagnostics: &d) else { return nil }
        if let p = presets[name] { return .some(p) }
        var m = "unknown preset '\(name)'"
        if let near = nearestName(to: name, in: presets.keys.sorted()) { m += " (did you mean '\(near)'?)" }
        d.error(m, at: reader.place("preset"))
        return nil
    }
}
