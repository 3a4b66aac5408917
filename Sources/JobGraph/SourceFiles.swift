import JobBasics
import JobfileModel
#if canImport(Glibc)
import Glibc
#endif

/// The files that no rule makes: each must exist, and neither it nor its directory may lead out
/// of the project through a symlink. Checked once per build; the statuses found are kept so
/// that hashing needs no second `stat`.
public struct SourceFiles: Sendable {
    public var status: [String: FileStatus] = [:]

    public init(graph: BuildGraph, instances: [Int], rootDirectory: String) throws(UsageError) {
        let realRoot = FileOperations.realPath(rootDirectory) ?? rootDirectory
        let all = graph.jobfile.instances
        // Each chunk of instances checks its files on its own core (100,000 sources are as
        // many `lstat`s). A source read by instances of two chunks is checked by each, and
        // reported once.
        let chunks = parallelChunks(instances.count) { range in
            var checker = ContainmentChecker(rootDirectory: rootDirectory, realRoot: realRoot, roots: graph.jobfile.roots)
            var found: [(path: String, status: FileStatus)] = []
            var seen = Set<String>()
            // Each with the source it is about (nil: about an output), to report a source once.
            var problems: [(source: String?, diagnostic: Diagnostic)] = []
            for k in range {
                let i = instances[k]
                for input in all[i].inputs where graph.producer[input] == nil && seen.insert(input).inserted {
                    func problem(_ message: String) {
                        problems.append((input, Diagnostic(message, at: all[i].location(of: input) ?? all[i].location)))
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
                    found.append((input, s))
                }
                for output in all[i].outputs where !checker.isInside(output, followFile: false) {
                    problems.append((nil, Diagnostic("output '\(output)' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
                                                     at: all[i].location(of: output) ?? all[i].location)))
                }
            }
            return (found: found, problems: problems)
        }
        var d = DiagnosticBag()
        var reported = Set<String>()
        status.reserveCapacity(chunks.reduce(0) { $0 + $1.found.count })
        for chunk in chunks {
            for (path, s) in chunk.found { status[path] = s }
            for (source, diagnostic) in chunk.problems where source.map({ reported.insert($0).inserted }) ?? true {
                d.append(diagnostic)
            }
        }
        try d.throwIfErrors()
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
        path.hasPrefix("/") || rootIsWorkingDirectory ? path : rootDirectory + "/" + path
    }

    func allowed(_ real: String) -> Bool {
        let candidates = [realRoot] + roots
        return candidates.contains { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    mutating func isInside(_ path: String, followFile: Bool) -> Bool {
        if path.hasPrefix("/") {
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
