import Foundation
import Testing

/// The `openai` TTS engine against a real HTTP server on loopback that speaks the protocol.
@Suite(.serialized) struct CloudSpeechScenarios {
    struct ServerDidNotStart: Error { var stderr: String; var running: Bool }

    /// Starts Tests/Fixtures/fake_speech_server.py; stops it when the test ends.
    final class SpeechServer {
        let process = Process()
        let port: Int
        let logPath: String

        init(directory: String) throws {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("Fixtures/fake_speech_server.py").path
            let portFile = directory + "/server.port"
            logPath = directory + "/server.log"
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script, portFile, logPath]
            // Its own directory: the tests share one process, whose working directory an engine
            // test may have moved into a directory it is about to remove.
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            let errors = directory + "/server.err"
            _ = FileManager.default.createFile(atPath: errors, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: errors)
            try process.run()
            guard eventually(30, { FileManager.default.fileExists(atPath: portFile) }),
                  let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) else {
                kill(process.processIdentifier, SIGKILL)
                let said = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
                throw ServerDidNotStart(stderr: said, running: process.isRunning)
            }
            self.port = port
        }

        deinit {
            // SIGKILL: Foundation may start the server with SIGTERM blocked.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        var requests: [[String: Any]] {
            ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }
    }

    func project(voice: String, output: String = "out/speech.wav") throws -> (JobProject, SpeechServer) {
        let p = try JobProject(jobfile: "", files: ["script.txt": "Hello from the cloud.\n"])
        let server = try SpeechServer(directory: p.root.path)
        try p.write("Jobfile", """
            version: 1
            rules:
              speech:
                output: \(output)
                tts:
                  engine: openai
                  endpoint: http://127.0.0.1:\(server.port)
                  model: tts-1
                  voice: \(voice)
                  text_file: script.txt
                  api_key_env: TEST_SPEECH_KEY
            """)
        return (p, server)
    }

    @Test func speechIsFetchedWithTheKeyFromTheNamedVariableOnly() throws {
        let (p, server) = try project(voice: "alloy")
        let r = try p.build(environment: ["TEST_SPEECH_KEY": "sk-test"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try MediaFixtures.probe(p.path("out/speech.wav"), "stream=codec_name") == "pcm_s16le")
        let requests = server.requests
        #expect(requests.count == 1)
        let headers = requests.first?["headers"] as? [String: String] ?? [:]
        #expect(headers["Authorization"] == "Bearer sk-test")
        #expect((headers["X-Request-Id"] ?? "").count == 36)
        let body = requests.first?["body"] as? [String: Any] ?? [:]
        #expect(body["input"] as? String == "Hello from the cloud.\n")
        #expect(body["model"] as? String == "tts-1")
        #expect(body["response_format"] as? String == "wav")
        // The secret is nowhere job writes: not in the events, the log, the dry run, the state.
        let log = p.read("cache/logs/speech.log") ?? ""
        #expect(log.contains("request \(headers["X-Request-Id"] ?? "?")"))
        #expect(log.contains("vendor id vendor-1"))
        let dry = try p.job(["build", "-n", "--allow-overwrite"], environment: ["TEST_SPEECH_KEY": "sk-test"])
        for text in [r.stdout, r.stderr, log, dry.stdout] { #expect(!text.contains("sk-test")) }
        let db = try Data(contentsOf: URL(fileURLWithPath: p.path("cache/state.db")))
        #expect(db.range(of: Data("sk-test".utf8)) == nil)
        // Another key, same speech: the key of the rule does not hold the API key.
        #expect(try p.build(environment: ["TEST_SPEECH_KEY": "sk-other"]).instances("skipped") == ["speech"])
    }

    @Test func busyAnswersAreRetried() throws {
        let (p, server) = try project(voice: "busy")
        let r = try p.build(environment: ["TEST_SPEECH_KEY": "sk-test"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(server.requests.count == 2)
        let log = p.read("cache/logs/speech.log") ?? ""
        #expect(log.contains("attempt 1") && log.contains("status 429"))
        #expect(log.contains("attempt 2") && log.contains("status 200"))
    }

    @Test func aClientErrorShowsTheVendorsMessageAndIsNotRetried() throws {
        let (p, server) = try project(voice: "nope")
        let r = try p.job(["build"], environment: ["TEST_SPEECH_KEY": "sk-test"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("the speech endpoint answered 400: Voice 'nope' is not supported"))
        #expect(server.requests.count == 1)
        #expect(!p.exists("out/speech.wav"))
    }

    @Test func aMissingKeyVariableIsAClearError() throws {
        let (p, server) = try project(voice: "alloy")
        let r = try p.job(["build"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("the environment variable TEST_SPEECH_KEY (named by 'api_key_env') is not set"))
        #expect(server.requests.isEmpty)
    }

    @Test func otherFormatsAreConvertedFromWAV() throws {
        let (p, server) = try project(voice: "alloy", output: "out/speech.m4a")
        let r = try withExtendedLifetime(server) { try p.build(environment: ["TEST_SPEECH_KEY": "sk-test"]) }
        #expect(r.status == 0, "\(r.stdout)")
        #expect(try MediaFixtures.probe(p.path("out/speech.m4a"), "stream=codec_name") == "aac")
    }
}
