import JobBasics
import JobGraph

/// Where each output of the build's instances was when the build started, `stat`ed on every
/// core at once: an instance's outputs are written by it alone, so they are as they were until
/// it is judged. One array for all of them (not an array per instance: 100,000 allocations).
/// Nil for an output that was missing then, or not `stat`ed: it is `stat`ed again when judged.
struct OutputStatuses {
    /// By output slot (`BuildGraph.outputSlot`).
    private var statuses: [FileStatus?]
    private let graph: BuildGraph

    /// The `n`-th output of instance `i`.
    subscript(i: Int, n: Int) -> FileStatus? { statuses[graph.outputSlot(n, of: i)] }

    /// The status of every output of `closure` now.
    static func stat(graph: BuildGraph, closure: [Int]) -> OutputStatuses {
        let instances = graph.jobfile.instances
        var statuses = [FileStatus?](repeating: nil, count: graph.outputSlotCount)
        statuses.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointWrites(buffer)
            _ = parallelChunks(closure.count) { range in
                for k in range {
                    let i = closure[k]
                    for (n, path) in instances[i].outputs.enumerated() { slots.set(graph.outputSlot(n, of: i), FileStatus.of(path)) }
                }
            }
        }
        return OutputStatuses(statuses: statuses, graph: graph)
    }
}
