import JobBasics
import JobfileModel
import JobGraph
import JobState

/// What to do with one instance, and the key it was judged by.
struct Decision {
    enum Action {
        case skip([OutputRecord])
        case restore([OutputRecord])
        case run
    }
    var action: Action
    var reason: RebuildReason
    var material: ActionKeyMaterial
    var key: ContentDigest
}

/// What `DecisionMaker.upToDateAtStart` found.
struct UpToDateAtStart {
    /// For each instance up to date as the build starts, the outputs of its last run, each
    /// output's status then being the one in `DecisionMaker.outputStatus` (nil for the others).
    var outputs: [[OutputRecord]?]
    /// For each source (by index in `SourceFiles.files`) first read by one of those instances,
    /// the digest that the stat cache vouched for at the status found in `SourceFiles.files`.
    var sourceDigests: [ContentDigest?]
}

/// Judges instances against the state: the key of their last run, the outputs it left.
struct DecisionMaker {
    let graph: BuildGraph
    let state: StateDatabase
    let digests: FileDigests
    let store: any ContentStore
    let sources: SourceFiles
    let tools: [String: String]

    /// Where each instance's outputs were when the build started.
    let outputStatus: OutputStatuses

    /// What instance `index`'s key is made of, given its inputs' digests.
    func material(_ index: Int, inputs: [(path: String, digest: ContentDigest)]) -> ActionKeyMaterial {
        let instances = graph.jobfile.instances
        let outputs = instances[index].outputs
        let invocation = instances[index].invocation
        return ActionKeyMaterial(
            recipeKind: invocation.kind,
            commands: invocation.commands.map { $0.display(outputs: outputs) },
            parameters: invocation.parameters,
            environment: instances[index].environment.map { ($0.name, $0.value) },
            outputs: outputs, inputs: inputs,
            tools: invocation.tools.map { [tools] in tools[$0] ?? $0 })
    }

    /// The key of instance `index` given its inputs' digests: `material(index, inputs:).key`,
    /// with each command rendered as it is hashed and nothing else kept.
    func key(_ index: Int, inputs: [(path: String, digest: ContentDigest)]) -> ContentDigest {
        let instances = graph.jobfile.instances
        let outputs = instances[index].outputs
        let identities = tools   // captured alone: capturing `self` copied the whole judge
        let recipe = ActionKeyMaterial.recipeDigest(
            kind: instances[index].invocation.kind,
            commands: instances[index].invocation.commands.lazy.map { $0.display(outputs: outputs) },
            parameters: instances[index].invocation.parameters,
            environment: instances[index].environment.lazy.map { ($0.name, $0.value) },
            outputs: outputs, tools: instances[index].invocation.tools.lazy.map { identities[$0] ?? $0 })
        return ActionKeyMaterial.key(recipeDigest: recipe, inputs: inputs)
    }

    /// `settled` holds, for each instance already done in this build, its outputs with their
    /// digests (nil: not done, or a dry run that would rebuild it, so its content is not known).
    func decide(_ index: Int, settled: [[OutputRecord]?]) throws -> Decision {
        // Fields, not the whole instance: copying a RuleInstance retains a dozen references.
        let instances = graph.jobfile.instances
        let outputs = instances[index].outputs
        var inputs: [(path: String, digest: ContentDigest)] = []
        inputs.reserveCapacity(instances[index].inputs.count)
        var unknownInput: String?
        for (n, path) in instances[index].inputs.enumerated() {
            if let p = graph.producer(ofInput: n, of: index) {
                if let made = settled[p], let d = made.first(where: { $0.path == path })?.digest {
                    inputs.append((path, d))
                } else {
                    unknownInput = unknownInput ?? path
                    inputs.append((path, ContentDigest(high: 0, low: 0)))
                }
            } else {
                inputs.append((path, try digests.digest(of: path, status: sources.status(ofInput: n, of: index, in: graph))))
            }
        }
        let material = self.material(index, inputs: inputs)
        let key = material.key
        if let unknownInput {
            return Decision(action: .run, reason: .inputWillChange(unknownInput), material: material, key: key)
        }
        let name = instances[index].name
        let record = state.rule(name)
        if let record, record.key == key {
            var problem: RebuildReason?
            for (k, o) in record.outputs.enumerated() {
                let known = k < outputs.count && outputs[k] == o.path ? outputStatus[index, k] : nil
                guard let st = known ?? FileStatus.of(o.path), st.isRegularFile else { problem = .outputMissing(o.path); break }
                if try digests.digest(of: o.path, status: st) != o.digest { problem = .outputModified(o.path); break }
            }
            guard let problem else {
                return Decision(action: .skip(record.outputs), reason: .upToDate, material: material, key: key)
            }
            if record.outputs.allSatisfy({ store.contains($0.digest) }) {
                return Decision(action: .restore(record.outputs), reason: problem, material: material, key: key)
            }
            return Decision(action: .run, reason: problem, material: material, key: key)
        }
        let reason: RebuildReason
        if let record {
            if record.recipeDigest != material.recipeDigest {
                reason = .recipeChanged
            } else {
                let before = Dictionary(try state.inputs(of: name).map { ($0.path, $0.digest) },
                                        uniquingKeysWith: { a, _ in a })
                let changed = inputs.filter { before[$0.path] != $0.digest }.map(\.path)
                reason = .inputChanged(changed)
            }
        } else {
            reason = .neverBuilt
        }
        if let cached = try state.action(for: key), cached.map(\.path) == outputs,
           cached.allSatisfy({ store.contains($0.digest) }) {
            return Decision(action: .restore(cached), reason: reason, material: material, key: key)
        }
        return Decision(action: .run, reason: reason, material: material, key: key)
    }
}

extension DecisionMaker {
    /// Which instances of `closure` are up to date as the build starts, judged on every core
    /// before the build loop, for the no-op of a large build: those that read only sources
    /// (no rule of this build can change them), whose key is their last run's, and whose
    /// outputs are that run's, each file's digest vouched for by the stat cache. Nothing here
    /// writes but its own slots: it reads the plan, the state and the statuses, which nothing
    /// changes until the loop starts. An instance left out is judged by `decide`, which finds
    /// what this finds and also hashes, restores and explains. Its files' digests stay the stat
    /// cache's, which vouched for them: the manifest takes them from here, so that the build
    /// neither copies 200,000 into its own table nor looks them up again.
    func upToDateAtStart(_ closure: [Int]) -> UpToDateAtStart {
        let instances = graph.jobfile.instances
        var sourceDigests = [ContentDigest?](repeating: nil, count: sources.files.count)
        let outputs = sourceDigests.withUnsafeMutableBufferPointer { buffer in
            let vouched = DisjointWrites(buffer)
            return Self.perInstance(closure, count: instances.count, empty: nil,
                                    scratch: { [(path: String, digest: ContentDigest)]() }) { i, inputs -> [OutputRecord]? in
                inputs.removeAll(keepingCapacity: true)
                for (n, path) in instances[i].inputs.enumerated() {
                    guard let source = sources.file(ofInput: n, of: i, in: graph),
                          let cached = state.file(path), cached.status == sources.files[source].status else { return nil }
                    inputs.append((path, cached.digest))
                }
                guard let record = state.rule(instances[i].name), record.key == key(i, inputs: inputs)
                else { return nil }
                let outputs = instances[i].outputs
                for (n, o) in record.outputs.enumerated() {
                    guard n < outputs.count, outputs[n] == o.path, let status = outputStatus[i, n], status.isRegularFile,
                          let cached = state.file(o.path), cached.status == status, cached.digest == o.digest
                    else { return nil }
                }
                // Each source's digest is written by the instance that reads it first, alone.
                for n in inputs.indices {
                    let source = sources.file(ofInput: n, of: i, in: graph)!
                    if sources.files[source].firstSlot == graph.inputSlot(n, of: i) { vouched.set(source, inputs[n].digest) }
                }
                return record.outputs
            }
        }
        return UpToDateAtStart(outputs: outputs, sourceDigests: sourceDigests)
    }

    /// `work` for each instance of `closure`, split across the cores, as a table by instance
    /// index (`empty` for the instances outside `closure`). Each core's `work` reuses its own
    /// `scratch`, made by `makeScratch`. `work` may only read.
    static func perInstance<T, Scratch>(_ closure: [Int], count: Int, empty: T, scratch makeScratch: () -> Scratch,
                                        _ work: (Int, inout Scratch) -> T) -> [T] {
        var table = [T](repeating: empty, count: count)
        table.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointWrites(buffer)
            _ = parallelChunks(closure.count) { range in
                var scratch = makeScratch()
                for k in range { slots.set(closure[k], work(closure[k], &scratch)) }
            }
        }
        return table
    }
}
