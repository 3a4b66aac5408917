import JobBasics

/// What the stat cache knows of a file: its status when it was hashed, and the digest.
public struct FileRecord: Sendable, Hashable {
    public var status: FileStatus
    public var digest: ContentDigest
    public init(status: FileStatus, digest: ContentDigest) {
        self.status = status
        self.digest = digest
    }
}

/// An output as a successful run left it.
public struct OutputRecord: Sendable, Hashable {
    public var path: String
    public var digest: ContentDigest
    public init(path: String, digest: ContentDigest) {
        self.path = path
        self.digest = digest
    }
}

/// The last successful run of a rule instance.
public struct RuleRecord: Sendable, Hashable {
    public var key: ContentDigest
    public var outputs: [OutputRecord]
    public var durationSeconds: Double
    /// Kept to explain a rebuild: what the recipe was, and what each input held.
    public var recipeDigest: ContentDigest
    public var inputs: [OutputRecord]

    public init(key: ContentDigest, outputs: [OutputRecord], durationSeconds: Double,
                recipeDigest: ContentDigest, inputs: [OutputRecord]) {
        self.key = key
        self.outputs = outputs
        self.durationSeconds = durationSeconds
        self.recipeDigest = recipeDigest
        self.inputs = inputs
    }
}

/// The build state in `cache/state.db` (SQLite, WAL). Everything a no-op needs is read in
/// three queries at open; a rule is recorded in one transaction, so a `kill -9` at any
/// instant leaves either the old record or the new one.
public final class StateDatabase: @unchecked Sendable {
    private let db: SQLiteDatabase
    public private(set) var files: [String: FileRecord] = [:]
    public private(set) var rules: [String: RuleRecord] = [:]
    /// Paths that `job` wrote, with what it wrote there.
    public private(set) var produced: [String: ContentDigest] = [:]
    private var pendingFiles: [String: FileRecord] = [:]

    static let schemaVersion = "1"

    public init(path: String) throws(SQLiteError) {
        db = try SQLiteDatabase(path: path)
        try db.execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER, size INTEGER,
                mtime INTEGER, ctime INTEGER, hi INTEGER, lo INTEGER);
            CREATE TABLE IF NOT EXISTS rules(instance TEXT PRIMARY KEY, hi INTEGER, lo INTEGER,
                outputs TEXT NOT NULL, duration REAL, recipe_hi INTEGER, recipe_lo INTEGER, inputs TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS produced(path TEXT PRIMARY KEY, hi INTEGER, lo INTEGER);
            CREATE TABLE IF NOT EXISTS actions(hi INTEGER, lo INTEGER, outputs TEXT NOT NULL,
                PRIMARY KEY(hi, lo));
            INSERT OR IGNORE INTO meta VALUES('schema', '\(Self.schemaVersion)');
            """)
        try load()
    }

    private func load() throws(SQLiteError) {
        let f = try db.prepare("SELECT path, dev, ino, size, mtime, ctime, hi, lo FROM files")
        while try f.step() {
            files[f.string(0)] = FileRecord(
                status: FileStatus(device: UInt64(bitPattern: f.int64(1)), inode: UInt64(bitPattern: f.int64(2)),
                                   size: f.int64(3), mtimeNs: f.int64(4), ctimeNs: f.int64(5)),
                digest: ContentDigest(high: UInt64(bitPattern: f.int64(6)), low: UInt64(bitPattern: f.int64(7))))
        }
        let r = try db.prepare("SELECT instance, hi, lo, outputs, duration, recipe_hi, recipe_lo, inputs FROM rules")
        while try r.step() {
            rules[r.string(0)] = RuleRecord(
                key: ContentDigest(high: UInt64(bitPattern: r.int64(1)), low: UInt64(bitPattern: r.int64(2))),
                outputs: Self.decodeOutputs(r.string(3)), durationSeconds: r.double(4),
                recipeDigest: ContentDigest(high: UInt64(bitPattern: r.int64(5)), low: UInt64(bitPattern: r.int64(6))),
                inputs: Self.decodeOutputs(r.string(7)))
        }
        let p = try db.prepare("SELECT path, hi, lo FROM produced")
        while try p.step() {
            produced[p.string(0)] = ContentDigest(high: UInt64(bitPattern: p.int64(1)), low: UInt64(bitPattern: p.int64(2)))
        }
    }

    /// The outputs a run with `key` produced, at any time, by any rule: the action cache.
    public func action(for key: ContentDigest) throws(SQLiteError) -> [OutputRecord]? {
        let s = try db.prepare("SELECT outputs FROM actions WHERE hi = ? AND lo = ?")
        s.bind(1, Int64(bitPattern: key.high))
        s.bind(2, Int64(bitPattern: key.low))
        return try s.step() ? Self.decodeOutputs(s.string(0)) : nil
    }

    /// Records a successful run (or restore): the rule's key and outputs, the paths as made
    /// by `job`, and the action for later restores. One transaction.
    public func recordRule(instance: String, _ record: RuleRecord) throws {
        let key = record.key
        let outputs = record.outputs
        let encoded = Self.encodeOutputs(outputs)
        try db.transaction {
            let r = try db.prepare("INSERT OR REPLACE INTO rules VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
            r.bind(1, instance)
            r.bind(2, Int64(bitPattern: key.high))
            r.bind(3, Int64(bitPattern: key.low))
            r.bind(4, encoded)
            r.bind(5, record.durationSeconds)
            r.bind(6, Int64(bitPattern: record.recipeDigest.high))
            r.bind(7, Int64(bitPattern: record.recipeDigest.low))
            r.bind(8, Self.encodeOutputs(record.inputs))
            try r.run()
            let a = try db.prepare("INSERT OR REPLACE INTO actions VALUES(?, ?, ?)")
            a.bind(1, Int64(bitPattern: key.high))
            a.bind(2, Int64(bitPattern: key.low))
            a.bind(3, encoded)
            try a.run()
            let p = try db.prepare("INSERT OR REPLACE INTO produced VALUES(?, ?, ?)")
            for o in outputs {
                p.bind(1, o.path)
                p.bind(2, Int64(bitPattern: o.digest.high))
                p.bind(3, Int64(bitPattern: o.digest.low))
                try p.run()
            }
        }
        rules[instance] = record
        for o in outputs { produced[o.path] = o.digest }
    }

    /// Remembers a file's status and digest; written by `flush()`, in one transaction. Losing
    /// these to a crash only costs hashing again.
    public func rememberFile(_ path: String, _ record: FileRecord) {
        if files[path] != record {
            files[path] = record
            pendingFiles[path] = record
        }
    }

    public func forgetFile(_ path: String) {
        if files.removeValue(forKey: path) != nil {
            pendingFiles.removeValue(forKey: path)
            try? db.transaction {
                let s = try db.prepare("DELETE FROM files WHERE path = ?")
                s.bind(1, path)
                try s.run()
            }
        }
    }

    /// Forgets that `job` made `path` (after `job clean` removed it).
    public func forgetProduced(_ paths: [String]) throws {
        try db.transaction {
            let s = try db.prepare("DELETE FROM produced WHERE path = ?")
            for p in paths {
                s.bind(1, p)
                try s.run()
            }
        }
        for p in paths { produced.removeValue(forKey: p) }
    }

    public func flush() throws {
        guard !pendingFiles.isEmpty else { return }
        let batch = pendingFiles
        try db.transaction {
            let s = try db.prepare("INSERT OR REPLACE INTO files VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
            for (path, rec) in batch {
                s.bind(1, path)
                s.bind(2, Int64(bitPattern: rec.status.device))
                s.bind(3, Int64(bitPattern: rec.status.inode))
                s.bind(4, rec.status.size)
                s.bind(5, rec.status.mtimeNs)
                s.bind(6, rec.status.ctimeNs)
                s.bind(7, Int64(bitPattern: rec.digest.high))
                s.bind(8, Int64(bitPattern: rec.digest.low))
                try s.run()
            }
        }
        pendingFiles.removeAll()
    }

    static func encodeOutputs(_ outputs: [OutputRecord]) -> String {
        outputs.map { $0.digest.hex + " " + $0.path }.joined(separator: "\n")
    }

    static func decodeOutputs(_ text: String) -> [OutputRecord] {
        text.split(separator: "\n").compactMap { line in
            guard line.count > 33, let d = ContentDigest(hex: String(line.prefix(32))) else { return nil }
            return OutputRecord(path: String(line.dropFirst(33)), digest: d)
        }
    }
}
