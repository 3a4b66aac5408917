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
    /// Kept to explain a rebuild: what the recipe was, and what each input held (nil when
    /// not loaded: see `StateDatabase.inputs(of:)`).
    public var recipeDigest: ContentDigest
    public var inputs: [OutputRecord]?

    public init(key: ContentDigest, outputs: [OutputRecord], durationSeconds: Double,
                recipeDigest: ContentDigest, inputs: [OutputRecord]?) {
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
    public private(set) var files = StringTable<FileRecord>()
    public private(set) var rules = StringTable<RuleRecord>()
    /// Paths that `job` wrote, with what it wrote there.
    public private(set) var produced = StringTable<ContentDigest>()
    private var pendingFiles: [String: FileRecord] = [:]
    /// Statements prepared once and reused: parsing SQL for every rule showed in profiles.
    private var statements: [String: SQLiteDatabase.Statement] = [:]

    // Lookups made in place, for the hot paths: reading a table through its property from
    // another module copies it first (a retain and a release of each of its arrays, which,
    // from two cores at once, bounce between them).

    /// The stat cache's record of `path`.
    public func file(_ path: String) -> FileRecord? { files[path] }
    /// The last successful run of `instance`.
    public func rule(_ instance: String) -> RuleRecord? { rules[instance] }
    /// Whether `job` wrote `path`.
    public func madeByJob(_ path: String) -> Bool { produced[path] != nil }

    private func statement(_ sql: String) throws(SQLiteError) -> SQLiteDatabase.Statement {
        if let s = statements[sql] { return s }
        let s = try db.prepare(sql)
        statements[sql] = s
        return s
    }

    static let schemaVersion = "3"

    /// Every table (3: each a single b-tree, `WITHOUT ROWID`, so that a rule's transaction
    /// writes half the pages it did with a table and its key's index).
    static let tables = """
        CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER, size INTEGER,
            mtime INTEGER, ctime INTEGER, hi INTEGER, lo INTEGER) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS rules(instance TEXT PRIMARY KEY, hi INTEGER, lo INTEGER,
            outputs BLOB NOT NULL, duration REAL, recipe_hi INTEGER, recipe_lo INTEGER,
            inputs BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS produced(path TEXT PRIMARY KEY, hi INTEGER, lo INTEGER) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS actions(hi INTEGER, lo INTEGER, outputs BLOB NOT NULL,
            PRIMARY KEY(hi, lo)) WITHOUT ROWID;
        """

    /// State from another version of job: dropping it is always safe (contract 4).
    private func dropAll() throws(SQLiteError) {
        try db.execute("""
            DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS rules;
            DROP TABLE IF EXISTS produced; DROP TABLE IF EXISTS actions;
            INSERT OR REPLACE INTO meta VALUES('schema', '\(Self.schemaVersion)');
            """)
    }

    /// Schema 2 had the same columns in tables with a rowid: its rows are carried over, in one
    /// transaction, so that upgrading job rebuilds nothing.
    private func migrateFromSchema2() throws(SQLiteError) {
        let names = ["files", "rules", "produced", "actions"]
        try db.execute("BEGIN IMMEDIATE;"
            + names.map { "ALTER TABLE \($0) RENAME TO \($0)_v2;" }.joined()
            + Self.tables
            + names.map { "INSERT INTO \($0) SELECT * FROM \($0)_v2; DROP TABLE \($0)_v2;" }.joined()
            + "INSERT OR REPLACE INTO meta VALUES('schema', '\(Self.schemaVersion)'); COMMIT;")
    }

    /// The schema version the database at hand was written with (nil: none yet).
    private static func schema(of db: SQLiteDatabase) throws(SQLiteError) -> String? {
        let s = try db.prepare("SELECT value FROM meta WHERE key = 'schema'")
        return try s.step() ? s.string(0) : nil
    }

    /// The WAL is copied into the database (with an fdatasync) every 16,384 pages instead of
    /// SQLite's 1,000: a transaction per rule made 40 of them in a build of 2,000 rules. The
    /// last connection to close copies it all and removes it, as before. (Reading the file
    /// through a mapping saved a `pread` per page, but its 50 MB at 100,000 rules then counted
    /// in the process's peak memory.)
    public init(path: String) throws(SQLiteError) {
        db = try SQLiteDatabase(path: path)
        try db.execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            PRAGMA wal_autocheckpoint=16384;
            CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """)
        let found = try Self.schema(of: db)
        if found == "2" {
            do {
                try migrateFromSchema2()
            } catch {
                try? db.execute("ROLLBACK")
                try dropAll()
            }
        } else if found != Self.schemaVersion {
            try dropAll()
        }
        try db.execute(Self.tables)
        try load()
    }

    private func load() throws(SQLiteError) {
        // Sized first: growing tables of 100,000 entries showed in profiles.
        files.reserveCapacity(try count("files"))
        rules.reserveCapacity(try count("rules"))
        produced.reserveCapacity(try count("produced"))
        let f = try db.prepare("SELECT path, dev, ino, size, mtime, ctime, hi, lo FROM files")
        while try f.step() {
            files[f.string(0)] = FileRecord(
                status: FileStatus(device: UInt64(bitPattern: f.int64(1)), inode: UInt64(bitPattern: f.int64(2)),
                                   size: f.int64(3), mtimeNs: f.int64(4), ctimeNs: f.int64(5)),
                digest: ContentDigest(high: UInt64(bitPattern: f.int64(6)), low: UInt64(bitPattern: f.int64(7))))
        }
        // Inputs are kept only to explain a rebuild: not read here (a rule reading 10,000 files
        // would cost a no-op 10,000 decodes).
        let r = try db.prepare("SELECT instance, hi, lo, outputs, duration, recipe_hi, recipe_lo FROM rules")
        while try r.step() {
            rules[r.string(0)] = RuleRecord(
                key: ContentDigest(high: UInt64(bitPattern: r.int64(1)), low: UInt64(bitPattern: r.int64(2))),
                outputs: Self.decodeOutputs(r.blob(3)), durationSeconds: r.double(4),
                recipeDigest: ContentDigest(high: UInt64(bitPattern: r.int64(5)), low: UInt64(bitPattern: r.int64(6))),
                inputs: nil)
        }
        let p = try db.prepare("SELECT path, hi, lo FROM produced")
        while try p.step() {
            produced[p.string(0)] = ContentDigest(high: UInt64(bitPattern: p.int64(1)), low: UInt64(bitPattern: p.int64(2)))
        }
    }

    private func count(_ table: String) throws(SQLiteError) -> Int {
        let s = try db.prepare("SELECT COUNT(*) FROM \(table)")
        return try s.step() ? Int(s.int64(0)) : 0
    }

    /// The inputs (with their digests) of the instance's last successful run.
    public func inputs(of instance: String) throws(SQLiteError) -> [OutputRecord] {
        if let known = rules[instance]?.inputs { return known }
        let s = try db.prepare("SELECT inputs FROM rules WHERE instance = ?")
        s.bind(1, instance)
        return try s.step() ? Self.decodeOutputs(s.blob(0)) : []
    }

    /// The outputs a run with `key` produced, at any time, by any rule: the action cache.
    public func action(for key: ContentDigest) throws(SQLiteError) -> [OutputRecord]? {
        let s = try statement("SELECT outputs FROM actions WHERE hi = ? AND lo = ?")
        defer { s.reset() }
        s.bind(1, Int64(bitPattern: key.high))
        s.bind(2, Int64(bitPattern: key.low))
        return try s.step() ? Self.decodeOutputs(s.blob(0)) : nil
    }

    /// Records a successful run (or restore): the rule's key and outputs, the paths as made
    /// by `job`, and the action for later restores. One transaction.
    public func recordRule(instance: String, _ record: RuleRecord) throws {
        try recordRules([(instance, record)])
    }

    /// Records several rules in one transaction: all of them, or (on an error) none. Rules
    /// that finish close together share their writes to the log of the database: a
    /// transaction per rule wrote about five pages of it, and took its locks, for each.
    public func recordRules(_ records: [(instance: String, record: RuleRecord)]) throws {
        try db.transaction {
            let r = try statement("INSERT OR REPLACE INTO rules VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
            let a = try statement("INSERT OR REPLACE INTO actions VALUES(?, ?, ?)")
            for (instance, record) in records {
                let key = record.key
                let encoded = Self.encodeOutputs(record.outputs)
                r.bind(1, instance)
                r.bind(2, Int64(bitPattern: key.high))
                r.bind(3, Int64(bitPattern: key.low))
                r.bind(4, blob: encoded)
                r.bind(5, record.durationSeconds)
                r.bind(6, Int64(bitPattern: record.recipeDigest.high))
                r.bind(7, Int64(bitPattern: record.recipeDigest.low))
                r.bind(8, blob: Self.encodeOutputs(record.inputs ?? []))
                try r.run()
                a.bind(1, Int64(bitPattern: key.high))
                a.bind(2, Int64(bitPattern: key.low))
                a.bind(3, blob: encoded)
                try a.run()
                try insertProduced(record.outputs)
            }
        }
        for (instance, record) in records {
            rules[instance] = record
            for o in record.outputs { produced[o.path] = o.digest }
        }
    }

    /// Records that `job` wrote these files (a fallback's outputs), without recording the rule
    /// as up to date: the next build runs the rule again and may replace them.
    public func recordProduced(_ outputs: [OutputRecord]) throws {
        try db.transaction { try insertProduced(outputs) }
        for o in outputs { produced[o.path] = o.digest }
    }

    /// Rows saying that `job` wrote these files, inside the caller's transaction (which
    /// updates `produced` once it is committed).
    private func insertProduced(_ outputs: [OutputRecord]) throws {
        let p = try statement("INSERT OR REPLACE INTO produced VALUES(?, ?, ?)")
        for o in outputs {
            p.bind(1, o.path)
            p.bind(2, Int64(bitPattern: o.digest.high))
            p.bind(3, Int64(bitPattern: o.digest.low))
            try p.run()
        }
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

    /// Puts statuses in the stat cache of the database at `databasePath` without loading it (the
    /// no-op's fast path, after a `touch`). Does nothing to a database of another schema.
    public static func rememberFiles(_ records: [(path: String, record: FileRecord)], databasePath: String) throws {
        let db = try SQLiteDatabase(path: databasePath)
        guard try schema(of: db) == schemaVersion else { return }
        try db.transaction {
            let s = try db.prepare("INSERT OR REPLACE INTO files VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
            for (path, rec) in records { try insertFile(s, path, rec) }
        }
    }

    private static func insertFile(_ s: SQLiteDatabase.Statement, _ path: String, _ rec: FileRecord) throws {
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

    /// Closes the database: its tables stay readable in memory, nothing more is written.
    public func close() {
        statements.removeAll()
        db.close()
    }

    public func flush() throws {
        guard !pendingFiles.isEmpty else { return }
        let batch = pendingFiles
        try db.transaction {
            let s = try statement("INSERT OR REPLACE INTO files VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
            for (path, rec) in batch { try Self.insertFile(s, path, rec) }
        }
        pendingFiles.removeAll()
    }

    /// Paths with digests as a blob: per record 16 bytes of digest, a 4-byte length, the path.
    static func encodeOutputs(_ outputs: [OutputRecord]) -> [UInt8] {
        var bytes: [UInt8] = []
        for o in outputs {
            withUnsafeBytes(of: (o.digest.high.littleEndian, o.digest.low.littleEndian)) { bytes.append(contentsOf: $0) }
            var path = o.path
            path.withUTF8 { p in
                withUnsafeBytes(of: UInt32(p.count).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: p)
            }
        }
        return bytes
    }

    static func decodeOutputs(_ raw: UnsafeRawBufferPointer) -> [OutputRecord] {
        var records: [OutputRecord] = []
        var i = 0
        while i + 20 <= raw.count {
            let high = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let low = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self))
            let n = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i + 16, as: UInt32.self)))
            i += 20
            guard i + n <= raw.count else { break }
            let path = String(decoding: UnsafeRawBufferPointer(rebasing: raw[i..<(i + n)]), as: UTF8.self)
            i += n
            records.append(OutputRecord(path: path, digest: ContentDigest(high: high, low: low)))
        }
        return records
    }
}
