import Foundation

/// Tiny media made on the spot with lavfi: nothing binary is committed.
enum MediaFixtures {
    /// The start of a Jobfile with a `tiny` preset (160x90, fast to encode), up to `rules:`.
    static let tinyPresetJobfile = """
        version: 1
        presets:
          tiny:
            video: {width: 160, height: 90, fps: 15, speed: ultrafast}
            audio: {bitrate: 64k}
        rules:

        """

    /// A test pattern with a tone: `seconds` long, `width`x`height` at `fps`.
    static func clip(_ path: String, seconds: Double = 2, width: Int = 320, height: Int = 180, fps: Int = 15,
                     audio: Bool = true) throws {
        var args = ["-nostdin", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc=size=\(width)x\(height):rate=\(fps):duration=\(seconds)"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)"] }
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        if audio { args += ["-c:a", "aac"] }
        args.append(path)
        try run("ffmpeg", args)
    }

    static func tone(_ path: String, seconds: Double = 2, frequency: Int = 440) throws {
        try run("ffmpeg", ["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
                           "-i", "sine=frequency=\(frequency):duration=\(seconds)", path])
    }

    /// What ffprobe says of `key` (`format=duration`, `stream=width`...), first value.
    static func probe(_ path: String, _ entries: String, stream: String? = nil) throws -> String {
        var args = ["-v", "error", "-show_entries", entries, "-of", "default=noprint_wrappers=1:nokey=1"]
        if let stream { args += ["-select_streams", stream] }
        return try run("ffprobe", args + [path]).split(separator: "\n").first.map(String.init) ?? ""
    }

    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw FixtureError(message: "\(tool) \(args.joined(separator: " ")) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a tool and returns what it wrote to stderr (ffmpeg's reports go there).
    static func runCapturingStderr(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    struct FixtureError: Error { var message: String }
}
