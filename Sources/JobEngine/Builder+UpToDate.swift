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
                               vouched: UpToDateAtStart, outputStatus: OutputStatuses, tools: [String: FileStatus]) {
        typealias Known = (digest: ContentDigest, status: FileStatus?)
        var encoder = UpToDateManifest.Encoder(expectedEntries: sources.files.count + closure.count + 16)
        var directories = Set<String>()
        var lastParent: Substring = ""
        func add(_ path: String, _ known: Known?) -> Bool {
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
        // Every source once, every output once (one rule makes each). The files of instances
        // up to date at the start are as the stat cache vouched for them then (`vouched`);
        // the others' digests are this build's, looked up in blocks on every core (200,000
        // lookups in the no-op of 100,000 rules before `vouched`), a block at a time, so that
        // the build's peak of memory, here, does not grow by a table of them all.
        var block: [(path: String, known: Known?)] = []
        block.reserveCapacity(Self.manifestBlock)
        func flush() -> Bool {
            let found = parallelChunks(block.count) { range in
                range.map { block[$0].known ?? digests.knownOrVouched(block[$0].path) }
            }
            var k = 0
            for chunk in found {
                for known in chunk {
                    guard add(block[k].path, known) else { return false }
                    k += 1
                }
            }
            block.removeAll(keepingCapacity: true)
            return true
        }
        for (k, file) in sources.files.enumerated() {
            block.append((file.path, vouched.sourceDigests[k].map { ($0, file.status) }))
            if block.count == Self.manifestBlock, !flush() { return }
        }
        for i in closure {
            let made = vouched.outputs[i]
            for (n, path) in graph.instances[i].outputs.enumerated() {
                var known: Known?
                if let made, n < made.count { known = (made[n].digest, outputStatus[i, n]) }
                block.append((path, known))
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
