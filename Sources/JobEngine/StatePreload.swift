import Dispatch
import JobState

/// The state database opened and loaded on a thread of its own while the plan is made: its
/// load (400,000 rows at 100,000 rules, 200 ms of one core) then fills the moments when
/// planning leaves a core idle. It holds the build lock from before the load, so that no
/// other build writes the state between this load and the build that uses it.
public final class StatePreload: @unchecked Sendable {
    public let lock: BuildLock
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the loading thread, before `done` is signalled; read after.
    private var loaded: Result<StateDatabase, SQLiteError>?

    public init(path: String, lock: BuildLock) {
        self.lock = lock
        DispatchQueue.global().async { [self] in
            loaded = Result { () throws(SQLiteError) in try StateDatabase(path: path) }
            done.signal()
        }
    }

    /// The loaded state (or why it could not be), once the load is over.
    public func wait() -> Result<StateDatabase, SQLiteError> {
        done.wait()
        done.signal()   // a second wait returns at once
        return loaded!
    }
}
