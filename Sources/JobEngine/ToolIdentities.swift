import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// The identity of each tool a built-in recipe runs (the first line of `ffmpeg -version`),
/// probed once per build: a new FFmpeg makes every FFmpeg step stale, nothing else does.
enum ToolIdentities {
    /// Each tool's identity, or nil for a tool that cannot be run.
    static func probe(_ tools: [String], runner: any ProcessRunner, scratch: String) async -> [String: String?] {
        var result: [String: String?] = [:]
        for tool in Set(tools).sorted() {
            let path = scratch + "/.probe-\(getpid())-" + tool
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { continue }
            let flag = tool == "ffmpeg" || tool == "ffprobe" ? "-version" : "--version"
            let outcome = try? await runner.run(ProcessSpec(argv: [tool, flag]), logDescriptor: fd)
            close(fd)
            let text = (try? FileOperations.readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            try? FileOperations.removeFile(path)
            let firstLine = text.split(separator: "\n").first.map(String.init) ?? ""
            result[tool] = outcome?.isSuccess == true ? firstLine : nil
        }
        return result
    }
}
