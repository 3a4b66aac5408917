import Foundation
import JobBasics
import JobState
import Testing

@Suite("LocalContentStore")
struct ContentStoreTests {
    @Test func insertContainsAndMaterialize() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let bytes = pseudoRandomBytes(count: 300_001, seed: 9)
        let source = try dir.write("out/clip.mp4", bytes)
        let digest = try hashFile(atPath: source)
        let store = LocalContentStore(directory: dir.file("cache/store"))

        #expect(!store.contains(digest))
        try store.insert(fileAt: source, digest: digest)
        #expect(store.contains(digest))
        #expect(!store.contains(ContentDigest.of(string: "something else")))

        // Kept under its digest: store/ab/abcdef...
        let blob = dir.file("cache/store/" + digest.hex.prefix(2) + "/" + digest.hex)
        #expect(try FileOperations.readFile(blob) == bytes)
        #expect(try inode(blob) != inode(source))     // a copy, not a link to the output
        #expect(linkCount(blob) == 1)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileOperations.parentDirectory(blob))
        #expect(leftovers == [digest.hex])             // no temporary file left behind

        // Inserting again changes nothing.
        try store.insert(fileAt: source, digest: digest)
        #expect(try FileOperations.readFile(blob) == bytes)

        let restored = dir.file("restored.tmp")
        try store.materialize(digest, to: restored)
        #expect(try FileOperations.readFile(restored) == bytes)
        #expect(try hashFile(atPath: restored) == digest)
    }

    @Test func materializedFileIsAnIndependentCopy() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Larger than a row of the small-content table: a file in the store.
        let bytes = Array("frame data\n".utf8) + pseudoRandomBytes(count: 100_000, seed: 3)
        let source = try dir.write("a.txt", bytes)
        let digest = ContentDigest.of(bytes)
        let store = LocalContentStore(directory: dir.file("store"))
        try store.insert(fileAt: source, digest: digest)
        let blob = dir.file("store/" + digest.hex.prefix(2) + "/" + digest.hex)

        let restored = dir.file("restored.txt")
        try store.materialize(digest, to: restored)
        #expect(try inode(restored) != inode(blob))
        #expect(linkCount(restored) == 1)
        #expect(linkCount(blob) == 1)

        // Edit the restored file in place: the store keeps what it had.
        let fd = open(restored, O_WRONLY)
        try #require(fd >= 0)
        let edit = Array("FRAME".utf8)
        #expect(edit.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == 5)
        close(fd)
        #expect(try FileOperations.readFile(restored) == Array("FRAME data\n".utf8) + bytes.dropFirst(11))
        #expect(try FileOperations.readFile(blob) == bytes)
        #expect(try hashFile(atPath: blob) == digest)

        // And editing the original output after inserting it does not reach the store either.
        try FileOperations.writeFile(source, Array("changed".utf8))
        #expect(try FileOperations.readFile(blob) == bytes)
    }

    @Test func materializingAnUnknownDigestFails() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = LocalContentStore(directory: dir.file("store"))
        #expect(throws: FileSystemError.self) {
            try store.materialize(ContentDigest.of(string: "never stored"), to: dir.file("x"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("x")))
        #expect(throws: FileSystemError.self) {
            try store.insert(fileAt: dir.file("missing"), digest: ContentDigest.of(string: "missing"))
        }
    }

    /// Rules run in parallel, and two of them may write the same bytes at the same time: both
    /// keep them in the store at once.
    @Test func concurrentInsertsOfTheSameContent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = LocalContentStore(directory: dir.file("store"))
        let writers = 8
        for round in 0..<20 {
            let bytes = pseudoRandomBytes(count: 1 << 20, seed: UInt64(round + 1))
            let digest = ContentDigest.of(bytes)
            let sources = try (0..<writers).map { try dir.write("round\(round)/out\($0).bin", bytes) }
            let failures = Failures()
            DispatchQueue.concurrentPerform(iterations: writers) { i in
                do { try store.insert(fileAt: sources[i], digest: digest) } catch { failures.add("\(error)") }
            }
            #expect(failures.all.isEmpty, "round \(round): \(failures.all)")
            let blob = dir.file("store/" + digest.hex.prefix(2) + "/" + digest.hex)
            #expect(try hashFile(atPath: blob) == digest)
            let names = try FileManager.default.contentsOfDirectory(atPath: FileOperations.parentDirectory(blob))
            #expect(names.filter { $0.hasPrefix(".incoming") }.isEmpty)
        }
    }
}

@Suite("LocalContentStore, small contents")
struct SmallContentStoreTests {
    @Test func smallContentsAreRowsNotFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = LocalContentStore(directory: dir.file("store"))
        for (name, bytes) in [("empty", [UInt8]()), ("line", Array("hello\n".utf8)),
                              ("largest", pseudoRandomBytes(count: 64 * 1024, seed: 5))] {
            let source = try dir.write("out/\(name)", bytes)
            let digest = ContentDigest.of(bytes)
            #expect(!store.contains(digest))
            try store.insert(fileAt: source, digest: digest)
            try store.insert(fileAt: source, digest: digest)
            #expect(store.contains(digest))
            #expect(!FileManager.default.fileExists(atPath: dir.file("store/" + digest.hex.prefix(2) + "/" + digest.hex)))
            // Waiting for its batch, it is already there for this store...
            let early = dir.file("early-\(name)")
            try store.materialize(digest, to: early)
            #expect(try FileOperations.readFile(early) == bytes)
            // ...and once written, for a new store over the same directory (the next build).
            store.flush()
            let later = LocalContentStore(directory: dir.file("store"))
            let restored = dir.file("restored-\(name)")
            try later.materialize(digest, to: restored)
            #expect(try FileOperations.readFile(restored) == bytes, "\(name)")
            #expect(try inode(restored) != inode(source))
        }
        #expect(FileManager.default.fileExists(atPath: dir.file("store/small.db")))
        // One byte over the limit: a file.
        let big = pseudoRandomBytes(count: 64 * 1024 + 1, seed: 6)
        try store.insert(fileAt: try dir.write("out/big", big), digest: ContentDigest.of(big))
        #expect(try FileOperations.readFile(dir.file("store/" + ContentDigest.of(big).hex.prefix(2) + "/" + ContentDigest.of(big).hex)) == big)
    }

    @Test func keepHashesAndStoresInOneGo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = LocalContentStore(directory: dir.file("store"))
        // Empty, small (a row), the largest row, one byte over (a file), and large.
        for (name, count) in [("empty", 0), ("small", 31), ("row", 64 * 1024), ("over", 64 * 1024 + 1), ("large", 3 << 20)] {
            let bytes = pseudoRandomBytes(count: count, seed: UInt64(count))
            let source = try dir.write("out/\(name)", bytes)
            let digest = try store.keep(fileAt: source)
            #expect(digest == ContentDigest.of(bytes), "\(name)")
            #expect(digest == (try hashFile(atPath: source)), "\(name)")
            let restored = dir.file("restored-\(name)")
            try store.materialize(digest, to: restored)
            #expect(try FileOperations.readFile(restored) == bytes, "\(name)")
            let isFile = FileManager.default.fileExists(atPath: dir.file("store/" + digest.hex.prefix(2) + "/" + digest.hex))
            #expect(isFile == (count > 64 * 1024), "\(name)")
        }
        #expect(throws: (any Error).self) { try store.keep(fileAt: dir.file("out/missing")) }
    }

    @Test func aBatchIsWrittenWhenFullAndWhenTheStoreGoes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let contents = (0..<100).map { Array("content \($0)\n".utf8) }
        do {
            let store = LocalContentStore(directory: dir.file("store"))
            for (i, bytes) in contents.enumerated() {
                try store.insert(fileAt: try dir.write("out/\(i)", bytes), digest: ContentDigest.of(bytes))
            }
            // The first 64 went in one batch: another store sees them already.
            let other = LocalContentStore(directory: dir.file("store"))
            #expect(other.contains(ContentDigest.of(contents[0])))
            #expect(!other.contains(ContentDigest.of(contents[99])))
        }
        // The rest went when the store did.
        let later = LocalContentStore(directory: dir.file("store"))
        #expect(contents.allSatisfy { later.contains(ContentDigest.of($0)) })
    }

    @Test func aFileThatNoLongerHasTheDigestIsNotStored() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = LocalContentStore(directory: dir.file("store"))
        let source = try dir.write("out/a", "changed after it was hashed")
        let digest = ContentDigest.of(string: "what was hashed")
        #expect(throws: FileSystemError.self) { try store.insert(fileAt: source, digest: digest) }
        #expect(!store.contains(digest))
    }

    @Test func concurrentInsertsOfSmallContents() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let store = LocalContentStore(directory: dir.file("store"))
        let contents = (0..<64).map { pseudoRandomBytes(count: 100 + $0 * 50, seed: UInt64($0 + 1)) }
        let sources = try contents.enumerated().map { try dir.write("out/\($0.offset)", $0.element) }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: contents.count) { i in
            do { try store.insert(fileAt: sources[i], digest: ContentDigest.of(contents[i])) } catch { failures.add("\(error)") }
        }
        #expect(failures.all.isEmpty)
        for (i, bytes) in contents.enumerated() {
            try store.materialize(ContentDigest.of(bytes), to: dir.file("restored-\(i)"))
            #expect(try FileOperations.readFile(dir.file("restored-\(i)")) == bytes)
        }
    }
}

/// Errors collected from several threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
