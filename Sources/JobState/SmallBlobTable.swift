import JobBasics
import Synchronization

/// Contents of at most `limit` bytes, kept as rows of one SQLite file (`store/small.db`)
/// instead of one file each. Making a file costs an inode, which on ext4 right after many
/// deletions (a clean rebuild) was most of `job`'s own time per rule; a row costs a write to
/// the log of the database. Each insert is one transaction: a crash keeps a blob whole or
/// not at all. Opened on first use, so that a build that stores nothing never opens it.
final class SmallBlobTable: @unchecked Sendable {
    /// Larger contents are files: media outputs are, SQLite's own measurements favour rows
    /// below about 100 KB.
    static let limit = 64 * 1024

    private let path: String
    private let lock = Mutex<Void>(())
    private var database: SQLiteDatabase?
    private var select: SQLiteDatabase.Statement?
    private var insert: SQLiteDatabase.Statement?

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
        try lock.withLock { _ in
            guard let (select, _) = open() else { return nil }
            defer { select.reset() }
            select.bind(1, Int64(bitPattern: digest.high))
            select.bind(2, Int64(bitPattern: digest.low))
            guard (try? select.step()) == true else { return nil }
            return try body(select.blob(0))
        }
    }

    /// Keeps `bytes` under `digest`; false when the table cannot be used (the caller keeps a
    /// file instead).
    func insert(_ bytes: UnsafeRawBufferPointer, digest: ContentDigest) -> Bool {
        lock.withLock { _ in
            guard let (_, insert) = open() else { return false }
            insert.bind(1, Int64(bitPattern: digest.high))
            insert.bind(2, Int64(bitPattern: digest.low))
            insert.bind(3, raw: bytes)
            return (try? insert.run()) != nil
        }
    }
}
