import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// Where outputs are kept by content, to be restored instead of rebuilt. The local one is a
/// directory; a shared or remote one (REAPI's CAS) is another conformance.
public protocol ContentStore: Sendable {
    func contains(_ digest: ContentDigest) -> Bool
    /// Keeps a copy of the file at `path`, whose content has `digest`.
    func insert(fileAt path: String, digest: ContentDigest) throws
    /// Hashes the file at `path` and keeps a copy of it; returns its digest.
    func keep(fileAt path: String) throws -> ContentDigest
    /// Writes the content `digest` to `path` (a temporary name: the caller renames it).
    func materialize(_ digest: ContentDigest, to path: String) throws
    /// Writes whatever the store keeps waiting (at the end of a build).
    func flush()
}

extension ContentStore {
    public func flush() {}

    public func keep(fileAt path: String) throws -> ContentDigest { try hashAndInsert(fileAt: path) }

    /// `keep` in two steps: hash the file, then insert it.
    public func hashAndInsert(fileAt path: String) throws -> ContentDigest {
        let digest = try hashFile(atPath: path)
        try insert(fileAt: path, digest: digest)
        return digest
    }
}

/// `cache/store/ab/abcdef...`: one file per digest, written to a temporary name and renamed,
/// so a crash never leaves a partial blob under a digest's name. Copies (or reflinks), never
/// hard links: an edit of a restored file must not change the store. Small contents are rows
/// of `cache/store/small.db` instead (see `SmallBlobTable`).
public struct LocalContentStore: ContentStore {
    public let directory: String
    let small: SmallBlobTable

    public init(directory: String) {
        self.directory = directory
        small = SmallBlobTable(path: directory + "/small.db")
    }

    func blobPath(_ d: ContentDigest) -> String {
        let hex = d.hex
        return directory + "/" + hex.prefix(2) + "/" + hex
    }

    public func contains(_ digest: ContentDigest) -> Bool {
        FileOperations.exists(blobPath(digest)) || small.contains(digest)
    }

    public func insert(fileAt path: String, digest: ContentDigest) throws {
        if let st = FileStatus.of(path), st.size <= SmallBlobTable.limit {
            if small.contains(digest) { return }
            let bytes = try FileOperations.readFile(path)
            // Only the bytes that were hashed: a file that changed since is not stored as them.
            guard ContentDigest.of(bytes) == digest else { throw FileSystemError("store (it changed while being stored)", path, errno: EAGAIN) }
            if small.insert(bytes, digest: digest) { return }
        }
        let blob = blobPath(digest)
        if FileOperations.exists(blob) { return }
        let dir = FileOperations.parentDirectory(blob)
        try FileOperations.createDirectories(dir)
        // Unique per call: rules run in parallel, and two may store the same content at once.
        let temporary = dir + "/.incoming-\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 16))-" + digest.hex
        try FileOperations.copyFile(path, to: temporary)
        try FileOperations.rename(temporary, to: blob)
    }

    /// A small file is read once: the bytes hashed are the bytes kept (an output is hashed
    /// and stored for every rule that runs, so reading it twice was most of that).
    public func keep(fileAt path: String) throws -> ContentDigest {
        if let bytes = try FileOperations.readFile(path, ifAtMost: SmallBlobTable.limit) {
            let digest = ContentDigest.of(bytes)
            if small.insert(bytes, digest: digest) { return digest }
        }
        return try hashAndInsert(fileAt: path)
    }

    public func flush() { small.flush() }

    public func materialize(_ digest: ContentDigest, to path: String) throws {
        if let bytes = small.read(digest, { Array($0) }) {
            try FileOperations.writeFile(path, bytes)
        } else {
            try FileOperations.copyFile(blobPath(digest), to: path)
        }
    }
}
