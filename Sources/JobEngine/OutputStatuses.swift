import JobBasics
import JobGraph

/// Where each output of the build's instances was when the build started, `stat`ed on every
/// core at once: an instance's outputs are written by it alone, so they are as they were until
/// it is judged. One array for all of them (not an array per instance: 100,000 allocations).
/// Nil for an output that was missing then, or not `stat`ed: it is `stat`ed again when judged.
struct OutputStatuses {
    private var statuses: [FileStatus?]
    /// Where each instance's outputs begin in `statuses` (by instance index, then the total).
    private var start: [Int]

    /// The `n`-th output of instance `i`.
    subscript(i: Int, n: Int) -> FileStatus? { statuses[start[i] + n] }

    /// The status of every output of `closure` now.
    static func stat(graph: BuildGraph, closure: [Int]) -> OutputStatuses {
        let instances = graph.jobfile.instances
        var start: [Int] = []
        start.reserveCapacity(instances.count + 1)
        var total = 0
        for i in instances.indices {
            start.append(total)
            total += instances[i].outputs.count
        }
        start.append(total)
        var statuses = [FileStatus?](repeating: nil, count: total)
        statuses.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointWrites(buffer)
            _ = parallelChunks(closure.count) { range in
                for k in range {
                    let i = closure[k]
                    for (n, path) in instances[i].outputs.enumerated() { slots.set(start[i] + n, FileStatus.of(path)) }
                }
            }
        }
        return OutputStatuses(statuses: statuses, start: start)
    }
}
