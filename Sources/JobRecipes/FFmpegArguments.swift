/// The pieces of FFmpeg command lines that every recipe shares. Flags are those the research
/// notes measured as making outputs byte-identical from run to run.
public enum FFmpegArguments {
    /// `-nostdin`: never read the terminal; `-y`: the output is a temporary name of job's.
    public static let start = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]

    /// No encoder version strings, no input metadata, exact scaling: same inputs, same bytes.
    public static let reproducible = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                                      "-map_metadata", "-1", "-sws_flags", "bicubic+accurate_rnd+full_chroma_int+bitexact"]

    /// Scale into the preset's frame keeping the aspect ratio (padding the rest with black),
    /// then fix the frame rate and pixel format.
    public static func videoFilter(_ v: Preset.Video) -> String {
        var chain: [String] = []
        if let w = v.width, let h = v.height {
            chain.append("scale=\(w):\(h):force_original_aspect_ratio=decrease")
            chain.append("pad=\(w):\(h):(ow-iw)/2:(oh-ih)/2:color=black")
            chain.append("setsar=1")
        }
        chain.append("fps=\(v.fps)")
        chain.append("format=\(v.pixelFormat)")
        return chain.joined(separator: ",")
    }

    public static func videoCodec(_ v: Preset.Video) -> [String] {
        var args = ["-c:v", v.codec]
        if v.codec == "libx264" || v.codec == "libx265" { args += ["-preset", v.speed, "-crf", String(v.crf)] }
        args += ["-pix_fmt", v.pixelFormat, "-threads", String(v.threads)]
        return args
    }

    public static func audioFilter(_ a: Preset.Audio) -> String {
        "aresample=\(a.sampleRate),aformat=channel_layouts=\(a.channels == 1 ? "mono" : a.channels == 2 ? "stereo" : "\(a.channels)c")"
    }

    public static func audioCodec(_ a: Preset.Audio) -> [String] {
        var args = ["-c:a", a.codec]
        if let b = a.bitrate { args += ["-b:a", b] }
        args += ["-ar", String(a.sampleRate), "-ac", String(a.channels)]
        return args
    }

    /// The video settings for a recipe that redraws a picture (overlay, subtitles): the
    /// preset's, or the default codec at the input's own size and frame rate.
    public static func videoKeepingFrame(of input: MediaInfo.VideoStream, preset: Preset?) -> Preset.Video {
        if let v = preset?.video { return v }
        var video = defaultVideo
        video.width = input.width
        video.height = input.height
        video.fps = input.frameRate
        return video
    }

    /// The input's sound: converted to the preset's audio, or copied as it is without one.
    public static func keptAudio(_ info: MediaInfo, preset: Preset?) -> [String] {
        guard info.audio != nil else { return [] }
        if let a = preset?.audio { return ["-map", "0:a:0", "-af", audioFilter(a)] + audioCodec(a) }
        return ["-map", "0:a:0", "-c:a", "copy"]
    }

    /// When no preset is given: H.264 and AAC at high quality, the input's size and rate kept.
    public static let defaultVideo: Preset.Video = {
        var v = Preset.Video()
        v.crf = 18
        return v
    }()
}
