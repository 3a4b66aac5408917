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
        var d = DiagnosticBag()
        let realRoot = FileOperations.realPath(rootDirectory) ?? rootDirectory
        var checker = ContainmentChecker(rootDirectory: rootDirectory, realRoot: realRoot, roots: graph.jobfile.roots)
        var reported = Set<String>()
        status.reserveCapacity(instances.count)
        for i in instances {
            let inst = graph.instances[i]
            for input in inst.inputs where graph.producer[input] == nil {
                if status[input] != nil { continue }
                var st = stat()
                if lstat(checker.onDisk(input), &st) != 0 {
                    if reported.insert(input).inserted {
                        d.error("input '\(input)' of rule '\(inst.name)' is neither a file nor the output of any rule",
                                at: inst.location(of: input) ?? inst.location)
                    }
                    continue
                }
                let isLink = (st.st_mode & S_IFMT) == S_IFLNK
                if !checker.isInside(input, followFile: isLink) {
                    if reported.insert(input).inserted {
                        d.error("input '\(input)' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
                                at: inst.location(of: input) ?? inst.location)
                    }
                    continue
                }
                guard let s = isLink ? FileStatus.of(checker.onDisk(input)) : FileStatus(st) else {
                    d.error("input '\(input)' of rule '\(inst.name)' is a broken symlink", at: inst.location(of: input) ?? inst.location)
                    continue
                }
                if !s.isRegularFile {
                    d.error("input '\(input)' of rule '\(inst.name)' is not a regular file", at: inst.location(of: input) ?? inst.location)
                    continue
                }
                status[input] = s
            }
            for output in inst.outputs where !checker.isInside(output, followFile: false) {
                d.error("output '\(output)' leads out of the project through a symlink (list its target's directory under 'roots:' to allow it)",
                        at: inst.location(of: output) ?? inst.location)
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
