import JobBasics
import JobfileModel

/// The rule instances and their edges: an instance depends on the producers of its inputs.
public struct BuildGraph: Sendable {
    public let jobfile: Jobfile
    public var instances: [RuleInstance] { jobfile.instances }
    /// Output path -> the instance that writes it.
    public let producer: OutputTable
    /// For each instance, the instances that produce its inputs (sorted, unique).
    public let dependencies: [[Int]]
    /// The producer of each input of each instance (-1: a source file), flat: instance `i`'s
    /// start at `inputStart[i]`. Looked up once here rather than by each phase of a build.
    let inputProducers: [Int32]
    let inputStart: [Int]
    /// Where each instance's outputs start among every output of every instance, flat (then
    /// the total): see `outputSlot`.
    let outputStart: [Int]
    public let dependents: [[Int]]
    /// Every instance, dependencies first.
    public let order: [Int]

    /// Builds the graph, or reports every cycle with the rules around it.
    public init(_ jobfile: Jobfile) throws(UsageError) {
        self.jobfile = jobfile
        // Made while loading, or now for a compiled plan (whose outputs have one writer each).
        let producer = jobfile.outputTable ?? OutputTable.make(count: jobfile.instances.count) { jobfile.instances[$0].outputs }.table
        var deps = [[Int]](repeating: [], count: jobfile.instances.count)
        var dependents = [[Int]](repeating: [], count: jobfile.instances.count)
        var inputProducers: [Int32] = []
        var inputStart: [Int] = []
        inputStart.reserveCapacity(jobfile.instances.count + 1)
        var outputStart: [Int] = []
        outputStart.reserveCapacity(jobfile.instances.count + 1)
        var outputs = 0
        let instances = jobfile.instances
        // By index: a copy of each instance retained a dozen references, 100,000 times.
        for i in instances.indices {
            inputStart.append(inputProducers.count)
            outputStart.append(outputs)
            outputs += instances[i].outputs.count
            var seen = Set<Int>()
            for input in instances[i].inputs {
                let p = producer[input]
                inputProducers.append(Int32(p ?? -1))
                if let p, seen.insert(p).inserted { deps[i].append(p) }
            }
            deps[i].sort()
            for p in deps[i] { dependents[p].append(i) }
        }
        inputStart.append(inputProducers.count)
        outputStart.append(outputs)
        self.producer = producer
        self.outputStart = outputStart
        self.inputProducers = inputProducers
        self.inputStart = inputStart
        self.dependencies = deps
        self.dependents = dependents
        guard let order = Self.topologicalOrder(deps: deps, dependents: dependents) else {
            throw UsageError(Self.cycleDiagnostics(jobfile: jobfile, deps: deps))
        }
        self.order = order
    }

    /// The instance that makes the `n`-th input of instance `i`, or nil for a source file.
    @inline(__always)
    public func producer(ofInput n: Int, of i: Int) -> Int? {
        let p = inputProducers[inputStart[i] + n]
        return p < 0 ? nil : Int(p)
    }

    /// Where the `n`-th input of instance `i` is in tables kept for every input of every
    /// instance (`SourceFiles`...): arrays read by index, not tables of paths.
    @inline(__always)
    public func inputSlot(_ n: Int, of i: Int) -> Int { inputStart[i] + n }

    /// How many input slots there are: every input of every instance, counted once per reading.
    public var inputSlotCount: Int { inputProducers.count }

    /// Where the `n`-th output of instance `i` is in tables kept for every output of every
    /// instance (`OutputStatuses`).
    @inline(__always)
    public func outputSlot(_ n: Int, of i: Int) -> Int { outputStart[i] + n }

    /// How many output slots there are: every output of every instance.
    public var outputSlotCount: Int { outputStart[outputStart.count - 1] }

    /// Kahn's algorithm; nil when there is a cycle. Iterative, so 100,000-long chains are fine.
    static func topologicalOrder(deps: [[Int]], dependents: [[Int]]) -> [Int]? {
        var remaining = deps.map(\.count)
        var ready = remaining.indices.filter { remaining[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(deps.count)
        var head = 0
        while head < ready.count {
            let i = ready[head]
            head += 1
            order.append(i)
            for d in dependents[i] {
                remaining[d] -= 1
                if remaining[d] == 0 { ready.append(d) }
            }
        }
        return order.count == deps.count ? order : nil
    }

    /// Finds cycles with an iterative depth-first search and names the instances around each.
    static func cycleDiagnostics(jobfile: Jobfile, deps: [[Int]]) -> [Diagnostic] {
        var color = [UInt8](repeating: 0, count: deps.count)  // 0 new, 1 on stack, 2 done
        var diagnostics: [Diagnostic] = []
        var reported = Set<Set<Int>>()
        for start in deps.indices where color[start] == 0 {
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            color[start] = 1
            while let top = stack.last {
                if top.next < deps[top.node].count {
                    stack[stack.count - 1].next += 1
                    let d = deps[top.node][top.next]
                    if color[d] == 0 {
                        color[d] = 1
                        stack.append((d, 0))
                    } else if color[d] == 1 {
                        let path = stack.map(\.node)
                        let cycle = Array(path[path.lastIndex(of: d)!...])
                        if reported.insert(Set(cycle)).inserted {
                            // Read in build order: each needs the next one's output... so reverse.
                            let names = (cycle.reversed() + [cycle.last!]).map { jobfile.instances[$0].name }
                            let first = jobfile.instances[cycle.last!]
                            diagnostics.append(Diagnostic(
                                "dependency cycle: " + names.joined(separator: " -> "), at: first.location))
                        }
                    }
                } else {
                    color[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        return diagnostics
    }

    /// The instances needed to build `roots`: the roots and everything they depend on,
    /// dependencies first.
    public func closure(of roots: [Int]) -> [Int] {
        var needed = [Bool](repeating: false, count: instances.count)
        var stack = roots
        while let i = stack.popLast() {
            if needed[i] { continue }
            needed[i] = true
            stack.append(contentsOf: dependencies[i])
        }
        return order.filter { needed[$0] }
    }
}
