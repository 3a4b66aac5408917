import Foundation
import JobBasics
import Testing

/// A fresh directory under the system's temporary directory. Remove it with `remove()` in a
/// `defer` (which also keeps the object alive until the end of the test).
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/job-state-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    deinit { remove() }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func file(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try FileOperations.writeFile(full, bytes)
        return full
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String { try write(relative, Array(text.utf8)) }
}

func inode(_ path: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> UInt64 {
    try #require(FileStatus.of(path), "no file at \(path)", sourceLocation: sourceLocation).inode
}

func linkCount(_ path: String) -> Int {
    var st = stat()
    return stat(path, &st) == 0 ? Int(st.st_nlink) : -1
}

/// Sets a file's modification time (`touch -d`), which also moves its change time to now.
func setModificationTime(_ path: String, seconds: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let t = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
    try #require(utimensat(AT_FDCWD, path, t, 0) == 0, sourceLocation: sourceLocation)
}

/// Waits out `FileDigests`' racy window (50 ms) so that a status just made is trusted.
func waitOutRacyWindow() { usleep(120_000) }

/// Deterministic pseudo-random bytes.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    var out = [UInt8]()
    out.reserveCapacity(count)
    for _ in 0..<count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        out.append(UInt8(truncatingIfNeeded: x >> 24))
    }
    return out
}
