import JobBasics
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

extension UpToDateManifest {
    /// Whether the build that wrote the manifest at `path` under `key` would still find
    /// everything up to date. A file whose status changed is hashed: the same bytes (a
    /// `touch`) still count as up to date, and its new status is written back to the manifest,
    /// in place, so that it is not hashed again; and, for a large file, to the stat cache in
    /// `databasePath` too, for the next full-path build.
    /// Reads the manifest in place: no string is made for a path whose status is unchanged.
    /// `searchPath` is PATH now; it matters only when the build resolved tools through it.
    public static func check(at path: String, key: ContentDigest, searchPath: String, databasePath: String,
                             globStems: (String) -> [String]) -> Bool {
        guard var bytes = try? FileOperations.readFile(path) else { return false }
        guard let layout = ManifestLayout(bytes), layout.key == key,
              layout.pathVariable == nil || layout.pathVariable == searchPath else {
            return false
        }
        for g in layout.globs where Glob.digest(globStems(g.pattern)) != g.stems { return false }
        guard let touched = bytes.withUnsafeBytes({ raw in touchedEntries(raw, layout) }) else { return false }
        var refreshed: [Int] = []
        var remembered: [(path: String, record: FileRecord)] = []
        for t in touched where !FileDigests.isRacy(t.status) {
            layout.setStatus(&bytes, entry: t.entry, t.status)
            refreshed.append(t.entry)
            if t.status.size >= Self.rememberedSize { remembered.append((t.path, FileRecord(status: t.status, digest: t.digest))) }
        }
        // Best effort: failing to remember only costs hashing the files again.
        if !refreshed.isEmpty { rewriteEntries(refreshed, of: bytes, at: path) }
        if !remembered.isEmpty { try? StateDatabase.rememberFiles(remembered, databasePath: databasePath) }
        return true
    }

    /// From this size on, a touched file's new status also goes to the stat cache (opening the
    /// database costs more than hashing a smaller file again).
    static let rememberedSize: Int64 = 1 << 20

    /// Writes entries back where they are. A write torn by a crash can only leave a status
    /// that matches no file, which costs one hash at the next check: the digest, the kind and
    /// the path stay as they were.
    static func rewriteEntries(_ entries: [Int], of bytes: [UInt8], at path: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        bytes.withUnsafeBytes { raw in
            for entry in entries {
                _ = pwrite(fd, raw.baseAddress! + entry, 48, off_t(entry))
            }
        }
    }

    enum Outcome: UInt8 { case same = 0, changed = 1, stale = 2 }

    /// Compares every entry's status with the file system's, in slices on every core (a no-op
    /// at 10,000 rules is 20,000 `stat` calls, nearly all of its time), and hashes each file
    /// whose status changed. Nil as soon as one entry shows that something changed: the other
    /// slices stop too, so that an edit does not pay for the whole check before the full path.
    /// Otherwise the touched files (same bytes, new status), in entry order.
    static func touchedEntries(_ raw: UnsafeRawBufferPointer, _ layout: ManifestLayout)
        -> [(entry: Int, path: String, status: FileStatus, digest: ContentDigest)]? {
        let changed = Atomic<Bool>(false)
        typealias Touched = (entry: Int, path: String, status: FileStatus, digest: ContentDigest)
        let slices = parallelChunks(layout.entryCount, minimumChunk: 512) { range -> [Touched]? in
            var touched: [Touched] = []
            for i in range {
                if i & 63 == 0 && changed.load(ordering: .relaxed) { return nil }
                let entry = layout.entryOffset(i)
                switch layout.compare(raw, entry: entry) {
                case .same:
                    continue
                case .stale:
                    changed.store(true, ordering: .relaxed)
                    return nil
                case .changed:
                    let path = layout.path(raw, entry: entry)
                    // The status, then the bytes: a write in between shows as a new status next time.
                    guard let status = FileStatus.of(path), status.isRegularFile,
                          let digest = try? hashFile(atPath: path), digest == layout.digest(raw, entry: entry) else {
                        changed.store(true, ordering: .relaxed)
                        return nil
                    }
                    touched.append((entry, path, status, digest))
                }
            }
            return touched
        }
        var all: [Touched] = []
        for slice in slices {
            guard let slice else { return nil }
            all += slice
        }
        return all
    }
}

/// Where things are in a manifest's bytes (see `UpToDateManifest.encoded()`).
struct ManifestLayout: Sendable {
    var key: ContentDigest
    var pathVariable: String?
    var globs: [(pattern: String, stems: ContentDigest)]
    var entryCount: Int
    var entriesStart: Int
    var blobStart: Int

    init?(_ bytes: [UInt8]) {
        var r = BinaryReader(bytes)
        guard r.string() == UpToDateManifest.magic, let high = r.u64(), let low = r.u64(),
              let pathVariable = r.optionalString(), let globCount = r.count() else { return nil }
        key = ContentDigest(high: high, low: low)
        self.pathVariable = pathVariable
        globs = []
        for _ in 0..<globCount {
            guard let p = r.string(), let h = r.u64(), let l = r.u64() else { return nil }
            globs.append((p, ContentDigest(high: h, low: l)))
        }
        guard let n = r.count() else { return nil }
        entryCount = n
        entriesStart = r.offset
        blobStart = entriesStart + entryCount * UpToDateManifest.entrySize
        guard blobStart <= bytes.count, bytes.last == 0 || entryCount == 0 else { return nil }
        // Every path must end inside the blob.
        for i in 0..<entryCount {
            let offset = Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: entryOffset(i) + 4, as: UInt32.self) })
            guard blobStart + offset < bytes.count else { return nil }
        }
    }

    func entryOffset(_ i: Int) -> Int { entriesStart + i * UpToDateManifest.entrySize }

    func word(_ raw: UnsafeRawBufferPointer, _ entry: Int, _ k: Int) -> UInt64 {
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: entry + 8 + 8 * k, as: UInt64.self))
    }

    func path(_ raw: UnsafeRawBufferPointer, entry: Int) -> String {
        let offset = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: entry + 4, as: UInt32.self)))
        return String(cString: (raw.baseAddress! + blobStart + offset).assumingMemoryBound(to: CChar.self))
    }

    func digest(_ raw: UnsafeRawBufferPointer, entry: Int) -> ContentDigest {
        ContentDigest(high: word(raw, entry, 5), low: word(raw, entry, 6))
    }

    func setStatus(_ bytes: inout [UInt8], entry: Int, _ s: FileStatus) {
        bytes.withUnsafeMutableBytes { raw in
            raw[entry + 1] = 0
            for (k, v) in [s.device, s.inode, UInt64(bitPattern: s.size), UInt64(bitPattern: s.mtimeNs),
                           UInt64(bitPattern: s.ctimeNs)].enumerated() {
                raw.storeBytes(of: v.littleEndian, toByteOffset: entry + 8 + 8 * k, as: UInt64.self)
            }
        }
    }

    /// One entry against the file system.
    func compare(_ raw: UnsafeRawBufferPointer, entry: Int) -> UpToDateManifest.Outcome {
        let kind = raw[entry], racy = raw[entry + 1] != 0
        let offset = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: entry + 4, as: UInt32.self)))
        let cPath = (raw.baseAddress! + blobStart + offset).assumingMemoryBound(to: CChar.self)
        var st = stat()
        if kind == UpToDateManifest.Kind.directory.rawValue || kind == UpToDateManifest.Kind.identity.rawValue {
            guard lstat(cPath, &st) == 0,
                  kind == UpToDateManifest.Kind.identity.rawValue || (st.st_mode & S_IFMT) == S_IFDIR,
                  UInt64(st.st_dev) == word(raw, entry, 0), UInt64(st.st_ino) == word(raw, entry, 1) else { return .stale }
            return .same
        }
        guard stat(cPath, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return .stale }
        let s = FileStatus(st)
        if !racy, s.device == word(raw, entry, 0), s.inode == word(raw, entry, 1),
           UInt64(bitPattern: s.size) == word(raw, entry, 2), UInt64(bitPattern: s.mtimeNs) == word(raw, entry, 3),
           UInt64(bitPattern: s.ctimeNs) == word(raw, entry, 4) {
            return .same
        }
        return kind == UpToDateManifest.Kind.file.rawValue ? .changed : .stale
    }
}
