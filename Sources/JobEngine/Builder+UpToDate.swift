import JobBasics
import JobGraph
import JobState

extension Builder {
    static let manifestBlock = 16_384

    /// Keeps what this build found up to date, so that the next identical build can tell that
    /// it has nothing to do from `stat` alone (see `UpToDateManifest`). Every source and output
    /// of `closure`, the directories on their way, the tools, and the state database itself
    /// (a deleted database makes every rule stale). Best effort: without it, the next build
    /// only takes the full path.
    func writeUpToDateManifest(key: ContentDigest, closure: [Int], sources: SourceFiles, digests: FileDigests,
                               tools: [String: FileStatus]) {
        var encoder = UpToDateManifest.Encoder(expectedEntries: sources.status.count + closure.count + 16)
        var directories = Set<String>()
        var lastParent: Substring = ""
        func add(_ path: String, _ known: (digest: ContentDigest, status: FileStatus?)?) -> Bool {
            // A file judged without a digest (none should be): no manifest.
            guard let (digest, status) = known else { return false }
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
        // Every source once (the keys of `sources`), every output once (one rule makes each),
        // in blocks whose digests and statuses are looked up on every core (two table lookups
        // each, for 200,000 files at 100,000 rules); a block at a time, so that the build's
        // peak of memory, here, does not grow by a table of them all.
        var block: [String] = []
        block.reserveCapacity(Self.manifestBlock)
        func flush() -> Bool {
            let found = parallelChunks(block.count) { range in range.map { digests.knownOrVouched(block[$0]) } }
            var k = 0
            for chunk in found {
                for known in chunk {
                    guard add(block[k], known) else { return false }
                    k += 1
                }
            }
            block.removeAll(keepingCapacity: true)
            return true
        }
        for path in sources.status.keys {
            block.append(path)
            if block.count == Self.manifestBlock, !flush() { return }
        }
        for i in closure {
            for path in graph.instances[i].outputs {
                block.append(path)
                if block.count == Self.manifestBlock, !flush() { return }
            }
        }
        guard flush() else { return }
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
        try? UpToDateManifest.write(encoder, key: key, pathVariable: pathVariable,
                                    globs: graph.jobfile.globs.map { .init(pattern: $0.pattern, stems: $0.stems) },
                                    to: cache.upToDate)
    }
}
