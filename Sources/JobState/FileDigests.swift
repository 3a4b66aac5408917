import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// Content digests of files for one build: each file is hashed at most once per build, and not
/// at all while its status matches the stat cache.
public final class FileDigests: @unchecked Sendable {
    private let state: StateDatabase
    /// Each file's digest found in this build, with the status it was read at when that status
    /// is old enough to be trusted later (what an `UpToDateManifest` records). One table: at
    /// 200,000 files, each lookup and insert is a cache miss.
    private var known: [String: (digest: ContentDigest, status: FileStatus?)] = [:]
    /// How many files were actually read and hashed in this build (for tests and `-v`).
    public private(set) var hashedCount = 0

    /// A file modified this recently may be modified again within the file system's timestamp
    /// granularity without its status changing ("racy" in git's words); such a status is not
    /// trusted later, so the file is hashed again next time.
    static let racyWindowNs: Int64 = 50_000_000

    public init(state: StateDatabase) {
        self.state = state
        known.reserveCapacity(state.files.count)
    }

    /// The digest of the file at `path`, whose current status is `status` (nil: stat it now).
    public func digest(of path: String, status: FileStatus? = nil) throws -> ContentDigest {
        if let k = known[path] { return k.digest }
        guard let status = status ?? FileStatus.of(path) else {
            throw FileSystemError("read", path, errno: ENOENT)
        }
        if let cached = state.file(path), cached.status == status {
            // Stored only when it was not racy, and time has only passed since.
            known[path] = (cached.digest, status)
            return cached.digest
        }
        let d = try hashFile(atPath: path)
        hashedCount += 1
        remember(path, status: status, digest: d)
        return d
    }

    /// The digest found for `path` in this build, if any, with its status when it can be trusted.
    public func known(_ path: String) -> (digest: ContentDigest, status: FileStatus?)? {
        known[path]
    }

    /// The digest found for `path` in this build, or else the stat cache's record: for a file
    /// that the build did not look at because the stat cache vouched for it when the build
    /// started (an instance judged up to date then: see `DecisionMaker.upToDateAtStart`).
    /// Only for such files: any other file of the build is in `known`.
    public func knownOrVouched(_ path: String) -> (digest: ContentDigest, status: FileStatus?)? {
        if !known.isEmpty, let k = known[path] { return k }
        return state.file(path).map { ($0.digest, $0.status) }
    }

    /// Records what `job` just wrote at `path`, so that it is not hashed again.
    /// `trusted`: no process writes the file any more, so a recent timestamp is no risk.
    public func set(_ path: String, digest: ContentDigest, status: FileStatus?, trusted: Bool = false) {
        guard let status else { known[path] = (digest, nil); state.forgetFile(path); return }
        if trusted {
            known[path] = (digest, status)
            state.rememberFile(path, FileRecord(status: status, digest: digest))
        } else {
            remember(path, status: status, digest: digest)
        }
    }

    private func remember(_ path: String, status: FileStatus, digest: ContentDigest) {
        if Self.isRacy(status) {
            known[path] = (digest, nil)
            state.forgetFile(path)
        } else {
            known[path] = (digest, status)
            state.rememberFile(path, FileRecord(status: status, digest: digest))
        }
    }

    /// Whether a status just read is too recent to vouch for the bytes read with it.
    public static func isRacy(_ status: FileStatus) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowNs = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        return nowNs - max(status.mtimeNs, status.ctimeNs) < racyWindowNs
    }
}
