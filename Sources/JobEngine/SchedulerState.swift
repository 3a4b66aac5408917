import JobBasics
import JobGraph
import JobState

/// The scheduler's bookkeeping, owned by the one task that runs the build loop: what is ready
/// to judge, what is ready to run, what each pool has running, what has settled.
struct SchedulerState {
    let graph: BuildGraph
    var inClosure: [Bool]
    var remainingDependencies: [Int]
    /// Longest path (by recorded durations) from each instance to the end of the build.
    var priority: [Double]
    var ready = PriorityQueue()
    var runnable = PriorityQueue()
    var poolRunning: [String: Int] = [:]
    var poolWaiting: [String: [Int]] = [:]
    /// Rate-limited pools: when the next start may happen (monotonic seconds).
    var poolNextStart: [String: Double] = [:]
    /// Instances held back by a pool's rate, and the earliest time one may start.
    var rateWaiting: [Int] = []
    var rateWake: Double?
    /// For each settled instance, its outputs as they are now (nil: not settled, failed, or a
    /// dry run that would rebuild it, so their content is not known).
    var settledOutputs: [[OutputRecord]?]
    var failed: [Bool]
    var completed = 0
    var stopping = false

    /// `settledFirst`: instances without dependencies that the caller settles before the
    /// build loop, so that they never go through the ready queue.
    init(graph: BuildGraph, closure: [Int], state: StateDatabase, settledFirst: (Int) -> Bool = { _ in false }) {
        self.graph = graph
        let n = graph.instances.count
        inClosure = [Bool](repeating: false, count: n)
        for i in closure { inClosure[i] = true }
        remainingDependencies = [Int](repeating: 0, count: n)
        priority = [Double](repeating: 0, count: n)
        failed = [Bool](repeating: false, count: n)
        settledOutputs = [[OutputRecord]?](repeating: nil, count: n)
        for i in closure.reversed() {
            // An instance settled first depends on nothing, so no priority is read from its
            // own: its recorded duration is not looked up (100,000 lookups in a no-op).
            if settledFirst(i) { continue }
            let own = state.rule(graph.jobfile.instances[i].name)?.durationSeconds ?? 1.0
            var longest = 0.0
            for d in graph.dependents[i] where inClosure[d] { longest = max(longest, priority[d]) }
            priority[i] = own + longest
        }
        for i in closure {
            remainingDependencies[i] = graph.dependencies[i].count
            if remainingDependencies[i] == 0 && !settledFirst(i) { ready.push(i, priority: priority[i]) }
        }
    }

    /// The first dependency of `i` that failed or was not run.
    func failedDependency(_ i: Int) -> Int? { graph.dependencies[i].first { failed[$0] } }

    mutating func settle(_ i: Int, outputs: [OutputRecord]?, failed didFail: Bool) {
        settledOutputs[i] = outputs
        failed[i] = didFail
        for d in graph.dependents[i] where inClosure[d] {
            remainingDependencies[d] -= 1
            if remainingDependencies[d] == 0 { ready.push(d, priority: priority[d]) }
        }
    }

    /// Whether settling `i` would make ready an instance more urgent than every runnable one
    /// (and than `onDeck`, the most urgent on deck): then the next start waits for that
    /// settlement, so that the longest path still goes first.
    func settlingUnlocksTheMostUrgent(_ i: Int, onDeck: (index: Int, priority: Double)? = nil) -> Bool {
        graph.dependents[i].contains { d in
            inClosure[d] && remainingDependencies[d] == 1 && runnable.wouldComeFirst(d, priority: priority[d])
                && onDeck.map { PriorityQueue.precedes((d, priority[d]), $0) } ?? true
        }
    }

    /// The most urgent priority among `i`'s dependents in the build; -infinity if none.
    func dependentsPriority(_ i: Int) -> Double {
        var most = -Double.infinity
        for d in graph.dependents[i] where inClosure[d] { most = max(most, priority[d]) }
        return most
    }

    /// The most urgent runnable instance whose pool has room; those whose pool is full wait for
    /// a slot, those whose pool's rate is used up wait for `rateWake`.
    mutating func nextRunnable(pools: [String: Int], rates: [String: Double], now: Double) -> Int? {
        while let i = runnable.pop() {
            guard let pool = graph.instances[i].pool, let limit = pools[pool] else { return i }
            if poolRunning[pool, default: 0] >= limit {
                poolWaiting[pool, default: []].append(i)
                continue
            }
            if let rate = rates[pool] {
                let next = poolNextStart[pool] ?? now
                if next > now + 0.001 {
                    rateWaiting.append(i)
                    rateWake = min(rateWake ?? next, next)
                    continue
                }
                poolNextStart[pool] = max(next, now) + 60 / rate
            }
            poolRunning[pool, default: 0] += 1
            return i
        }
        return nil
    }

    /// Puts the instances held back by rates back in line (after the wake-up time passed).
    mutating func releaseRateWaiters() {
        for i in rateWaiting { runnable.push(i, priority: priority[i]) }
        rateWaiting.removeAll()
        rateWake = nil
    }

    mutating func release(pool: String?) {
        guard let pool, poolRunning[pool] != nil else { return }
        poolRunning[pool]! -= 1
        for i in poolWaiting.removeValue(forKey: pool) ?? [] { runnable.push(i, priority: priority[i]) }
    }

    mutating func releaseAllPoolWaiters() {
        releaseRateWaiters()
        for (_, waiting) in poolWaiting { for i in waiting { runnable.push(i, priority: priority[i]) } }
        poolWaiting.removeAll()
    }
}
