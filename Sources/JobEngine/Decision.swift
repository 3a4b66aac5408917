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

/// Judges instances against the state: the key of their last run, the outputs it left.
struct DecisionMaker {
    let graph: BuildGraph
    let state: StateDatabase
    let digests: FileDigests
    let store: any ContentStore
    let sources: SourceFiles
    let tools: [String: String]

    /// `settled` holds, for each instance already done in this build, its outputs' digests
    /// (nil: a dry run that would rebuild it, so its content is not known).
    func decide(_ index: Int, settled: [Int: [String: ContentDigest]?]) throws -> Decision {
        let inst = graph.instances[index]
        var inputs: [(path: String, digest: ContentDigest)] = []
        var unknownInput: String?
        for path in inst.inputs {
            if let p = graph.producer[path] {
                if let outputs = settled[p], let outputs, let d = outputs[path] {
                    inputs.append((path, d))
                } else {
                    unknownInput = unknownInput ?? path
                    inputs.append((path, ContentDigest(high: 0, low: 0)))
                }
            } else {
                inputs.append((path, try digests.digest(of: path, status: sources.status[path])))
            }
        }
        let material = ActionKeyMaterial(
            recipeKind: inst.invocation.kind,
            commands: inst.invocation.commands.map { $0.display(outputs: inst.outputs) },
            parameters: inst.invocation.parameters,
            environment: inst.environment.map { ($0.name, $0.value) },
            outputs: inst.outputs, inputs: inputs,
            tools: inst.invocation.tools.map { tools[$0] ?? $0 })
        let key = material.key
        if let unknownInput {
            return Decision(action: .run, reason: .inputWillChange(unknownInput), material: material, key: key)
        }
        let record = state.rules[inst.name]
        if let record, record.key == key {
            var problem: RebuildReason?
            for o in record.outputs {
                guard let st = FileStatus.of(o.path), st.isRegularFile else { problem = .outputMissing(o.path); break }
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
                let before = Dictionary(try state.inputs(of: inst.name).map { ($0.path, $0.digest) },
                                        uniquingKeysWith: { a, _ in a })
                let changed = inputs.filter { before[$0.path] != $0.digest }.map(\.path)
                reason = .inputChanged(changed)
            }
        } else {
            reason = .neverBuilt
        }
        if let outputs = try state.action(for: key), outputs.map(\.path) == inst.outputs,
           outputs.allSatisfy({ store.contains($0.digest) }) {
            return Decision(action: .restore(outputs), reason: reason, material: material, key: key)
        }
        return Decision(action: .run, reason: reason, material: material, key: key)
    }
}
