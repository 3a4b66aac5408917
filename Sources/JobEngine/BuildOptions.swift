import JobBasics

public struct BuildOptions: Sendable {
    public var jobs: Int
    public var keepGoing: Bool
    public var dryRun: Bool
    public var allowOverwrite: Bool
    /// The key to keep an `UpToDateManifest` under when the build ends with everything up to
    /// date (nil: keep none). It names what the build was asked (the plan's key, the targets).
    public var upToDateKey: ContentDigest?

    public init(jobs: Int, keepGoing: Bool = false, dryRun: Bool = false, allowOverwrite: Bool = false,
                upToDateKey: ContentDigest? = nil) {
        self.jobs = max(1, jobs)
        self.keepGoing = keepGoing
        self.dryRun = dryRun
        self.allowOverwrite = allowOverwrite
        self.upToDateKey = upToDateKey
    }
}

/// The layout of `cache/`: state database, content store, logs.
public struct CacheDirectory: Sendable {
    public let path: String
    public init(path: String) { self.path = path }
    public var database: String { path + "/state.db" }
    /// The compiled Jobfile (see `CompiledPlan`).
    public var plan: String { path + "/plan.bin" }
    public var store: String { path + "/store" }
    /// What the last build found up to date (see `UpToDateManifest`).
    public var upToDate: String { path + "/uptodate.bin" }
    public var logs: String { path + "/logs" }

    /// ffprobe's answers, by content digest.
    public var probes: String { path + "/probes" }

    /// Intermediate files of running recipes (removed after each rule).
    public var scratch: String { path + "/tmp" }

    /// The output of whatever runs in `-j` slot `slot`, until it is kept as a log.
    public func spoolPath(slot: Int) -> String { scratch + "/slot-\(slot).log" }

    public func scratchPath(for instance: String) -> String {
        scratch + "/" + FileOperations.baseName(logPath(for: instance)).dropLast(4)
    }

    public func logPath(for instance: String) -> String {
        var safe = ""
        for c in instance.unicodeScalars {
            switch c {
            case "a"..."z", "A"..."Z", "0"..."9", "-", "_", ".": safe.unicodeScalars.append(c)
            case "[", "]", "=", ",": safe += "_"
            default: safe += "%"
            }
        }
        return logs + "/" + safe + ".log"
    }
}
