import JobState

/// Instances that finished and wait to be recorded together: one transaction of the state
/// database for many rules (`StateDatabase.recordRules`), then their renames. Their outputs
/// stay under temporary names until then, so "recorded before renamed" holds for each.
///
/// A batch is committed as soon as that would make another instance ready (a dependent must
/// not wait), when it is full, when nothing else is running, when the build stops, and at the
/// latest `delay` after its first instance finished. A build of many independent short rules
/// then writes a few pages of the database's log per batch, not five per rule.
struct CommitBatch {
    struct Entry {
        var index: Int
        var decision: Decision
        var temporaries: [String]
        var record: RuleRecord
        var reportDuration: Double
        var attempts: Int
        var restored: Bool
    }

    static let limit = 64
    static let delay: Duration = .milliseconds(50)

    private(set) var entries: [Entry] = []
    /// For each dependent of a waiting instance: how many of its dependencies wait here.
    private var waitingDependencies: [Int: Int] = [:]
    /// Whether committing now would make some instance ready.
    private(set) var unlocks = false

    var isEmpty: Bool { entries.isEmpty }
    var isFull: Bool { entries.count >= Self.limit }

    mutating func add(_ entry: Entry, scheduler: SchedulerState) {
        entries.append(entry)
        for d in scheduler.graph.dependents[entry.index] where scheduler.inClosure[d] {
            let waiting = waitingDependencies[d, default: 0] + 1
            waitingDependencies[d] = waiting
            if waiting == scheduler.remainingDependencies[d] { unlocks = true }
        }
    }

    mutating func take() -> [Entry] {
        defer {
            entries = []
            waitingDependencies = [:]
            unlocks = false
        }
        return entries
    }
}
