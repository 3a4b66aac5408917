import Foundation
import JobBasics

/// The facts about a media file that recipes decide with, read from ffprobe's JSON.
public struct MediaInfo: Sendable, Hashable {
    public var duration: Double
    public var video: VideoStream?
    public var audio: AudioStream?

    public struct VideoStream: Sendable, Hashable {
        public var width: Int
        public var height: Int
        /// `r_frame_rate` as ffprobe writes it ("30/1", "30000/1001").
        public var frameRate: String
        public var pixelFormat: String
    }

    public struct AudioStream: Sendable, Hashable {
        public var sampleRate: Int
        public var channels: Int
    }

    public init(duration: Double, video: VideoStream?, audio: AudioStream?) {
        self.duration = duration
        self.video = video
        self.audio = audio
    }

    /// The ffprobe command that `parse` reads.
    public static func probeCommand(_ path: String) -> [String] {
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_entries",
         "format=duration:stream=codec_type,width,height,pix_fmt,r_frame_rate,sample_rate,channels,duration",
         path]
    }

    public static func parse(_ json: String, path: String) throws -> MediaInfo {
        guard let data = json.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw RecipeInputError("'\(path)' is not a media file ffprobe can read")
        }
        let streams = object["streams"] as? [[String: Any]] ?? []
        let format = object["format"] as? [String: Any] ?? [:]
        func number(_ v: Any?) -> Double? {
            if let s = v as? String { return Double(s) }
            return (v as? NSNumber)?.doubleValue
        }
        var video: VideoStream?
        var audio: AudioStream?
        var streamDuration = 0.0
        for s in streams {
            let type = s["codec_type"] as? String
            if type == "video", video == nil {
                video = VideoStream(width: Int(number(s["width"]) ?? 0), height: Int(number(s["height"]) ?? 0),
                                    frameRate: s["r_frame_rate"] as? String ?? "0/0",
                                    pixelFormat: s["pix_fmt"] as? String ?? "")
            } else if type == "audio", audio == nil {
                audio = AudioStream(sampleRate: Int(number(s["sample_rate"]) ?? 0), channels: Int(number(s["channels"]) ?? 0))
            }
            streamDuration = max(streamDuration, number(s["duration"]) ?? 0)
        }
        guard video != nil || audio != nil else {
            throw RecipeInputError("'\(path)' has no audio or video stream")
        }
        // MKV streams have no duration of their own: the container's is the one to trust.
        let duration = number(format["duration"]) ?? streamDuration
        return MediaInfo(duration: duration, video: video, audio: audio)
    }
}
