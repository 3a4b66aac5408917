import Foundation
import JobBasics
import Testing

@Suite("FileStatus")
struct FileStatusTests {
    @Test func describesAFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("a.txt", "hello")
        let s = try #require(FileStatus.of(path))
        let st = try statOf(path)
        #expect(s.size == 5)
        #expect(s.isRegularFile)
        #expect(s.inode == UInt64(st.st_ino))
        #expect(s.device == UInt64(st.st_dev))
        #expect(s.mtimeNs == Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
        #expect(s == FileStatus(st))
        #expect(FileStatus.of(dir.file("missing")) == nil)
        let d = try #require(FileStatus.of(dir.path))
        #expect(!d.isRegularFile)
    }

    @Test func followsSymlinks() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let target = try dir.write("target.txt", "content")
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: target)
        #expect(FileStatus.of(dir.file("link")) == FileStatus.of(target))
        try FileManager.default.createSymbolicLink(atPath: dir.file("dangling"), withDestinationPath: dir.file("nothing"))
        #expect(FileStatus.of(dir.file("dangling")) == nil)
    }

    @Test func changesWhenTheFileIsRewritten() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("a.txt", "first")
        let before = try #require(FileStatus.of(path))
        #expect(FileStatus.of(path) == before)   // stable while nothing happens

        // Same size, same bytes, rewritten in place: the times move on (the kernel's clock
        // ticks at a few milliseconds, so wait longer than one tick).
        usleep(30_000)
        try FileOperations.writeFile(path, Array("first".utf8))
        let rewritten = try #require(FileStatus.of(path))
        #expect(rewritten != before)
        #expect(rewritten.inode == before.inode)
        #expect(rewritten.size == before.size)
        #expect(rewritten.mtimeNs > before.mtimeNs)

        // Different size.
        try FileOperations.writeFile(path, Array("second version".utf8))
        let longer = try #require(FileStatus.of(path))
        #expect(longer.size == 14)
        #expect(longer != rewritten)

        // Replaced by another file (rename over it): another inode.
        let other = try dir.write("b.txt", "second version")
        try FileOperations.rename(other, to: path)
        let replaced = try #require(FileStatus.of(path))
        #expect(replaced.inode != longer.inode)
        #expect(replaced != longer)
    }

    @Test func restoringTheMtimeStillChangesTheCtime() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("a.txt", "abc")
        let past = [timespec(tv_sec: 1_600_000_000, tv_nsec: 123_456_789),
                    timespec(tv_sec: 1_600_000_000, tv_nsec: 123_456_789)]
        try #require(utimensat(AT_FDCWD, path, past, 0) == 0)
        let first = try #require(FileStatus.of(path))
        #expect(first.mtimeNs == 1_600_000_000_123_456_789)

        usleep(30_000)
        try FileOperations.writeFile(path, Array("xyz".utf8))          // same size, other bytes
        try #require(utimensat(AT_FDCWD, path, past, 0) == 0)          // mtime put back (`touch -r`)
        let second = try #require(FileStatus.of(path))
        #expect(second.mtimeNs == first.mtimeNs)
        #expect(second.size == first.size)
        #expect(second.ctimeNs > first.ctimeNs)
        #expect(second != first)
    }
}

@Suite("FileOperations")
struct FileOperationsTests {
    @Test func copyIsIndependentOfTheOriginal() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = try dir.write("original.bin", "original content\n")
        let copy = dir.file("copy.bin")
        try FileOperations.copyFile(original, to: copy)

        #expect(try FileOperations.readFile(copy) == Array("original content\n".utf8))
        let so = try statOf(original), sc = try statOf(copy)
        #expect(so.st_ino != sc.st_ino)          // never a hard link
        #expect(so.st_nlink == 1)
        #expect(sc.st_nlink == 1)

        // Edit the copy in place (same inode): the original does not change.
        let fd = open(copy, O_WRONLY)
        try #require(fd >= 0)
        let edit = Array("ORIGINAL".utf8)
        #expect(edit.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == edit.count)
        close(fd)
        #expect(try FileOperations.readFile(copy) == Array("ORIGINAL content\n".utf8))
        #expect(try FileOperations.readFile(original) == Array("original content\n".utf8))

        // And the other way round.
        try FileOperations.writeFile(original, Array("changed".utf8))
        #expect(try FileOperations.readFile(copy) == Array("ORIGINAL content\n".utf8))
    }

    @Test func copiesLargeFilesExactlyAndReplacesTheDestination() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bytes = pseudoRandomBytes(count: (2 << 20) + 333, seed: 11)
        let source = try dir.write("big.bin", bytes)
        let destination = try dir.write("dest.bin", pseudoRandomBytes(count: 5 << 20, seed: 12))
        try FileOperations.copyFile(source, to: destination)
        #expect(try FileOperations.readFile(destination) == bytes)     // truncated, not merged
        #expect(try hashFile(atPath: destination) == ContentDigest.of(bytes))

        let empty = try dir.write("empty", [])
        try FileOperations.copyFile(empty, to: dir.file("empty-copy"))
        #expect(try FileOperations.readFile(dir.file("empty-copy")) == [])
    }

    @Test func copyFromAMissingFileFailsWithoutCreatingTheDestination() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let destination = dir.file("dest")
        #expect {
            try FileOperations.copyFile(dir.file("missing"), to: destination)
        } throws: { error in
            guard let e = error as? FileSystemError else { return false }
            return e.operation == "open" && e.path == dir.file("missing") && e.errno == ENOENT
                && e.description.contains("No such file or directory")
        }
        #expect(!FileOperations.exists(destination))
        // A destination in a missing directory.
        let source = try dir.write("src", "x")
        #expect(throws: FileSystemError.self) {
            try FileOperations.copyFile(source, to: dir.file("no/such/dir/dest"))
        }
    }

    @Test func readAndWriteRoundTripBinary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bytes: [UInt8] = [0, 1, 2, 0, 255, 10, 13, 0] + pseudoRandomBytes(count: 200_000, seed: 1)
        let path = dir.file("bin")
        try FileOperations.writeFile(path, bytes)
        #expect(try FileOperations.readFile(path) == bytes)
        try FileOperations.writeFile(path, [])
        #expect(try FileOperations.readFile(path) == [])
        #expect(throws: FileSystemError.self) { try FileOperations.readFile(dir.file("missing")) }
    }

    @Test func createDirectoriesRemoveAndRename() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let deep = dir.file("a/b/c/d")
        try FileOperations.createDirectories(deep)
        #expect(FileOperations.isDirectory(deep))
        try FileOperations.createDirectories(deep)          // again: fine
        #expect(FileOperations.exists(dir.file("a/b")))

        let file = try dir.write("a/file", "x")
        #expect(!FileOperations.isDirectory(file))
        #expect(throws: FileSystemError.self) { try FileOperations.createDirectories(dir.file("a/file/sub")) }

        try FileOperations.rename(file, to: dir.file("a/b/moved"))
        #expect(!FileOperations.exists(file))
        #expect(try FileOperations.readFile(dir.file("a/b/moved")) == Array("x".utf8))
        #expect(throws: FileSystemError.self) { try FileOperations.rename(file, to: dir.file("elsewhere")) }

        try FileOperations.removeFile(dir.file("a/b/moved"))
        #expect(!FileOperations.exists(dir.file("a/b/moved")))
        try FileOperations.removeFile(dir.file("a/b/moved"))   // missing: not an error
        #expect(throws: FileSystemError.self) { try FileOperations.removeFile(dir.file("a/b")) }  // a directory
    }

    @Test func tailGivesTheLastBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("log", "0123456789")
        #expect(FileOperations.tail(path, maxBytes: 4) == "6789")
        #expect(FileOperations.tail(path, maxBytes: 100) == "0123456789")
        #expect(FileOperations.tail(dir.file("missing"), maxBytes: 10) == "")
        let empty = try dir.write("empty", "")
        #expect(FileOperations.tail(empty, maxBytes: 10) == "")
    }

    @Test(arguments: [
        ("a/b/c", "a/b", "c"),
        ("c", ".", "c"),
        ("/c", "/", "c"),
        ("/a/b", "/a", "b"),
        ("build/clips/intro.mp4", "build/clips", "intro.mp4"),
        ("dir/.hidden", "dir", ".hidden"),
    ])
    func parentAndBaseName(_ path: String, _ parent: String, _ base: String) {
        #expect(FileOperations.parentDirectory(path) == parent)
        #expect(FileOperations.baseName(path) == base)
    }

    @Test func realPathResolvesSymlinksAndDots() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let real = try #require(FileOperations.realPath(dir.path))
        let target = try dir.write("sub/target.txt", "t")
        try FileManager.default.createSymbolicLink(atPath: dir.file("link"), withDestinationPath: dir.file("sub"))
        #expect(FileOperations.realPath(dir.file("link/target.txt")) == real + "/sub/target.txt")
        #expect(FileOperations.realPath(dir.file("sub/../sub/./target.txt")) == FileOperations.realPath(target))
        #expect(FileOperations.realPath(dir.file("missing")) == nil)
        #expect(FileOperations.currentDirectory() == FileManager.default.currentDirectoryPath)
    }
}

@Suite("Atomic writes")
struct AtomicWriteTests {
    @Test func piecesAreWrittenInOrderAsOneFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("plan.bin")
        try FileOperations.writeFileAtomically(path) { (write: FileOperations.Piece) throws(FileSystemError) in
            try write(Array("first ".utf8))
            try write([])
            try write(Array(repeating: UInt8(ascii: "x"), count: 100_000))
        }
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written == Array("first ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100_000))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["plan.bin"])
    }

    @Test func aFailureHalfWayLeavesTheOldFileAndNoTemporary() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = try dir.write("plan.bin", "old")
        // As a full disk would stop it.
        #expect(throws: FileSystemError.self) {
            try FileOperations.writeFileAtomically(path) { (write: FileOperations.Piece) throws(FileSystemError) in
                try write(Array("new, half".utf8))
                throw FileSystemError("write", path, errno: ENOSPC)
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["plan.bin"])
    }
}
