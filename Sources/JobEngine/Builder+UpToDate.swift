import JobBasics
import JobGraph
import JobState

extension Builder {
    /// Keeps what this build found up to date, so that the next identical build can tell that
    /// it has nothing to do from `stat` alone (see `UpToDateManifest`). Every source and output
    /// of `closure`, the directories on their way, the tools, and the state database itself
    /// (a deleted database makes every rule stale). Best effort: without it, the next build
    /// only takes the full path.
    func writeUpToDateManifest(key: ContentDigest, closure: [Int], sources: SourceFiles, digests: FileDigests,
                               vouched: UpToDateAtStart, outputStatus: OutputStatuses, tools: [String: FileStatus]) {
        typealias Known = (digest: ContentDigest, status: FileStatus?)
        // Every source once, then every output once (one rule makes each), encoded on every
        // core, each core its share of that list, with the directories on the way. The files
        // of instances up to date at the start are as the stat cache vouched for them then
        // (`vouched`); the others' digests are this build's (a lookup each).
        let sourceCount = sources.files.count
        let shares = parallelChunks(sourceCount + closure.count) { range -> (UpToDateManifest.Encoder, Set<String>)? in
            var encoder = UpToDateManifest.Encoder(expectedEntries: range.count + 16)
            var directories = Set<String>()
            var lastParent: Substring = ""
            func add(_ path: String, _ known: Known?) -> Bool {
                // A file judged without a digest (none should be): no manifest.
                guard let (digest, status) = known ?? digests.knownOrVouched(path) else { return false }
                encoder.append(.init(path: path, kind: .file, status: status, digest: digest))
                var parent = Substring(path)
                // Slashes found in the UTF-8 bytes: by `Character`, each search checks grapheme breaks.
                guard let slash = parent.utf8.lastIndex(of: UInt8(ascii: "/")), slash != parent.startIndex else { return true }
                parent = parent[..<slash]
                // Most files share their directory with the last one.
                if parent.utf8.elementsEqual(lastParent.utf8) { return true }
                lastParent = parent
                while directories.insert(String(parent)).inserted,
                      let up = parent.utf8.lastIndex(of: UInt8(ascii: "/")), up != parent.startIndex {
                    parent = parent[..<up]
                }
                return true
            }
            for k in range {
                if k < sourceCount {
                    let file = sources.files[k]
                    guard add(file.path, vouched.sourceDigests[k].map { ($0, file.status) }) else { return nil }
                } else {
                    let i = closure[k - sourceCount]
                    let made = vouched.outputs[i]
                    for (n, path) in graph.instances[i].outputs.enumerated() {
                        let known: Known? = if let made, n < made.count { (made[n].digest, outputStatus[i, n]) } else { nil }
                        guard add(path, known) else { return nil }
                    }
                }
            }
            return (encoder, directories)
        }
        var encoders: [UpToDateManifest.Encoder] = []
        var directories = Set<String>()
        for share in shares {
            guard let (encoder, found) = share else { return }
            encoders.append(encoder)
            directories.formUnion(found)
        }
        // Held by `encoders` alone, so that their bytes are changed in place when written.
        _ = consume shares
        var encoder = UpToDateManifest.Encoder(expectedEntries: directories.count + tools.count + 1)
        for directory in directories.sorted() {
            guard let st = FileStatus.ofLink(directory) else { return }
            encoder.append(.init(path: directory, kind: .directory, status: st))
        }
        if let st = FileStatus.ofLink(cache.database) {
            encoder.append(.init(path: cache.database, kind: .identity, status: st))
        }
        for (path, status) in tools.sorted(by: { $0.key < $1.key }) {
            encoder.append(.init(path: path, kind: .tool, status: status))
        }
        let pathVariable = tools.isEmpty ? nil : ToolIdentities.searchPath
        encoders.append(encoder)
        try? UpToDateManifest.write(&encoders, key: key, pathVariable: pathVariable,
                                    globs: graph.jobfile.globs.map { .init(pattern: $0.pattern, stems: $0.stems) },
                                    to: cache.upToDate)
    }
}
