import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// One build at a time per cache directory. An advisory `flock` on `cache/lock`: the kernel
/// releases it when its process ends, however it ends, so a `kill -9` never leaves a stale
/// lock behind. A second build waits (saying for whom), then builds what is still needed.
public final class BuildLock: Sendable {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// The lock if no other process holds it now; nil otherwise (or when it cannot be opened).
    public static func tryAcquire(_ path: String) -> BuildLock? {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        writeHolder(fd)
        return BuildLock(fd: fd)
    }

    /// Our pid, for the message of a build that waits.
    private static func writeHolder(_ fd: Int32) {
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.utf8CString.withUnsafeBufferPointer { pwrite(fd, $0.baseAddress, $0.count - 1, 0) }
    }

    /// Takes the lock, calling `waiting(pid)` once if another process holds it. Polls, so
    /// that an interrupt while waiting is honoured.
    public static func acquire(_ path: String, waiting: (String) -> Void) async throws -> BuildLock {
        try FileOperations.createDirectories(FileOperations.parentDirectory(path))
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError("open", path, errno: errno) }
        var told = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let e = errno
                close(fd)
                throw FileSystemError("lock", path, errno: e)
            }
            if !told {
                let holder = (try? FileOperations.readFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                waiting(holder.trimmingSpaces().isEmpty ? "another process" : "pid " + holder.trimmingSpaces())
                told = true
            }
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                close(fd)
                throw error
            }
        }
        writeHolder(fd)
        return BuildLock(fd: fd)
    }
}
