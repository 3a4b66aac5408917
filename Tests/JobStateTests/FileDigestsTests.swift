import Foundation
import JobBasics
import JobState
import Testing

@Suite("FileDigests")
struct FileDigestsTests {
    @Test func aFileIsHashedOncePerBuild() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let path = try dir.write("in.txt", "first")
        let digests = FileDigests(state: state)
        #expect(digests.hashedCount == 0)
        let d = try digests.digest(of: path)
        #expect(d == ContentDigest.of(string: "first"))
        #expect(digests.hashedCount == 1)
        #expect(try digests.digest(of: path) == d)
        #expect(try digests.digest(of: path, status: FileStatus.of(path)) == d)
        #expect(digests.hashedCount == 1)
        // Within one build the answer stays, even if the file changes under it.
        try FileOperations.writeFile(path, Array("second".utf8))
        #expect(try digests.digest(of: path) == d)
        #expect(digests.hashedCount == 1)

        let other = try dir.write("other.txt", "other")
        #expect(try digests.digest(of: other) == ContentDigest.of(string: "other"))
        #expect(digests.hashedCount == 2)
    }

    @Test func unchangedFileIsNotHashedInTheNextBuild() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let path = try dir.write("in.txt", "content")
        waitOutRacyWindow()

        let first = FileDigests(state: state)
        let d = try first.digest(of: path)
        #expect(first.hashedCount == 1)
        #expect(state.files[path]?.digest == d)
        #expect(state.files[path]?.status == FileStatus.of(path))

        let second = FileDigests(state: state)
        #expect(try second.digest(of: path) == d)
        #expect(second.hashedCount == 0)
    }

    @Test func theStatCacheSurvivesReopeningTheState() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("in.txt", "content")
        waitOutRacyWindow()
        let d: ContentDigest
        do {
            let state = try StateDatabase(path: dir.file("state.db"))
            d = try FileDigests(state: state).digest(of: path)
            try state.flush()
        }
        let state = try StateDatabase(path: dir.file("state.db"))
        let digests = FileDigests(state: state)
        #expect(try digests.digest(of: path) == d)
        #expect(digests.hashedCount == 0)
    }

    @Test func theStatCacheIsTrustedWithoutReading() throws {
        // Proof that a matching status is enough: a record with another digest is believed.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let path = try dir.write("in.txt", "content")
        let status = try #require(FileStatus.of(path))
        let claimed = ContentDigest(high: 1, low: 1)
        state.rememberFile(path, FileRecord(status: status, digest: claimed))
        let digests = FileDigests(state: state)
        #expect(try digests.digest(of: path) == claimed)
        #expect(digests.hashedCount == 0)
    }

    @Test func touchedButUnchangedFileIsHashedAgainToTheSameDigest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let path = try dir.write("in.txt", "content")
        try setModificationTime(path, seconds: 1_600_000_000)
        waitOutRacyWindow()
        let d = try FileDigests(state: state).digest(of: path)

        try setModificationTime(path, seconds: 1_600_000_100)      // touched, same bytes
        waitOutRacyWindow()
        let afterTouch = FileDigests(state: state)
        #expect(try afterTouch.digest(of: path) == d)
        #expect(afterTouch.hashedCount == 1)
        #expect(state.files[path]?.status.mtimeNs == 1_600_000_100_000_000_000)

        // Its new status is remembered: the build after that reads nothing.
        let next = FileDigests(state: state)
        #expect(try next.digest(of: path) == d)
        #expect(next.hashedCount == 0)
    }

    @Test func editedFileGetsItsNewDigest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let path = try dir.write("in.txt", "aaaa")
        try setModificationTime(path, seconds: 1_600_000_000)
        waitOutRacyWindow()
        #expect(try FileDigests(state: state).digest(of: path) == ContentDigest.of(string: "aaaa"))

        // Same size, and the old modification time put back: the change time still tells.
        try FileOperations.writeFile(path, Array("bbbb".utf8))
        try setModificationTime(path, seconds: 1_600_000_000)
        waitOutRacyWindow()
        let next = FileDigests(state: state)
        #expect(try next.digest(of: path) == ContentDigest.of(string: "bbbb"))
        #expect(next.hashedCount == 1)
    }

    @Test func aFileModifiedWithinTheRacyWindowIsNotTrustedLater() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let path = try dir.write("in.txt", "fresh")
        // Not safely in the past (here: in the future, so that a slow machine cannot make the
        // test see it as old): it may change again without its status changing.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        try setModificationTime(path, seconds: now.tv_sec + 3600)
        let d = try FileDigests(state: state).digest(of: path)
        #expect(d == ContentDigest.of(string: "fresh"))
        #expect(state.files[path] == nil)

        let next = FileDigests(state: state)
        #expect(try next.digest(of: path) == d)
        #expect(next.hashedCount == 1)
    }

    @Test func setRecordsWhatJobWrote() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let path = try dir.write("out.txt", "made by job")
        let told = ContentDigest.of(string: "made by job")
        waitOutRacyWindow()
        let status = try #require(FileStatus.of(path))

        let build = FileDigests(state: state)
        build.set(path, digest: told, status: status)
        #expect(try build.digest(of: path) == told)
        #expect(build.hashedCount == 0)
        #expect(state.files[path] == FileRecord(status: status, digest: told))

        // Without a status, the stat cache forgets the file; this build still knows it.
        build.set(path, digest: told, status: nil)
        #expect(state.files[path] == nil)
        #expect(try build.digest(of: path) == told)
        #expect(build.hashedCount == 0)
    }

    @Test func aMissingFileIsAnError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let state = try StateDatabase(path: dir.file("state.db"))
        let digests = FileDigests(state: state)
        #expect {
            try digests.digest(of: dir.file("missing.txt"))
        } throws: { error in
            (error as? FileSystemError)?.errno == ENOENT && (error as? FileSystemError)?.path == dir.file("missing.txt")
        }
        #expect(digests.hashedCount == 0)
    }
}
