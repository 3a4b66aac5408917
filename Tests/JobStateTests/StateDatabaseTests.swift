import Foundation
import JobBasics
import JobState
import Testing

@Suite("StateDatabase")
struct StateDatabaseTests {
    let d1 = ContentDigest(high: 0x1111_2222_3333_4444, low: 0x5555_6666_7777_8888)
    let d2 = ContentDigest(high: .max, low: 1 << 63)          // high bits set: stored as negative integers
    let d3 = ContentDigest(high: 0, low: 0)
    let key = ContentDigest(high: 0xdead_beef, low: 0xfeed_face)
    let recipe = ContentDigest(high: 42, low: 43)

    var record: RuleRecord {
        RuleRecord(key: key,
                   outputs: [OutputRecord(path: "build/clips/intro.mp4", digest: d1),
                             OutputRecord(path: "build/my clip's copy.mp4", digest: d2)],
                   durationSeconds: 1.25, recipeDigest: recipe,
                   inputs: [OutputRecord(path: "footage/intro.mp4", digest: d3),
                            OutputRecord(path: "/shared/ünï.wav", digest: d1)])
    }

    @Test func emptyDatabase() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let db = try StateDatabase(path: dir.file("state.db"))
        #expect(db.rules.isEmpty)
        #expect(db.files.isEmpty)
        #expect(db.produced.isEmpty)
        #expect(try db.action(for: key) == nil)
        #expect(try db.inputs(of: "nothing") == [])
        #expect(FileManager.default.fileExists(atPath: dir.file("state.db")))
    }

    @Test func rulesRecordedTogetherAreAllThereAfterReopen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        let other = RuleRecord(key: d3, outputs: [OutputRecord(path: "out/b.txt", digest: d2)], durationSeconds: 0.5,
                               recipeDigest: recipe, inputs: [])
        do {
            let db = try StateDatabase(path: path)
            try db.recordRules([("a", record), ("b", other)])
            #expect(db.rules.dictionary == ["a": record, "b": other])
            #expect(db.produced["out/b.txt"] == d2 && db.produced["build/clips/intro.mp4"] == d1)
        }
        let reopened = try StateDatabase(path: path)
        #expect(reopened.rules["a"]?.key == key && reopened.rules["b"]?.key == d3)
        #expect(reopened.rules["b"]?.outputs == other.outputs)
        #expect(try reopened.action(for: d3) == other.outputs)
        #expect(try reopened.action(for: key) == record.outputs)
        #expect(reopened.produced.count == 3)
    }

    @Test func recordedRuleIsVisibleAtOnceAndAfterReopen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        do {
            let db = try StateDatabase(path: path)
            try db.recordRule(instance: "clip[scene=intro]", record)
            #expect(db.rules["clip[scene=intro]"] == record)
            #expect(db.produced.dictionary == ["build/clips/intro.mp4": d1, "build/my clip's copy.mp4": d2])
            #expect(try db.action(for: key) == record.outputs)
            #expect(try db.inputs(of: "clip[scene=intro]") == record.inputs)
        }
        let reopened = try StateDatabase(path: path)
        let r = try #require(reopened.rules["clip[scene=intro]"])
        #expect(r.key == key)
        #expect(r.outputs == record.outputs)
        #expect(r.durationSeconds == 1.25)
        #expect(r.recipeDigest == recipe)
        #expect(try reopened.inputs(of: "clip[scene=intro]") == record.inputs)
        #expect(reopened.produced.dictionary == ["build/clips/intro.mp4": d1, "build/my clip's copy.mp4": d2])
        #expect(try reopened.action(for: key) == record.outputs)
        #expect(try reopened.action(for: recipe) == nil)
        #expect(reopened.rules.count == 1)
    }

    @Test func aRuleWithoutInputsOrWithOddPathsRoundTrips() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        let odd = "out/new\nline and \"quotes\" and ✓.txt"
        let bare = RuleRecord(key: d3, outputs: [OutputRecord(path: odd, digest: d2)], durationSeconds: 0,
                              recipeDigest: d1, inputs: [])
        do {
            let db = try StateDatabase(path: path)
            try db.recordRule(instance: "bare", bare)
        }
        let reopened = try StateDatabase(path: path)
        #expect(reopened.rules["bare"]?.outputs == [OutputRecord(path: odd, digest: d2)])
        #expect(try reopened.inputs(of: "bare") == [])
        #expect(reopened.produced[odd] == d2)
        #expect(try reopened.action(for: d3) == [OutputRecord(path: odd, digest: d2)])
    }

    @Test func recordingAgainReplacesTheRuleButKeepsOldActions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        let newKey = ContentDigest(high: 7, low: 7)
        let newer = RuleRecord(key: newKey, outputs: [OutputRecord(path: "build/clips/intro.mp4", digest: d3)],
                               durationSeconds: 2, recipeDigest: recipe, inputs: [])
        do {
            let db = try StateDatabase(path: path)
            try db.recordRule(instance: "clip", record)
            try db.recordRule(instance: "clip", newer)
            #expect(db.rules["clip"]?.key == newKey)
        }
        let reopened = try StateDatabase(path: path)
        #expect(reopened.rules["clip"]?.key == newKey)
        #expect(reopened.rules["clip"]?.outputs == newer.outputs)
        #expect(reopened.produced["build/clips/intro.mp4"] == d3)
        // Both actions stay: an undone edit is restored from the cache.
        #expect(try reopened.action(for: key) == record.outputs)
        #expect(try reopened.action(for: newKey) == newer.outputs)
    }

    @Test func rememberedFilesNeedAFlush() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        let status = FileStatus(device: 2049, inode: .max - 5, size: 1_234_567, mtimeNs: 1_700_000_000_123_456_789,
                                ctimeNs: 1_700_000_001_000_000_001)
        let a = FileRecord(status: status, digest: d1)
        let b = FileRecord(status: FileStatus(device: 1, inode: 2, size: 0, mtimeNs: -5, ctimeNs: 0), digest: d2)
        do {
            let db = try StateDatabase(path: path)
            db.rememberFile("footage/a.mp4", a)
            db.rememberFile("b.txt", b)
            #expect(db.files["footage/a.mp4"] == a)
            try db.flush()
            db.rememberFile("not-flushed.txt", a)
            #expect(db.files.count == 3)
        }
        do {
            let db = try StateDatabase(path: path)
            #expect(db.files.dictionary == ["footage/a.mp4": a, "b.txt": b])
            db.forgetFile("b.txt")
            #expect(db.files["b.txt"] == nil)
        }
        let db = try StateDatabase(path: path)
        #expect(db.files.dictionary == ["footage/a.mp4": a])
    }

    @Test func forgetProducedSurvivesReopen() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        do {
            let db = try StateDatabase(path: path)
            try db.recordRule(instance: "clip", record)
            try db.forgetProduced(["build/clips/intro.mp4"])
            #expect(db.produced.dictionary == ["build/my clip's copy.mp4": d2])
        }
        let db = try StateDatabase(path: path)
        #expect(db.produced.dictionary == ["build/my clip's copy.mp4": d2])
        #expect(db.rules["clip"] != nil)
    }

    @Test func stateOfAnotherVersionIsDropped() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        do {
            let db = try StateDatabase(path: path)
            try db.recordRule(instance: "clip", record)
        }
        // Pretend an older job wrote it.
        try sqlite(path, "UPDATE meta SET value = '0' WHERE key = 'schema'")

        let db = try StateDatabase(path: path)
        #expect(db.rules.isEmpty)
        #expect(db.produced.isEmpty)
        #expect(try db.action(for: key) == nil)
        try db.recordRule(instance: "clip", record)
        #expect(try StateDatabase(path: path).rules["clip"]?.key == key)
    }

    /// Runs SQL on the database with the sqlite3 program, as another version of job would have
    /// written it; returns what it prints.
    @discardableResult
    func sqlite(_ path: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, sql]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0)
        return text
    }

    @Test func stateOfSchema2IsCarriedOver() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("state.db")
        do {
            let db = try StateDatabase(path: path)
            try db.recordRule(instance: "clip", record)
            db.rememberFile("footage/intro.mp4", FileRecord(status: FileStatus(device: 1, inode: 2, size: 3, mtimeNs: 4, ctimeNs: 5), digest: d3))
            try db.flush()
        }
        // The same rows in the tables of schema 2, which had a rowid.
        let v2 = [
            "files": "path TEXT PRIMARY KEY, dev INTEGER, ino INTEGER, size INTEGER, mtime INTEGER, ctime INTEGER, hi INTEGER, lo INTEGER",
            "rules": "instance TEXT PRIMARY KEY, hi INTEGER, lo INTEGER, outputs BLOB NOT NULL, duration REAL, recipe_hi INTEGER, recipe_lo INTEGER, inputs BLOB NOT NULL",
            "produced": "path TEXT PRIMARY KEY, hi INTEGER, lo INTEGER",
            "actions": "hi INTEGER, lo INTEGER, outputs BLOB NOT NULL, PRIMARY KEY(hi, lo)",
        ]
        try sqlite(path, v2.map { "ALTER TABLE \($0.key) RENAME TO old_\($0.key); CREATE TABLE \($0.key)(\($0.value)); "
                                  + "INSERT INTO \($0.key) SELECT * FROM old_\($0.key); DROP TABLE old_\($0.key);" }.joined()
                          + "UPDATE meta SET value = '2' WHERE key = 'schema';")
        #expect(try !sqlite(path, "SELECT sql FROM sqlite_master WHERE name = 'rules'").contains("WITHOUT ROWID"))

        let db = try StateDatabase(path: path)
        #expect(db.rules["clip"]?.key == key)
        #expect(db.rules["clip"]?.outputs == record.outputs)
        #expect(try db.inputs(of: "clip") == record.inputs)
        #expect(try db.action(for: key) == record.outputs)
        #expect(db.produced["build/clips/intro.mp4"] == d1)
        #expect(db.files["footage/intro.mp4"]?.digest == d3)
        #expect(try sqlite(path, "SELECT value FROM meta WHERE key = 'schema'") == "3\n")
        #expect(try sqlite(path, "SELECT sql FROM sqlite_master WHERE name = 'rules'").contains("WITHOUT ROWID"))
        #expect(try sqlite(path, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%_v2'") == "0\n")
    }

    @Test func unopenableDatabaseIsAnError() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(throws: SQLiteError.self) { try StateDatabase(path: dir.file("no/such/dir/state.db")) }
    }
}
