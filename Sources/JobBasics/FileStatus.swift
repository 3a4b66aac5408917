#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says of a file, enough to tell that it has not changed since it was hashed:
/// device, inode, size, and modification and change times in nanoseconds. The change time
/// catches what a restored mtime (`touch -r`, `cp -p`) would hide.
public struct FileStatus: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNs: Int64
    public var ctimeNs: Int64
    public var isRegularFile: Bool

    public init(device: UInt64, inode: UInt64, size: Int64, mtimeNs: Int64, ctimeNs: Int64,
                isRegularFile: Bool = true) {
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNs = mtimeNs
        self.ctimeNs = ctimeNs
        self.isRegularFile = isRegularFile
    }

    /// The status of the file at `path` (following symlinks), or nil when there is none.
    public static func of(_ path: String) -> FileStatus? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return FileStatus(st)
    }

    /// The status of the entry at `path` itself (a symlink's own, not its target's).
    public static func ofLink(_ path: String) -> FileStatus? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileStatus(st)
    }
}

extension FileStatus {
    /// From a `stat` the caller already made.
    public init(_ st: stat) {
        self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                  mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                  ctimeNs: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                  isRegularFile: (st.st_mode & S_IFMT) == S_IFREG)
    }
}
