import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// What a build that ended with everything up to date saw: every source, output and tool it
/// depended on, with its status and digest. While all of them are unchanged, the same build
/// (same Jobfile bytes, overrides, targets and `job` version: `key`) has nothing to do, and
/// `job` can say so after one `stat` per file, on every core, without loading the plan or the
/// state. This is the no-op's fast path; anything it cannot vouch for falls back to the full
/// decision.
///
/// Valid only while no other build ran: every build that takes the full path deletes it
/// first (under the build lock), and writes it again only when it ends with every instance
/// up to date, built or restored, and nothing to warn about.
public struct UpToDateManifest: Sendable {
    public enum Kind: UInt8, Sendable {
        /// A source or an output: a changed status means hashing it again; a new digest means
        /// the full path.
        case file = 0
        /// A tool's executable: any change means the full path (its identity is asked there).
        case tool = 1
        /// A directory on the way to the files, by identity (`lstat`): a directory swapped for a
        /// symlink, or for another directory, means the full path.
        case directory = 2
        /// A file known by its identity alone (`lstat`: device and inode): the state database,
        /// which a new one replaces.
        case identity = 3
    }

    public struct Entry: Sendable, Equatable {
        public var path: String
        public var kind: Kind
        /// nil: the status was too recent to be trusted (see `FileDigests.racyWindowNs`), so
        /// the file is hashed on every check until a check finds it old enough.
        public var status: FileStatus?
        public var digest: ContentDigest

        public init(path: String, kind: Kind, status: FileStatus?, digest: ContentDigest = ContentDigest(high: 0, low: 0)) {
            self.path = path
            self.kind = kind
            self.status = status
            self.digest = digest
        }
    }

    /// A glob the plan expanded, and the digest of the stems it found.
    public struct Glob: Sendable, Equatable {
        public var pattern: String
        public var stems: ContentDigest
        public init(pattern: String, stems: [String]) {
            self.pattern = pattern
            self.stems = Self.digest(stems)
        }

        static func digest(_ stems: [String]) -> ContentDigest {
            var h = StreamingHasher()
            for s in stems { h.field(s) }
            return h.finish()
        }
    }

    public var key: ContentDigest
    /// PATH as it was, when tools were resolved through it (another PATH may find other tools).
    public var pathVariable: String?
    public var globs: [Glob]
    public var entries: [Entry]

    public init(key: ContentDigest, pathVariable: String?, globs: [Glob], entries: [Entry]) {
        self.key = key
        self.pathVariable = pathVariable
        self.globs = globs
        self.entries = entries
    }

    static let magic = "job-uptodate-v2"
    static let entrySize = 64

    /// Writes the manifest atomically (a crash leaves the old one, or none).
    public func write(to path: String) throws {
        try Self.write(encoder(), key: key, pathVariable: pathVariable, globs: globs, to: path)
    }

    /// Writes the manifest whose entries `encoder` holds, atomically.
    public static func write(_ encoder: Encoder, key: ContentDigest, pathVariable: String?, globs: [Glob],
                             to path: String) throws {
        var encoders = [encoder]
        try write(&encoders, key: key, pathVariable: pathVariable, globs: globs, to: path)
    }

    /// Writes the manifest of the entries of `encoders`, one after the other (encoded apart, on
    /// several cores), atomically: each encoder's paths are moved past the ones before (in
    /// place, hence `inout`: a copy of the encoders would copy their bytes).
    public static func write(_ encoders: inout [Encoder], key: ContentDigest, pathVariable: String?, globs: [Glob],
                             to path: String) throws {
        var pathsBefore = 0
        for k in encoders.indices {
            encoders[k].movePaths(by: pathsBefore)
            pathsBefore += encoders[k].paths.count
        }
        let head = header(key: key, pathVariable: pathVariable, globs: globs, count: encoders.reduce(0) { $0 + $1.count })
        try FileOperations.writeFileAtomically(path, parts: [head] + encoders.map(\.records) + encoders.map(\.paths))
    }

    public static func remove(at path: String) {
        unlink(path)
    }

    // Layout (`BinaryWriter`): the magic, the key (two words), PATH (an optional string), the
    // globs (a count; per glob its pattern and the two words of its stems' digest), the entry
    // count, the entries (64 bytes each, fixed width so that they are read and rewritten in
    // place: kind, racy, 2 unused, u32 offset of the path in the blob, device, inode, size,
    // mtime, ctime, digest high, digest low), then the blob of NUL-terminated paths, which
    // `stat` reads in place.
    static func header(key: ContentDigest, pathVariable: String?, globs: [Glob], count: Int) -> [UInt8] {
        var w = BinaryWriter()
        w.string(Self.magic)
        w.u64(key.high); w.u64(key.low)
        w.optionalString(pathVariable)
        w.int(globs.count)
        for g in globs { w.string(g.pattern); w.u64(g.stems.high); w.u64(g.stems.low) }
        w.int(count)
        return w.bytes
    }

    func encoder() -> Encoder {
        var e = Encoder(expectedEntries: entries.count)
        for entry in entries { e.append(entry) }
        return e
    }

    func encoded() -> [UInt8] {
        let e = encoder()
        return Self.header(key: key, pathVariable: pathVariable, globs: globs, count: e.count) + e.records + e.paths
    }

    /// The entries' part of a manifest, encoded as they come: their fixed-width records and
    /// the blob of their paths, with no array of entries in between (at 100,000 rules, the
    /// 200,000 entries were where a build's memory peaked).
    public struct Encoder {
        private var writer = BinaryWriter()
        private(set) var paths: [UInt8] = []
        public private(set) var count = 0

        var records: [UInt8] { writer.bytes }

        /// Sized once for `expectedEntries` (the blob grows as paths come).
        public init(expectedEntries: Int) {
            writer.bytes.reserveCapacity(expectedEntries * UpToDateManifest.entrySize)
            paths.reserveCapacity(expectedEntries * 16)
        }

        public mutating func append(_ e: Entry) {
            let s = e.status ?? FileStatus(device: 0, inode: 0, size: 0, mtimeNs: 0, ctimeNs: 0)
            writer.bytes.append(e.kind.rawValue)
            writer.bytes.append(e.status == nil ? 1 : 0)
            writer.bytes.append(0); writer.bytes.append(0)
            writer.u32(UInt32(paths.count))
            writer.u64(s.device); writer.u64(s.inode); writer.u64(UInt64(bitPattern: s.size))
            writer.u64(UInt64(bitPattern: s.mtimeNs)); writer.u64(UInt64(bitPattern: s.ctimeNs))
            writer.u64(e.digest.high); writer.u64(e.digest.low)
            paths.append(contentsOf: e.path.utf8)
            paths.append(0)
            count += 1
        }

        /// Shifts each entry's path offset by `offset`: for the paths of the encoders before.
        mutating func movePaths(by offset: Int) {
            guard offset != 0 else { return }
            writer.bytes.withUnsafeMutableBytes { raw in
                for e in 0..<count {
                    let at = e * UpToDateManifest.entrySize + 4
                    let old = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                    raw.storeBytes(of: (old + UInt32(offset)).littleEndian, toByteOffset: at, as: UInt32.self)
                }
            }
        }
    }
}
