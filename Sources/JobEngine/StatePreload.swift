import JobBasics
import JobState

/// The state database opened and loaded on a thread of its own while the plan is made: its
/// load (400,000 rows at 100,000 rules, 200 ms of one core) then fills the moments when
/// planning leaves a core idle. It holds the build lock from before the load, so that no
/// other build writes the state between this load and the build that uses it.
public final class StatePreload: Sendable {
    public let lock: BuildLock
    private let loading: InBackground<Result<StateDatabase, SQLiteError>>

    public init(path: String, lock: BuildLock) {
        self.lock = lock
        loading = InBackground { Result { () throws(SQLiteError) in try StateDatabase(path: path) } }
    }

    /// The loaded state (or why it could not be), once the load is over.
    public func wait() -> Result<StateDatabase, SQLiteError> { loading.wait() }
}
