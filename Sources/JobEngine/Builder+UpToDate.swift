import JobBasics
import JobState
#if canImport(Glibc)
import Glibc
#endif

extension Builder {
    /// Keeps what this build found up to date, so that the next identical build can tell that
    /// it has nothing to do from `stat` alone (see `UpToDateManifest`). Every source and output
    /// of `closure`, the directories on their way, the tools, and the state database itself
    /// (a deleted database makes every rule stale). Best effort: without it, the next build
    /// only takes the full path.
    func writeUpToDateManifest(key: ContentDigest, closure: [Int], digests: FileDigests,
                               tools: [String: FileStatus]) {
        var entries: [UpToDateManifest.Entry] = []
        var seen = Set<String>()
        var directories = Set<String>()
        for i in closure {
            let inst = graph.instances[i]
            for path in [inst.inputs, inst.outputs].joined() where seen.insert(path).inserted {
                // A file judged without a digest (none should be): no manifest.
                guard let digest = digests.knownDigest(of: path) else { return }
                entries.append(.init(path: path, kind: .file, status: digests.trustedStatus[path], digest: digest))
                var parent = Substring(path)
                while let slash = parent.lastIndex(of: "/"), slash != parent.startIndex {
                    parent = parent[..<slash]
                    if !directories.insert(String(parent)).inserted { break }
                }
            }
        }
        for directory in directories.sorted() {
            guard let st = Self.linkStatus(directory) else { return }
            entries.append(.init(path: directory, kind: .directory, status: st))
        }
        if let st = Self.linkStatus(cache.database) {
            entries.append(.init(path: cache.database, kind: .identity, status: st))
        }
        for (path, status) in tools.sorted(by: { $0.key < $1.key }) {
            entries.append(.init(path: path, kind: .tool, status: status))
        }
        let pathVariable = tools.isEmpty ? nil : ToolIdentities.searchPath
        let manifest = UpToDateManifest(key: key, pathVariable: pathVariable,
                                        globs: graph.jobfile.globs.map { .init(pattern: $0.pattern, stems: $0.stems) },
                                        entries: entries)
        try? manifest.write(to: cache.upToDate)
    }

    static func linkStatus(_ path: String) -> FileStatus? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileStatus(st)
    }
}
