import CSQLite

public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { "state database: \(message)" }
}

/// A thin handle on the system's SQLite: enough for the state database, no more.
/// Used by one task at a time (the engine's scheduler), hence unchecked Sendable.
final class SQLiteDatabase: @unchecked Sendable {
    private var handle: OpaquePointer?

    init(path: String) throws(SQLiteError) {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        if sqlite3_open_v2(path, &handle, flags, nil) != SQLITE_OK {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw SQLiteError(message: "\(path): \(message)")
        }
        sqlite3_busy_timeout(handle, 10_000)
    }

    // close_v2: the handle lives on until its last prepared statement is finalized, whatever
    // order the statements held by this and other objects are released in.
    deinit { if let handle { sqlite3_close_v2(handle) } }

    /// Closes the connection now (once the statements prepared on it are released): the last
    /// connection to close copies the WAL into the database and removes it.
    func close() {
        begin = nil
        commit = nil
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func execute(_ sql: String) throws(SQLiteError) {
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &error) != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw SQLiteError(message: message)
        }
    }

    func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        var stmt: OpaquePointer?
        if sqlite3_prepare_v2(handle, sql, -1, &stmt, nil) != SQLITE_OK {
            throw SQLiteError(message: String(cString: sqlite3_errmsg(handle)))
        }
        return Statement(stmt!, db: handle)
    }

    /// Prepared once: a transaction per rule parsed these three statements each time.
    private lazy var begin = try? prepare("BEGIN IMMEDIATE")
    private lazy var commit = try? prepare("COMMIT")

    /// Runs `body` in one transaction: all of it is recorded, or none of it.
    func transaction(_ body: () throws -> Void) throws {
        if let begin { try begin.run() } else { try execute("BEGIN IMMEDIATE") }
        do {
            try body()
            if let commit { try commit.run() } else { try execute("COMMIT") }
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    final class Statement {
        private let stmt: OpaquePointer
        private let db: OpaquePointer?

        init(_ stmt: OpaquePointer, db: OpaquePointer?) {
            self.stmt = stmt
            self.db = db
        }

        deinit { sqlite3_finalize(stmt) }

        func reset() {
            sqlite3_reset(stmt)
            sqlite3_clear_bindings(stmt)
        }

        func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(stmt, index, value) }
        func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(stmt, index, value) }
        func bind(_ index: Int32, _ value: String) {
            // SQLITE_TRANSIENT: SQLite copies the text before the call returns.
            sqlite3_bind_text(stmt, index, value, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }

        func bind(_ index: Int32, blob: [UInt8]) {
            blob.withUnsafeBytes { buf in
                _ = sqlite3_bind_blob(stmt, index, buf.baseAddress, Int32(buf.count),
                                      unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        }

        /// Bytes in memory as a blob (an empty one too: no pointer would bind NULL).
        func bind(_ index: Int32, raw: UnsafeRawBufferPointer) {
            if raw.isEmpty {
                sqlite3_bind_zeroblob(stmt, index, 0)
            } else {
                sqlite3_bind_blob(stmt, index, raw.baseAddress, Int32(raw.count),
                                  unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        }

        /// Steps once; true while a row is available.
        func step() throws(SQLiteError) -> Bool {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_ROW { return true }
            if rc == SQLITE_DONE { return false }
            throw SQLiteError(message: String(cString: sqlite3_errmsg(db)))
        }

        func run() throws(SQLiteError) {
            _ = try step()
            reset()
        }

        func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
        func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }
        /// The bytes of a blob column, valid until the next step.
        func blob(_ column: Int32) -> UnsafeRawBufferPointer {
            let n = Int(sqlite3_column_bytes(stmt, column))
            guard n > 0, let p = sqlite3_column_blob(stmt, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: p, count: n)
        }

        func string(_ column: Int32) -> String {
            guard let p = sqlite3_column_text(stmt, column) else { return "" }
            return String(cString: p)
        }
    }
}
