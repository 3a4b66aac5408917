import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// The identity of each tool a built-in recipe runs (the first line of `ffmpeg -version`): a
/// new FFmpeg makes every FFmpeg step stale, nothing else does. Asking a tool takes ~70 ms, so
/// the answer is kept in `cache/tools` against the executable's path and status, and asked
/// again only when the executable changed.
public enum ToolIdentities {
    /// Each tool's identity, or nil for a tool that is not on PATH or does not run; and the
    /// executables the identities were read from, with their status.
    static func probe(_ tools: [String], runner: any ProcessRunner, scratch: String) async
        -> (identities: [String: String?], executables: [String: FileStatus]) {
        var result: [String: String?] = [:]
        var executables: [String: FileStatus] = [:]
        let cachePath = scratch + "/tools"
        var known = readCache(cachePath)
        var changed = false
        for tool in Set(tools).sorted() {
            guard let path = resolve(tool), let real = FileOperations.realPath(path), let st = FileStatus.of(real) else {
                result[tool] = .some(nil)
                continue
            }
            executables[real] = st
            let stamp = "\(real)\t\(st.device)\t\(st.inode)\t\(st.size)\t\(st.mtimeNs)"
            if let identity = known[stamp] {
                result[tool] = identity
                continue
            }
            let identity = await ask(tool, runner: runner, scratch: scratch)
            result[tool] = identity
            if let identity {
                known[stamp] = identity
                changed = true
            }
        }
        if changed { writeCache(cachePath, known) }
        return (result, executables)
    }

    static func ask(_ tool: String, runner: any ProcessRunner, scratch: String) async -> String? {
        let path = scratch + "/.probe-\(getpid())-" + tool
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        let flag = tool == "ffmpeg" || tool == "ffprobe" ? "-version" : "--version"
        let outcome = try? await runner.run(ProcessSpec(argv: [tool, flag]), logDescriptor: fd)
        close(fd)
        let text = (try? FileOperations.readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        try? FileOperations.removeFile(path)
        guard outcome?.isSuccess == true else { return nil }
        return text.split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Where tools are looked for: PATH.
    public static var searchPath: String { getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin" }

    /// The first executable named `tool` in PATH (or `tool` itself when it holds a slash).
    static func resolve(_ tool: String) -> String? {
        if tool.contains("/") { return access(tool, X_OK) == 0 ? tool : nil }
        for dir in searchPath.split(separator: ":") {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + tool
            if access(candidate, X_OK) == 0, !FileOperations.isDirectory(candidate) { return candidate }
        }
        return nil
    }

    static func readCache(_ path: String) -> [String: String] {
        guard let bytes = try? FileOperations.readFile(path) else { return [:] }
        var known: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 6 else { continue }
            known[fields[0..<5].joined(separator: "\t")] = String(fields[5])
        }
        return known
    }

    static func writeCache(_ path: String, _ known: [String: String]) {
        let text = known.sorted { $0.key < $1.key }.map { "\($0.key)\t\($0.value)\n" }.joined()
        try? FileOperations.createDirectories(FileOperations.parentDirectory(path))
        try? FileOperations.writeFileAtomically(path, Array(text.utf8))
    }
}
