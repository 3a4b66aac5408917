import JobBasics
import Synchronization

/// Contents of at most `limit` bytes, kept as rows of one SQLite file (`store/small.db`)
/// instead of one file each. Making a file costs an inode, which on ext4 right after many
/// deletions (a clean rebuild) was most of `job`'s own time per rule; a row costs a write to
/// the log of the database, and inserts go in batches (see `batch`). A crash keeps each row
/// whole or not at all. Opened on first use, so that a build that stores nothing never opens it.
final class SmallBlobTable: @unchecked Sendable {
    /// Larger contents are files: media outputs are, SQLite's own measurements favour rows
    /// below about 100 KB.
    static let limit = 64 * 1024

    /// Inserts wait here and go in one transaction per `batch`: a transaction per rule was
    /// two file locks and a write to the log each. What a crash loses from here only turns a
    /// later restore into a rebuild.
    static let batch = 64

    private let path: String
    private let lock = Mutex<Void>(())
    private var database: SQLiteDatabase?
    private var select: SQLiteDatabase.Statement?
    private var insert: SQLiteDatabase.Statement?
    private var pending: [ContentDigest: [UInt8]] = [:]

    init(path: String) { self.path = path }

    /// Opens (and creates) the table; nil when that fails: then every content is a file.
    private func open() -> (SQLiteDatabase.Statement, SQLiteDatabase.Statement)? {
        if let select, let insert { return (select, insert) }
        do {
            try FileOperations.createDirectories(FileOperations.parentDirectory(path))
            let db = try SQLiteDatabase(path: path)
            try db.execute("""
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                CREATE TABLE IF NOT EXISTS blobs(hi INTEGER NOT NULL, lo INTEGER NOT NULL, data BLOB NOT NULL,
                    PRIMARY KEY(hi, lo)) WITHOUT ROWID;
                """)
            let s = try db.prepare("SELECT data FROM blobs WHERE hi = ? AND lo = ?")
            let i = try db.prepare("INSERT OR IGNORE INTO blobs VALUES(?, ?, ?)")
            database = db
            select = s
            insert = i
            return (s, i)
        } catch {
            return nil
        }
    }

    func contains(_ digest: ContentDigest) -> Bool {
        read(digest) { _ in true } ?? false
    }

    /// Calls `body` with the content's bytes, if the table has it.
    func read<T>(_ digest: ContentDigest, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T? {
        if let bytes = lock.withLock({ _ in pending[digest] }) { return try bytes.withUnsafeBytes { try body($0) } }
        return try lock.withLock { _ in
            guard let (select, _) = open() else { return nil }
            defer { select.reset() }
            select.bind(1, Int64(bitPattern: digest.high))
            select.bind(2, Int64(bitPattern: digest.low))
            guard (try? select.step()) == true else { return nil }
            return try body(select.blob(0))
        }
    }

    /// Keeps `bytes` under `digest` (written with the next batch); false when the table cannot
    /// be used (the caller keeps a file instead).
    func insert(_ bytes: [UInt8], digest: ContentDigest) -> Bool {
        lock.withLock { _ in
            guard open() != nil else { return false }
            pending[digest] = bytes
            if pending.count >= Self.batch { writePending() }
            return true
        }
    }

    /// Writes what waits, in one transaction, and closes the table (the next use opens it
    /// again): a process may end without releasing the store.
    func flush() {
        lock.withLock { _ in
            writePending()
            select = nil
            insert = nil
            database?.close()
            database = nil
        }
    }

    private func writePending() {
        guard !pending.isEmpty, let database, let insert else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        try? database.transaction {
            for (digest, bytes) in batch {
                insert.bind(1, Int64(bitPattern: digest.high))
                insert.bind(2, Int64(bitPattern: digest.low))
                bytes.withUnsafeBytes { insert.bind(3, raw: $0) }
                try insert.run()
            }
        }
    }

    deinit { writePending() }
}
