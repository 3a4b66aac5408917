import Foundation
import JobBasics

/// Speech from an OpenAI-compatible endpoint: `POST {endpoint}/v1/audio/speech` with `model`,
/// `voice`, `input`, `response_format`. The request goes through curl, with the API key in a
/// header file only this process can read: it never appears in an argv, the log, the key or
/// the events. Each attempt carries an `X-Request-Id`; the log records it, the xxh3 of the
/// text and the vendor's response id. 429 and 5xx are retried with exponential backoff; any
/// other 4xx fails with the vendor's message.
struct OpenAISpeechProgram: RecipeProgram {
    let text: String?
    let textFile: String?
    let endpoint: String
    let model: String
    let voice: String
    let speed: Double?
    let apiKeyVariable: String
    let attempts: Int
    let firstDelay: Double

    static let formats = ["mp3", "opus", "aac", "flac", "wav", "pcm"]

    func run(_ context: any RecipeRunContext) async throws {
        let output = context.outputs[0]
        let ext = output.split(separator: ".").last.map { $0.lowercased() } ?? ""
        let format = Self.formats.contains(ext) && ext != "pcm" ? ext : "wav"
        let download = format == ext ? output : context.scratchDirectory + "/speech.wav"
        let input: String
        if let text {
            input = text
        } else if context.isDryRun {
            input = ""
        } else {
            input = String(decoding: try FileOperations.readFile(textFile!), as: UTF8.self)
        }
        var body: [String: Any] = ["model": model, "voice": voice, "input": input, "response_format": format]
        if let speed { body["speed"] = speed }
        let bodyPath = context.scratchDirectory + "/request.json"
        let headerPath = context.scratchDirectory + "/request.headers"
        let responseHeaders = context.scratchDirectory + "/response.headers"
        let url = (endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) + "/v1/audio/speech"
        if !context.isDryRun {
            guard let key = ProcessInfo.processInfo.environment[apiKeyVariable], !key.isEmpty else {
                throw RecipeInputError("the environment variable \(apiKeyVariable) (named by 'api_key_env') is not set")
            }
            try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]).write(to: URL(fileURLWithPath: bodyPath))
            try writePrivate(headerPath, "Authorization: Bearer \(key)\n")
        }
        defer { try? FileOperations.removeFile(headerPath) }
        let textDigest = ContentDigest.of(string: input).hex
        var delay = firstDelay
        for attempt in 1...attempts {
            let requestID = UUID().uuidString.lowercased()
            let argv = ["curl", "--silent", "--show-error", "--request", "POST", url,
                        "--header", "@" + headerPath, "--header", "Content-Type: application/json",
                        "--header", "X-Request-Id: " + requestID, "--data-binary", "@" + bodyPath,
                        "--output", download, "--dump-header", responseHeaders,
                        "--write-out", "%{http_code}", "--max-time", "300"]
            let printed = try await context.capture(argv)
            if context.isDryRun { break }
            let status = Int(printed.trimmingSpaces().suffix(3)) ?? 0
            let vendorID = responseHeader("x-request-id", in: responseHeaders) ?? "-"
            context.log("tts openai: attempt \(attempt) request \(requestID) text xxh3 \(textDigest) status \(status) vendor id \(vendorID)")
            if status == 200 { break }
            let message = vendorMessage(download)
            try? FileOperations.removeFile(download)
            if status == 429 || status >= 500 || status == 0, attempt < attempts {
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                delay *= 2
                continue
            }
            throw RecipeInputError("the speech endpoint answered \(status == 0 ? "nothing" : String(status)): \(message) (request \(requestID))")
        }
        if download != output {
            try await context.run(FFmpegArguments.start + ["-i", download] + AudioOutput.codecArguments(forExtensionOf: output)
                                  + FFmpegArguments.reproducible + [output])
        }
    }

    func writePrivate(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError("create", path, errno: errno) }
        defer { close(fd) }
        _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }

    func responseHeader(_ name: String, in path: String) -> String? {
        guard let bytes = try? FileOperations.readFile(path) else { return nil }
        // Split on any newline: "\r\n" is one Character, neither "\r" nor "\n".
        for line in String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name { return String(parts[1]).trimmingSpaces() }
        }
        return nil
    }

    /// The vendor's `{"error": {"message": ...}}`, or the start of the body.
    func vendorMessage(_ path: String) -> String {
        guard let bytes = try? FileOperations.readFile(path), !bytes.isEmpty else { return "no message" }
        if let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
           let error = object["error"] as? [String: Any], let message = error["message"] as? String {
            return message
        }
        return String(String(decoding: bytes.prefix(300), as: UTF8.self).split(separator: "\n").first ?? "")
    }
}
