import Foundation
import JobBasics
@testable import JobState
import Testing

@Suite("UpToDateManifest")
struct UpToDateManifestTests {
    let key = ContentDigest.of(string: "build")

    /// A directory with two files, and a manifest of them as they are now.
    struct Fixture {
        let dir: TemporaryDirectory
        let manifest: String
        let database: String
        let a: String
        let b: String
    }

    func fixture(tools: [String] = [], pathVariable: String? = nil, globs: [UpToDateManifest.Glob] = [],
                 waitForTrust: Bool = true) throws -> Fixture {
        let dir = try TemporaryDirectory()
        let a = try dir.write("in/a.txt", "alpha")
        let b = try dir.write("out/b.txt", "beta")
        if waitForTrust { waitOutRacyWindow() }
        var entries: [UpToDateManifest.Entry] = []
        for path in [a, b] {
            let st = try #require(FileStatus.of(path))
            entries.append(.init(path: path, kind: .file, status: FileDigests.isRacy(st) ? nil : st,
                                 digest: try hashFile(atPath: path)))
        }
        for d in [dir.file("in"), dir.file("out")] {
            entries.append(.init(path: d, kind: .directory, status: FileStatus.ofLink(d)))
        }
        for t in tools { entries.append(.init(path: t, kind: .tool, status: FileStatus.of(t))) }
        let database = dir.file("state.db")
        _ = try StateDatabase(path: database)
        let manifest = dir.file("uptodate.bin")
        try UpToDateManifest(key: key, pathVariable: pathVariable, globs: globs, entries: entries).write(to: manifest)
        return Fixture(dir: dir, manifest: manifest, database: database, a: a, b: b)
    }

    func check(_ f: Fixture, key: ContentDigest? = nil, searchPath: String = "/usr/bin",
               globStems: (String) -> [String] = { _ in [] }) -> Bool {
        UpToDateManifest.check(at: f.manifest, key: key ?? self.key, searchPath: searchPath,
                               databasePath: f.database, globStems: globStems)
    }

    @Test func unchangedFilesAreUpToDate() throws {
        let f = try fixture()
        #expect(check(f))
        #expect(check(f))
    }

    @Test func anotherKeyIsNot() throws {
        let f = try fixture()
        #expect(!check(f, key: ContentDigest.of(string: "other targets")))
    }

    @Test func aMissingOrCorruptManifestIsNot() throws {
        let f = try fixture()
        let bytes = try FileOperations.readFile(f.manifest)
        for cut in [0, 10, 40, bytes.count - 70, bytes.count - 1] {
            try FileOperations.writeFile(f.manifest, Array(bytes.prefix(cut)))
            #expect(!check(f), "a manifest cut at \(cut) bytes was accepted")
        }
        try FileOperations.removeFile(f.manifest)
        #expect(!check(f))
    }

    @Test func anEditIsSeenEvenWithTheSameSizeAndTime() throws {
        let f = try fixture()
        let before = try #require(FileStatus.of(f.a))
        try FileOperations.writeFile(f.a, Array("ALPHA".utf8))
        // Put the modification time back: the change time still tells.
        let t = [timespec(tv_sec: Int(before.mtimeNs / 1_000_000_000), tv_nsec: Int(before.mtimeNs % 1_000_000_000))]
        _ = utimensat(AT_FDCWD, f.a, [t[0], t[0]], 0)
        #expect(!check(f))
    }

    @Test func aTouchIsUpToDateAndRememberedInTheManifest() throws {
        let f = try fixture()
        try setModificationTime(f.a, seconds: 1_000_000)
        waitOutRacyWindow()
        let before = try FileOperations.readFile(f.manifest)
        #expect(check(f))
        let after = try FileOperations.readFile(f.manifest)
        #expect(after != before)
        #expect(after.count == before.count)
        #expect(check(f))
        #expect(try FileOperations.readFile(f.manifest) == after)
    }

    @Test func aManifestOfThousandsIsCheckedInSlicesEachTouchSeenAndAnyEditFound() throws {
        // 3,000 files: checked in slices on every core. Touches in the first and the last
        // slice are remembered; an edit anywhere makes the check fail, however early another
        // slice stops.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let paths = try (0..<3000).map { try dir.write("in/\($0).txt", "content \($0)") }
        waitOutRacyWindow()
        let entries = try paths.map { path in
            UpToDateManifest.Entry(path: path, kind: .file, status: FileStatus.of(path), digest: try hashFile(atPath: path))
        }
        let manifest = dir.file("uptodate.bin")
        try UpToDateManifest(key: key, pathVariable: nil, globs: [], entries: entries).write(to: manifest)
        func check() -> Bool {
            UpToDateManifest.check(at: manifest, key: key, searchPath: "/usr/bin", databasePath: dir.file("state.db"),
                                   globStems: { _ in [] })
        }
        #expect(check())
        try setModificationTime(paths[5], seconds: 1_000_000)
        try setModificationTime(paths[2990], seconds: 1_000_000)
        waitOutRacyWindow()
        let before = try FileOperations.readFile(manifest)
        #expect(check())
        #expect(try FileOperations.readFile(manifest) != before, "the touches are written back")
        let after = try FileOperations.readFile(manifest)
        #expect(check())
        #expect(try FileOperations.readFile(manifest) == after, "and not hashed again")
        for edited in [10, 1600, 2999] {
            let original = try FileOperations.readFile(paths[edited])
            try FileOperations.writeFile(paths[edited], Array("edited \(edited)".utf8))
            #expect(!check(), "edit of entry \(edited)")
            try FileOperations.writeFile(paths[edited], original)
        }
        try FileManager.default.removeItem(atPath: paths[2500])
        #expect(!check(), "a missing file")
    }

    @Test func aTouchedLargeFileIsRememberedInTheStatCacheToo() throws {
        let dir = try TemporaryDirectory()
        let big = try dir.write("in/big.bin", pseudoRandomBytes(count: 1 << 20, seed: 4))
        waitOutRacyWindow()
        let database = dir.file("state.db")
        _ = try StateDatabase(path: database)
        let manifest = dir.file("uptodate.bin")
        try UpToDateManifest(key: key, pathVariable: nil, globs: [], entries: [
            .init(path: big, kind: .file, status: FileStatus.of(big), digest: try hashFile(atPath: big)),
        ]).write(to: manifest)
        try setModificationTime(big, seconds: 1_000_000)
        waitOutRacyWindow()
        #expect(UpToDateManifest.check(at: manifest, key: key, searchPath: "", databasePath: database) { _ in [] })
        // The next full build does not hash it again.
        let digests = FileDigests(state: try StateDatabase(path: database))
        _ = try digests.digest(of: big)
        #expect(digests.hashedCount == 0)
    }

    @Test func aRecentFileIsHashedUntilItIsOldEnough() throws {
        let f = try fixture(waitForTrust: false)
        // Its status was too recent to trust: the file is read again, so an edit within the
        // file system's timestamp granularity is still seen.
        try FileOperations.writeFile(f.a, Array("ALPHA".utf8))
        #expect(!check(f))
        try FileOperations.writeFile(f.a, Array("alpha".utf8))
        #expect(check(f))
    }

    @Test func aMissingFileIsNot() throws {
        let f = try fixture()
        try FileOperations.removeFile(f.b)
        #expect(!check(f))
    }

    @Test func aDirectorySwappedForASymlinkIsNot() throws {
        let f = try fixture()
        let moved = f.dir.file("elsewhere")
        try FileOperations.rename(f.dir.file("in"), to: moved)
        try f.dir.symlink("in", to: moved)
        // The file is reached with the same inode and times through the symlink.
        #expect(FileStatus.of(f.a) != nil)
        #expect(!check(f))
    }

    @Test func aChangedToolOrAnotherPathIsNot() throws {
        let dir = try TemporaryDirectory()
        let tool = try dir.write("bin/tool", "#!/bin/sh\n")
        waitOutRacyWindow()
        let f = try fixture(tools: [tool], pathVariable: "/usr/bin")
        #expect(check(f, searchPath: "/usr/bin"))
        #expect(!check(f, searchPath: "/opt/bin:/usr/bin"))
        try FileOperations.writeFile(tool, Array("#!/bin/bash\n".utf8))
        #expect(!check(f, searchPath: "/usr/bin"))
    }

    @Test func aGlobMatchingOtherFilesIsNot() throws {
        let f = try fixture(globs: [.init(pattern: "in/*.txt", stems: ["a"])])
        #expect(check(f) { _ in ["a"] })
        #expect(!check(f) { _ in ["a", "d"] })
        #expect(!check(f) { _ in [] })
    }
    @Test func entriesEncodedApartReadAsOneManifest() throws {
        // Encoded on several cores, each encoder numbering its paths from 0: once written, each
        // entry's path must still be its own.
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("uptodate.bin")
        let names = (0..<10).map { "dir\($0 % 3)/file-\($0).wav" }
        var encoders: [UpToDateManifest.Encoder] = []
        for share in [0..<4, 4..<4, 4..<10] {
            var e = UpToDateManifest.Encoder(expectedEntries: share.count)
            for k in share {
                e.append(.init(path: names[k], kind: .file,
                               status: FileStatus(device: 1, inode: UInt64(k), size: Int64(k), mtimeNs: 0, ctimeNs: 0),
                               digest: ContentDigest(high: UInt64(k), low: 7)))
            }
            encoders.append(e)
        }
        try UpToDateManifest.write(&encoders, key: key, pathVariable: nil, globs: [], to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let layout = try #require(ManifestLayout(bytes))
        #expect(layout.entryCount == names.count)
        bytes.withUnsafeBytes { raw in
            for k in 0..<layout.entryCount {
                let e = layout.entryOffset(k)
                #expect(layout.path(raw, entry: e) == names[k])
                #expect(layout.word(raw, e, 1) == UInt64(k), "inode")
                #expect(layout.word(raw, e, 5) == UInt64(k), "digest")
            }
        }
    }
}
