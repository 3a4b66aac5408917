/// Audio written by extension: the codec ffmpeg picks for it, with settings pinned so that the
/// bytes repeat (bitexact containers, a fixed rate).
enum AudioOutput {
    static func codecArguments(forExtensionOf path: String) -> [String] {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        switch ext {
        case "mp3": return ["-c:a", "libmp3lame", "-b:a", "128k"]
        case "m4a", "aac", "mp4": return ["-c:a", "aac", "-b:a", "192k"]
        case "flac": return ["-c:a", "flac"]
        case "ogg", "oga": return ["-c:a", "libvorbis", "-q:a", "5"]
        case "opus": return ["-c:a", "libopus", "-b:a", "96k"]
        default: return ["-c:a", "pcm_s16le"]
        }
    }

    static func isWAV(_ path: String) -> Bool { path.lowercased().hasSuffix(".wav") }
}
