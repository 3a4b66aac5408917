import CSystemExtras
#if canImport(Glibc)
import Glibc
#endif

/// A failure of a file operation, with the system's reason.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var errno: Int32

    public init(_ operation: String, _ path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "cannot \(operation) '\(path)': \(String(cString: strerror(errno)))"
    }
}

/// Small POSIX file operations the engine needs, without Foundation on the hot path.
public enum FileOperations {
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `mkdir -p`.
    public static func createDirectories(_ path: String) throws(FileSystemError) {
        if path.isEmpty || path == "." || path == "/" || isDirectory(path) { return }
        let parent = parentDirectory(path)
        if parent != path { try createDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw FileSystemError("create directory", path, errno: errno)
        }
    }

    /// Removes a file; a missing file is not an error.
    public static func removeFile(_ path: String) throws(FileSystemError) {
        if unlink(path) != 0 && errno != ENOENT { throw FileSystemError("remove", path, errno: errno) }
    }

    /// Removes `path` if something is there, looking first: `unlink` takes its directory's lock
    /// for writing even when there is nothing to remove, and a lookup takes none. In an output
    /// directory where commands are creating files, that lock is held for long (ext4 looks for
    /// a free inode under it), and each rule waited on it for the temporary left by no crash.
    public static func removeIfPresent(_ path: String) throws(FileSystemError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        try removeFile(path)
    }

    /// `rename(2)`: atomic within one file system.
    public static func rename(_ from: String, to: String) throws(FileSystemError) {
        if Glibc.rename(from, to) != 0 { throw FileSystemError("rename to '\(to)'", from, errno: errno) }
    }

    /// Copies `from` to `to` (which must not be a path others read yet): a reflink where the
    /// file system has them (FICLONE), else `copy_file_range`, which stays in the kernel.
    /// Never a hard link: an edit of one copy must not change the other.
    public static func copyFile(_ from: String, to: String) throws(FileSystemError) {
        let src = open(from, O_RDONLY | O_CLOEXEC)
        if src < 0 { throw FileSystemError("open", from, errno: errno) }
        defer { close(src) }
        let dst = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if dst < 0 { throw FileSystemError("create", to, errno: errno) }
        var ok = false
        defer {
            close(dst)
            if !ok { unlink(to) }
        }
        if job_reflink(src, dst) == 0 { ok = true; return }
        while true {
            let n = job_copy_file_range(src, dst, 1 << 30)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EXDEV || errno == ENOSYS || errno == EINVAL {
                    try copyByReading(src, dst, from: from, to: to)
                    break
                }
                throw FileSystemError("copy to '\(to)'", from, errno: errno)
            }
        }
        ok = true
    }

    private static func copyByReading(_ src: Int32, _ dst: Int32, from: String, to: String) throws(FileSystemError) {
        let size = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(src, buffer, size)
            if n == 0 { return }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", from, errno: errno) }
            var written = 0
            while written < n {
                let w = write(dst, buffer + written, n - written)
                if w < 0 { if errno == EINTR { continue }; throw FileSystemError("write", to, errno: errno) }
                written += w
            }
        }
    }

    /// The bytes of a regular file of at most `limit` bytes; nil for a larger file or one
    /// that is not regular (which is left unread).
    public static func readFile(_ path: String, ifAtMost limit: Int) throws(FileSystemError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { throw FileSystemError("open", path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= limit else { return nil }
        // One byte more than the size, so that a file grown since the fstat is seen as grown.
        let capacity = Int(st.st_size) + 1
        var result = [UInt8](repeating: 0, count: capacity)
        var count = 0
        while true {
            let n = result.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, capacity - count) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", path, errno: errno) }
            if n == 0 { break }
            count += n
            if count == capacity { return nil }   // it grew past the size: read it as a large file
        }
        result.removeLast(capacity - count)
        return result
    }

    public static func readFile(_ path: String) throws(FileSystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, errno: errno) }
        defer { close(fd) }
        var result: [UInt8] = []
        // Sized from the file's size (a 12 MB Jobfile grew by doubling, copied 24 MB).
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { result.reserveCapacity(Int(st.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return result }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError("read", path, errno: errno) }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    public static func writeFile(_ path: String, _ bytes: [UInt8]) throws(FileSystemError) {
        try writeFile(path, parts: [bytes])
    }

    /// Writes the parts one after the other, as one file.
    public static func writeFile(_ path: String, parts: [[UInt8]]) throws(FileSystemError) {
        try writeFile(path) { (write: Piece) throws(FileSystemError) in for bytes in parts { try write(bytes) } }
    }

    /// Writes one piece of a file being written (see `writeFile(_:pieces:)`).
    public typealias Piece = ([UInt8]) throws(FileSystemError) -> Void

    /// Writes what `fill` hands to `write`, piece by piece, as one file: a large file (the
    /// compiled plan) is never held whole in memory, nor copied as it grows.
    public static func writeFile(_ path: String,
                                 pieces fill: (_ write: Piece) throws(FileSystemError) -> Void) throws(FileSystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileSystemError("create", path, errno: errno) }
        defer { close(fd) }
        try fill { (bytes: [UInt8]) throws(FileSystemError) in try writeAll(fd, bytes, path: path) }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        var written = 0
        while written < bytes.count {
            let w = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if w < 0 { if errno == EINTR { continue }; throw FileSystemError("write", path, errno: errno) }
            written += w
        }
    }

    /// Writes `bytes` to `path` whole or not at all: to a temporary name beside it (this
    /// process's own), then renamed over it. A crash leaves the old file or none; a reader never
    /// sees half of one.
    public static func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws(FileSystemError) {
        try writeFileAtomically(path, parts: [bytes])
    }

    /// `writeFileAtomically` of the parts written one after the other.
    public static func writeFileAtomically(_ path: String, parts: [[UInt8]]) throws(FileSystemError) {
        try writeFileAtomically(path) { (write: Piece) throws(FileSystemError) in for bytes in parts { try write(bytes) } }
    }

    /// `writeFileAtomically` of the pieces that `fill` hands to `write` (see `writeFile(_:pieces:)`).
    public static func writeFileAtomically(_ path: String,
                                           pieces fill: (_ write: Piece) throws(FileSystemError) -> Void) throws(FileSystemError) {
        let temporary = path + ".\(getpid()).tmp"
        do {
            try writeFile(temporary, pieces: fill)
            try rename(temporary, to: path)
        } catch {
            try? removeFile(temporary)
            throw error
        }
    }

    /// The first `maxBytes` of a file (fewer when it is shorter; none when it cannot be read),
    /// for a header.
    public static func head(_ path: String, maxBytes: Int) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return [] }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    /// The last `maxBytes` of a file, for showing the tail of a failed rule's log.
    public static func tail(_ path: String, maxBytes: Int) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return "" }
        defer { close(fd) }
        let end = lseek(fd, 0, SEEK_END)
        let start = max(0, end - off_t(maxBytes))
        lseek(fd, start, SEEK_SET)
        var buffer = [UInt8](repeating: 0, count: Int(end - start))
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// The directory part of a path: "a/b/c" -> "a/b", "c" -> ".". (The slash is looked for
    /// in the UTF-8 bytes: a search by `Character` checks grapheme breaks, at 100,000 paths.)
    public static func parentDirectory(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func baseName(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The absolute, symlink-free form of an existing path.
    public static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
