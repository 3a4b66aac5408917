import Synchronization

/// What running work reports to the build loop, in the order it happened.
enum BuildLoopEvent: Sendable {
    /// Instance `index` ended with `result`. If `next` is set, the thread that saw it end
    /// started the instance on deck in its `-j` slot (see `OnDeck`).
    case job(Int, ExecutionResult, attempts: Int, next: HandedOver? = nil)
    /// A pool's rate lets the next instance start.
    case timer
    /// The commit batch waited long enough.
    case commitDue
}

/// The instance on deck that a slot's thread started, and when.
struct HandedOver: Sendable {
    var index: Int
    var startSeconds: Double
}

/// The instances to run next while every `-j` slot is busy (up to twice `-j` of them). The
/// build loop puts them here ready to start (each one's job made, its temporaries prepared);
/// the thread of a `run` job that ends well starts the most urgent at once in its own slot,
/// waits for it itself, and wakes the loop only if it took the last one or if its own instance
/// may make ready one more urgent than an entry left (see `take`).
///
/// Without it, a slot stood idle from one command's end until the build loop woke, finished
/// what it was doing (committing a batch, reporting) and started the next: at 2,000 short
/// rules, 0.48 ms median from one command's exit to the next one's `exec`, against Ninja's
/// 0.37 (0.36 with it). Each of the three thread wakes per rule was also a chance for the
/// kernel to crowd two processes on one core while the other idled.
///
/// The longest path still goes first: a thread takes from the deck only if settling its own
/// instance cannot make ready one at least as urgent (`dependentsPriority`), and the loop takes
/// the entries back (`withdrawAll`) when something more urgent than the last becomes
/// runnable and when the build stops, and the first (`withdrawFirst`) to start it itself in a
/// slot that freed.
final class OnDeck: Sendable {
    struct Entry: Sendable {
        var index: Int
        var priority: Double
        /// The job, but for its spool, which is the slot's that starts it.
        var job: ExecutionJob
        var temporaries: [String]
        /// Registered with the build's direct runs when it was put here, so that a cancelled
        /// build ends it wherever it is.
        var run: DirectRun
        /// The most urgent priority among its dependents, for its own hand-over.
        var dependentsPriority: Double
    }

    /// Most urgent first.
    private let entries = Mutex<[Entry]>([])

    func put(_ e: Entry) { entries.withLock { $0.append(e) } }

    /// How many are here now.
    var count: Int { entries.withLock { $0.count } }

    /// The most urgent entry here now, and the least urgent.
    var first: (index: Int, priority: Double)? { entries.withLock { $0.first.map { ($0.index, $0.priority) } } }
    var last: (index: Int, priority: Double)? { entries.withLock { $0.last.map { ($0.index, $0.priority) } } }

    /// The most urgent entry, unless threads took them all.
    func withdrawFirst() -> Entry? { entries.withLock { $0.isEmpty ? nil : $0.removeFirst() } }

    /// Every entry still here.
    func withdrawAll() -> [Entry] { entries.withLock { e in defer { e = [] }; return e } }

    /// The most urgent entry, for the thread of an instance that ended well and whose
    /// dependents' most urgent priority is `dependentsPriority`; nil if settling that instance
    /// may make ready one at least as urgent (the build loop then chooses). `wakeLoop` unless
    /// entries are left that are all more urgent than any of those dependents: until then the
    /// loop has nothing better to start.
    func take(after dependentsPriority: Double) -> (entry: Entry, wakeLoop: Bool)? {
        entries.withLock { e in
            guard let first = e.first, dependentsPriority < first.priority else { return nil }
            e.removeFirst()
            return (first, e.last.map { dependentsPriority >= $0.priority } ?? true)
        }
    }
}

/// How a direct run's end reaches the build loop: through the thread that saw it, which first
/// starts the instance on deck in the slot, if it may take it.
struct DirectRunEnd: Sendable {
    let onDeck: OnDeck
    let events: CompletionQueue<BuildLoopEvent>
    let executor: Executor

    /// What instance `index`, running in the slot whose spool is `spoolPath`, calls when it ends.
    func callback(for index: Int, dependentsPriority: Double, spoolPath: String)
        -> @Sendable (ExecutionResult) -> Void {
        { result in
            guard case .prepared = result, let taken = onDeck.take(after: dependentsPriority) else {
                events.push(.job(index, result, attempts: 1))
                return
            }
            // Reported before it starts, so that the loop learns of the start before the end.
            events.push(.job(index, result, attempts: 1, next: HandedOver(index: taken.entry.index, startSeconds: monotonicSeconds())),
                        wake: taken.wakeLoop)
            let next = taken.entry
            var job = next.job
            job.spoolPath = spoolPath
            executor.startPrepared(job, temporaries: next.temporaries, as: next.run,
                                   done: callback(for: next.index, dependentsPriority: next.dependentsPriority,
                                                  spoolPath: spoolPath))
        }
    }
}
