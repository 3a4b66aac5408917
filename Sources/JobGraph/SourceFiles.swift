import JobBasics
import JobfileModel
#if canImport(Glibc)
import Glibc
#endif

/// The files that no rule makes: each must exist, and neither it nor its directory may lead out
/// of the project through a symlink. Checked once per build; the statuses found are kept so
/// that hashing needs no second `stat`.
public struct SourceFiles: Sendable {
    /// A source read by the build.
    public struct File: Sendable {
        public var path: String
        public var status: FileStatus
        /// The input slot (`BuildGraph.inputSlot`) where the build reads it first.
        public var firstSlot: Int
    }

    /// Each source of the build once (in no particular order).
    public private(set) var files: [File] = []
    /// For each input slot, its source's index in `files` (-1: an input that a rule makes, or
    /// one of an instance outside the build): judging and the manifest read arrays, instead
    /// of looking each path up again.
    private var fileOfSlot: [Int32] = []

    public init(graph: BuildGraph, instances: [Int], rootDirectory: String) throws(UsageError) {
        let realRoot = FileOperations.realPath(rootDirectory) ?? rootDirectory
        let all = graph.jobfile.instances
        // Each core checks the sources of its share of a hash of their paths (100,000 sources
        // are as many `lstat`s), each once, and keeps them; it also checks the outputs of its
        // share of the instances. Problems are tagged with where one pass would find them
        // (instance, then its inputs, then its outputs), and sorted so. A slot's source is
        // first numbered within its core's share (`local * shards + shard`), then in `files`.
        var fileOfSlot = [Int32](repeating: -1, count: graph.inputSlotCount)
        let shards = PathTable<Int32>.shardCount(for: instances.count)
        let found = fileOfSlot.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointWrites(buffer)
            return PathTable<Int32>.inShards(shards) { shard, shards in
                var checker = ContainmentChecker(rootDirectory: rootDirectory, realRoot: realRoot, roots: graph.jobfile.roots)
                var numbers = StringTable<Int32>(minimumCapacity: instances.count / shards + 16)
                var files: [File] = []
                files.reserveCapacity(instances.count / shards + 16)
                var refused = Set<String>()
                var problems: [(instance: Int, slot: Int, diagnostic: Diagnostic)] = []
                for k in instances.indices {
                    let i = instances[k]
                    for (n, input) in all[i].inputs.enumerated() where PathTable<Int32>.shard(of: input, among: shards) == shard {
                        guard graph.producer(ofInput: n, of: i) == nil else { continue }
                        let slot = graph.inputSlot(n, of: i)
                        if let known = numbers[input] {
                            slots.set(slot, known)
                            continue
                        }
                        if !refused.isEmpty && refused.contains(input) { continue }
                        func problem(_ message: String) {
                            refused.insert(input)
                            problems.append((k, n, Diagnostic(message, at: all[i].location(of: input) ?? all[i].location)))
                        }
                        var st = stat()
                        if lstat(checker.onDisk(input), &st) != 0 {
                            problem("input '\(input)' of rule '\(all[i].name)' is neither a file nor the output of any rule")
                            continue
                        }
                        let isLink = (st.st_mode & S_IFMT) == S_IFLNK
                        if !checker.isInside(input, followFile: isLink) {
                            problem("input '\(input)' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)")
                            continue
                        }
                        guard let s = isLink ? FileStatus.of(checker.onDisk(input)) : FileStatus(st) else {
                            problem("input '\(input)' of rule '\(all[i].name)' is a broken symlink")
                            continue
                        }
                        if !s.isRegularFile {
                            problem("input '\(input)' of rule '\(all[i].name)' is not a regular file")
                            continue
                        }
                        let number = Int32(files.count * shards + shard)
                        numbers.insert(number, forKey: input)
                        slots.set(slot, number)
                        files.append(File(path: input, status: s, firstSlot: slot))
                    }
                    guard k % shards == shard else { continue }
                    for (n, output) in all[i].outputs.enumerated() where !checker.isInside(output, followFile: false) {
                        problems.append((k, all[i].inputs.count + n,
                                         Diagnostic("output '\(output)' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
                                                    at: all[i].location(of: output) ?? all[i].location)))
                    }
                }
                return (files, problems)
            }
        }
        let problems = found.flatMap { $0.1 }.sorted { ($0.instance, $0.slot) < ($1.instance, $1.slot) }
        var d = DiagnosticBag()
        for p in problems { d.append(p.diagnostic) }
        try d.throwIfErrors()
        if shards == 1 {
            files = found[0].0
        } else {
            var offsets: [Int32] = []
            for (shardFiles, _) in found {
                offsets.append(Int32(files.count))
                files += shardFiles
            }
            for k in fileOfSlot.indices where fileOfSlot[k] >= 0 {
                let number = Int(fileOfSlot[k])
                fileOfSlot[k] = offsets[number % shards] + Int32(number / shards)
            }
        }
        self.fileOfSlot = fileOfSlot
    }

    /// The index in `files` of the `n`-th input of instance `i` (nil: a rule makes it, or the
    /// instance is not part of the build).
    @inline(__always)
    public func file(ofInput n: Int, of i: Int, in graph: BuildGraph) -> Int? {
        let k = fileOfSlot[graph.inputSlot(n, of: i)]
        return k < 0 ? nil : Int(k)
    }

    /// The status of the `n`-th input of instance `i`, a source of the build.
    @inline(__always)
    public func status(ofInput n: Int, of i: Int, in graph: BuildGraph) -> FileStatus? {
        file(ofInput: n, of: i, in: graph).map { files[$0].status }
    }

    /// Each source's status by path: a table made on each call, for tests and tools.
    public var statusByPath: [String: FileStatus] {
        Dictionary(files.map { ($0.path, $0.status) }, uniquingKeysWith: { a, _ in a })
    }
}

/// Answers "does this path stay inside the project (or a root) once symlinks are resolved?",
/// resolving each directory once.
struct ContainmentChecker {
    /// The project root as given: relative paths are read against it, not against the
    /// working directory.
    let rootDirectory: String
    let realRoot: String
    let roots: [String]
    var directoryVerdict: [String: Bool] = [:]
    /// The directory judged last, and its verdict: most paths share their directory with the
    /// path before them, and are then judged without a new string or a table lookup.
    var lastDirectory = ""
    var lastVerdict = true

    /// Whether the working directory is the root, so that a relative path can be used as it
    /// is: the kernel then walks two components of `in/a.txt`, not every one of its absolute
    /// path (100,000 times at 100,000 rules).
    let rootIsWorkingDirectory: Bool

    init(rootDirectory: String, realRoot: String, roots: [String]) {
        self.rootDirectory = rootDirectory
        self.realRoot = realRoot
        self.roots = roots
        rootIsWorkingDirectory = FileOperations.currentDirectory() == rootDirectory
    }

    /// Where a project path is on disk.
    func onDisk(_ path: String) -> String {
        rootIsWorkingDirectory || path.utf8.first == UInt8(ascii: "/") ? path : rootDirectory + "/" + path
    }

    func allowed(_ real: String) -> Bool {
        let candidates = [realRoot] + roots
        return candidates.contains { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    mutating func isInside(_ path: String, followFile: Bool) -> Bool {
        if path.utf8.first == UInt8(ascii: "/") {
            // Absolute paths were admitted by `roots:`; their real place must be too.
            if followFile, let real = FileOperations.realPath(path) { return allowed(real) }
            return directoryOfPathInside(path)
        }
        if followFile {
            guard let real = FileOperations.realPath(onDisk(path)) else { return true }
            return allowed(real)
        }
        return directoryOfPathInside(path)
    }

    /// `directoryInside(FileOperations.parentDirectory(path))`, the last verdict again when
    /// `path` is in the same directory as the path judged before it.
    mutating func directoryOfPathInside(_ path: String) -> Bool {
        let bytes = path.utf8
        if let slash = bytes.lastIndex(of: UInt8(ascii: "/")), slash != bytes.startIndex,
           bytes[..<slash].elementsEqual(lastDirectory.utf8) {
            return lastVerdict
        }
        let directory = FileOperations.parentDirectory(path)
        lastVerdict = directoryInside(directory)
        lastDirectory = directory
        return lastVerdict
    }

    /// A directory that does not exist yet is judged by its nearest existing ancestor.
    mutating func directoryInside(_ dir: String) -> Bool {
        if dir == "." { return true }
        if let v = directoryVerdict[dir] { return v }
        let verdict: Bool
        if let real = FileOperations.realPath(onDisk(dir)) {
            verdict = allowed(real)
        } else {
            let parent = FileOperations.parentDirectory(dir)
            verdict = parent == dir ? true : directoryInside(parent)
        }
        directoryVerdict[dir] = verdict
        return verdict
    }
}
