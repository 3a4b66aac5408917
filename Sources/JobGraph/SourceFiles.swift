import JobBasics
import JobfileModel
#if canImport(Glibc)
import Glibc
#endif

/// The files that no rule makes: each must exist, and neither it nor its directory may lead out
/// of the project through a symlink. Checked once per build; the statuses found are kept so
/// that hashing needs no second `stat`.
public struct SourceFiles: Sendable {
    public var status = PathTable<FileStatus>()

    public init(graph: BuildGraph, instances: [Int], rootDirectory: String) throws(UsageError) {
        let realRoot = FileOperations.realPath(rootDirectory) ?? rootDirectory
        let all = graph.jobfile.instances
        // Each core checks the sources of its share of a hash of their paths (100,000 sources
        // are as many `lstat`s), each once, and keeps them in its shard of the table; it also
        // checks the outputs of its share of the instances. Problems are tagged with where one
        // pass would find them (instance, then its inputs, then its outputs), and sorted so.
        let (table, found) = PathTable<FileStatus>.make(shards: PathTable<FileStatus>.shardCount(for: instances.count)) { shard, shards in
            var checker = ContainmentChecker(rootDirectory: rootDirectory, realRoot: realRoot, roots: graph.jobfile.roots)
            var found: [String: FileStatus] = [:]
            found.reserveCapacity(instances.count / shards + 16)
            var refused = Set<String>()
            var problems: [(instance: Int, slot: Int, diagnostic: Diagnostic)] = []
            for k in instances.indices {
                let i = instances[k]
                for (n, input) in all[i].inputs.enumerated() where PathTable<FileStatus>.shard(of: input, among: shards) == shard {
                    guard graph.producer(ofInput: n, of: i) == nil, found[input] == nil, !refused.contains(input) else { continue }
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
                    found[input] = s
                }
                guard k % shards == shard else { continue }
                for (n, output) in all[i].outputs.enumerated() where !checker.isInside(output, followFile: false) {
                    problems.append((k, all[i].inputs.count + n,
                                     Diagnostic("output '\(output)' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
                                                at: all[i].location(of: output) ?? all[i].location)))
                }
            }
            return (found, problems)
        }
        let problems = found.flatMap { $0 }.sorted { ($0.instance, $0.slot) < ($1.instance, $1.slot) }
        var d = DiagnosticBag()
        for p in problems { d.append(p.diagnostic) }
        try d.throwIfErrors()
        status = table
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
            return directoryInside(FileOperations.parentDirectory(path))
        }
        if followFile {
            guard let real = FileOperations.realPath(onDisk(path)) else { return true }
            return allowed(real)
        }
        return directoryInside(FileOperations.parentDirectory(path))
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
