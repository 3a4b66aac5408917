import Foundation
@_exported import JobTestSupport
import JobBasics
import Testing

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

