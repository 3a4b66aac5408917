import JobBasics
import JobRecipes
import Synchronization

/// What rule expansion reads from the rest of the Jobfile.
struct ExpansionInputs {
    var tree: YAMLTree
    var rootDirectory: String
    var roots: [String] = []
    var vars: [String: String] = [:]
    var pools: [String: Int] = [:]
    var presets = PresetTable()
}

/// Expands `rules:` into instances: first every instance's outputs (so that `${rules.X}` can
/// name them anywhere), then inputs, recipe and options.
struct RuleExpansion {
    var inputs: ExpansionInputs
    var rules: [RuleDefinition] = []
    var instances: [RuleInstance] = []
    /// Every glob read, with what it matched: the compiled plan stays valid while they match the same.
    var globs: [GlobRecord] = []
    /// Each output's writer (by index in `instances` once every instance is made).
    var outputTable: OutputTable?

    static let ruleKeys: Set<String> = ["foreach", "output", "outputs", "inputs", "env", "pool",
                                        "retries", "retry_delay", "timeout", "description", "fallback"]

    /// A rule's keys, read in one pass over its body: a table of its keys cost more than the
    /// rest of the first pass (100,000 times). The value nodes of the optional keys are kept
    /// for each instance.
    struct RuleFields {
        var inputs, env, pool, retries, fallback, retryDelay, timeout, description: YAMLNode?
        var foreach, output, outputs: (keyNode: YAMLNode, value: YAMLNode)?
        var recipes: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []
        /// Keys neither a rule's nor a recipe's, in order.
        var unknown: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []

        /// The keys of `body` (a mapping refuses repeated keys, so each is there once).
        init(_ body: [(key: String, keyNode: YAMLNode, value: YAMLNode)]) {
            for f in body {
                switch f.key {
                case "inputs": inputs = f.value
                case "output": output = (f.keyNode, f.value)
                case "outputs": outputs = (f.keyNode, f.value)
                case "foreach": foreach = (f.keyNode, f.value)
                case "env": env = f.value
                case "pool": pool = f.value
                case "retries": retries = f.value
                case "fallback": fallback = f.value
                case "retry_delay": retryDelay = f.value
                case "timeout": timeout = f.value
                case "description": description = f.value
                default:
                    if RecipeRegistry.allNames.contains(f.key) { recipes.append(f) } else { unknown.append(f) }
                }
            }
        }

        /// Only what the instances read (the recipes and unknown keys are the rule's business).
        var forInstances: RuleFields {
            var kept = self
            kept.recipes = []
            kept.unknown = []
            return kept
        }
    }

    /// One instance between the two passes.
    struct Pending {
        var rule: String
        var name: String
        var keys: [String: String]
        var fields: RuleFields
        var recipe: (name: String, node: YAMLNode)
        var outputs: [String]
        var outputNames: [String: Int]
        var location: SourceLocation
        /// Where each output was written, aligned with `outputs`.
        var outputLocations: [SourceLocation]

        /// Where `output` was written, or the rule's place.
        func place(of output: String) -> SourceLocation {
            outputs.firstIndex(of: output).map { outputLocations[$0] } ?? location
        }
    }

    /// What the first pass finds in one rule: its name and place, and how many instances it
    /// added to its chunk's pending ones.
    struct RuleOutline {
        var name: String
        var location: SourceLocation
        var count: Int
    }

    /// Both passes split the rules (then the instances) across the cores: each chunk reads
    /// only the document and what the passes before it made, and keeps its own diagnostics,
    /// merged in order, so errors come out as from one pass.
    mutating func expand(_ node: YAMLNode, diagnostics d: inout DiagnosticBag) {
        let tree = inputs.tree
        let paths = PathRules(rootDirectory: inputs.rootDirectory, roots: inputs.roots)
        guard let pairs = tree.mapping(node, what: "'rules'", diagnostics: &d) else { return }
        let allowed = Self.ruleKeys.union(RecipeRegistry.allNames)
        // The passes read a copy made once: a method called on `self` from these closures (in
        // a mutating method) copied the whole expansion, retaining all it holds, per call.
        let expansion = self
        let outlined = parallelChunks(pairs.count) { range in
            var bag = DiagnosticBag()
            var globs: [GlobRecord] = []
            var outlines: [RuleOutline] = []
            var pending: [Pending] = []
            for k in range {
                if let o = expansion.outline(pairs[k], allowed: allowed, paths: paths, globs: &globs, pending: &pending,
                                             diagnostics: &bag) {
                    outlines.append(o)
                }
            }
            return (outlines, pending, globs, bag)
        }
        // The chunks' pending instances stay where they are (not copied into one array).
        let pending = ChunkedList(outlined.map(\.1))
        var ruleOrder: [(name: String, location: SourceLocation, instances: Range<Int>)] = []
        var next = 0
        for (outlines, _, globs, bag) in outlined {
            d.append(contentsOf: bag.diagnostics)
            self.globs += globs
            for o in outlines {
                ruleOrder.append((o.name, o.location, next..<(next + o.count)))
                next += o.count
            }
        }

        // Two instances may not write one file. (Nor share a name: `outline` refuses that, a
        // rule's instances being the only ones whose names can be equal.)
        let (writers, conflicts) = OutputTable.make(count: pending.count) { pending[$0].outputs }
        for c in conflicts {
            let inst = pending[c.instance], other = pending[c.firstWriter], out = inst.outputs[c.output]
            d.error("'\(out)' is the output of both '\(other.name)' (line \(other.place(of: out).line)) and '\(inst.name)'",
                    at: inst.outputLocations[c.output])
        }
        outputTable = writers

        // `${rules.X}`: the table of every rule's outputs is made if a recipe asks for it.
        let ruleOutputs = RuleOutputs {
            var table: [String: [String]] = [:]
            table.reserveCapacity(ruleOrder.count)
            for r in ruleOrder { table[r.name] = r.instances.flatMap { pending[$0].outputs } }
            return table
        }
        // Each instance is made in its slot. One that fails (with an error) leaves an empty
        // instance there, and its index in `unmade`.
        var unmade: [Int] = []
        let made = [RuleInstance](unsafeUninitializedCapacity: pending.count) { buffer, initialized in
            let slots = DisjointWrites(buffer)
            // In finer chunks: one instance may cost as much as thousands (`${rules.X}` of them all).
            let chunks = parallelChunks(pending.count, chunksPerCore: 8) { range in
                var bag = DiagnosticBag()
                var failed: [Int] = []
                let cache = SubstitutionCache()
                for k in range {
                    if let instance = expansion.finish(pending[k], ruleOutputs: ruleOutputs, paths: paths, cache: cache,
                                                       diagnostics: &bag) {
                        slots.initialize(k, to: instance)
                    } else {
                        slots.initialize(k, to: .unmade)
                        failed.append(k)
                    }
                }
                return (failed, bag)
            }
            initialized = pending.count
            for (failed, bag) in chunks {
                d.append(contentsOf: bag.diagnostics)
                unmade += failed
            }
        }
        if unmade.isEmpty {
            instances = made
            rules = ruleOrder.map { RuleDefinition(name: $0.name, location: $0.location, instanceIndices: $0.instances) }
        } else {
            // Rare (the load then throws its errors): the made instances, renumbered.
            let failed = Set(unmade)
            var next = 0
            for r in ruleOrder {
                let first = next
                for k in r.instances where !failed.contains(k) {
                    instances.append(made[k])
                    next += 1
                }
                rules.append(RuleDefinition(name: r.name, location: r.location, instanceIndices: first..<next))
            }
        }
    }

    /// The first pass over one rule: its shape, its `foreach` values, and each instance's outputs
    /// (so that `${rules.X}` can name them anywhere). Nil when the rule has no instances to finish.
    func outline(_ p: (key: String, keyNode: YAMLNode, value: YAMLNode), allowed: Set<String>, paths: PathRules,
                 globs: inout [GlobRecord], pending: inout [Pending], diagnostics d: inout DiagnosticBag) -> RuleOutline? {
        let tree = inputs.tree
        let ruleLocation = tree.location(p.keyNode)
        if !isValidName(p.key) {
            d.error("invalid rule name '\(p.key)' (use letters, digits, '_' and '-')", at: ruleLocation)
            return nil
        }
        guard let body = tree.mapping(p.value, what: "rule '\(p.key)'", diagnostics: &d) else { return nil }
        let fields = RuleFields(body)
        tree.checkKeys(fields.unknown, allowed: allowed, in: "rule '\(p.key)'", diagnostics: &d)
        // Judged before the recipe, so that its errors are reported alongside.
        let bindings = Foreach.bindings(fields.foreach?.value, tree: tree, vars: inputs.vars,
                                        rootDirectory: inputs.rootDirectory, paths: paths, globs: &globs,
                                        diagnostics: &d)
        let recipes = fields.recipes
        if recipes.isEmpty {
            d.error("rule '\(p.key)' has no recipe (give it 'run' or one of: \(RecipeRegistry.allNames.subtracting(["run"]).sorted().joined(separator: ", ")))", at: ruleLocation)
            return nil
        }
        if recipes.count > 1 {
            d.error("rule '\(p.key)' has \(recipes.count) recipes ('\(recipes.map(\.key).joined(separator: "', '"))'); give it exactly one", at: tree.location(recipes[1].keyNode))
            return nil
        }
        let recipe = recipes[0]
        if let outputs = fields.outputs, fields.output != nil {
            d.error("rule '\(p.key)' has both 'output' and 'outputs'; give one", at: tree.location(outputs.keyNode))
            return nil
        }
        guard let outputField = fields.output ?? fields.outputs else {
            d.error("rule '\(p.key)' has no 'output' (or 'outputs')", at: ruleLocation)
            return nil
        }
        guard let bindings else { return nil }
        var outline = RuleOutline(name: p.key, location: ruleLocation, count: 0)
        let optional = fields.forInstances
        var instanceNames = Set<String>()
        for keys in bindings {
            var keyed: [String: String] = [:]
            for (k, v) in keys { keyed[k] = v }
            let scope = SubstitutionScope(vars: inputs.vars, keys: keyed)
            var outputLocations: [SourceLocation] = []
            guard let (outs, names) = readOutputs(outputField.value, scope: scope, paths: paths,
                                                   locations: &outputLocations, diagnostics: &d) else { continue }
            let name = keys.isEmpty ? p.key : p.key + "[" + keys.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "]"
            if bindings.count > 1 && !instanceNames.insert(name).inserted {
                d.error("rule '\(p.key)' has two instances named '\(name)' (repeated foreach values)", at: ruleLocation)
            }
            outline.count += 1
            pending.append(Pending(rule: p.key, name: name, keys: keyed, fields: optional,
                                   recipe: (recipe.key, recipe.value), outputs: outs, outputNames: names,
                                   location: ruleLocation, outputLocations: outputLocations))
        }
        return outline
    }

    func readOutputs(_ node: YAMLNode, scope: SubstitutionScope, paths: PathRules,
                     locations: inout [SourceLocation],
                     diagnostics d: inout DiagnosticBag) -> ([String], [String: Int])? {
        let tree = inputs.tree
        var outs: [String] = []
        var names: [String: Int] = [:]
        func add(_ item: YAMLNode, name: String?) -> Bool {
            guard let s = tree.scalar(item) else {
                d.error("an output must be a path", at: tree.location(item))
                return false
            }
            let loc = tree.location(item)
            guard let text = Substitution.expand(s, at: loc, columnOffset: tree.contentOffset(item),
                                                 scope: scope, shell: false, diagnostics: &d)?.plainText else { return false }
            switch paths.canonical(text) {
            case .failure(let e): d.error("output: \(e)", at: loc); return false
            case .success(let p):
                if outs.contains(p) { d.error("output '\(p)' is listed twice", at: loc); return false }
                if let name { names[name] = outs.count }
                outs.append(p)
                locations.append(loc)
                return true
            }
        }
        var ok = true
        switch tree.kind(node) {
        case .scalar: ok = add(node, name: nil)
        case .sequence: for item in tree.items(node) { ok = add(item, name: nil) && ok }
        case .mapping:
            guard let pairs = tree.mapping(node, what: "'outputs'", diagnostics: &d) else { return nil }
            for p in pairs { ok = add(p.value, name: p.key) && ok }
        }
        if outs.isEmpty && ok {
            d.error("a rule needs at least one output", at: tree.location(node))
            return nil
        }
        return ok ? (outs, names) : nil
    }

    func finish(_ p: Pending, ruleOutputs: RuleOutputs, paths: PathRules, cache: SubstitutionCache,
                diagnostics d: inout DiagnosticBag) -> RuleInstance? {
        let tree = inputs.tree
        let errorsBefore = d.diagnostics.count
        var scope = SubstitutionScope(vars: inputs.vars, keys: p.keys, inputs: nil, outputs: nil,
                                      ruleOutputs: ruleOutputs, cache: cache)
        // inputs: vars, keys and ${rules.X}
        var inputList: [String] = []
        var inputLocations: [SourceLocation] = []
        // Filled once the list is long: below that, a linear search costs less than hashing.
        var inputSet: Set<String> = []
        var expectedInputs = 0
        var named: [String: String] = [:]
        func addInput(_ text: String, _ loc: SourceLocation, name: String?) {
            switch paths.canonical(text) {
            case .failure(let e): d.error("input: \(e)", at: loc)
            case .success(let path):
                if let name { named[name] = path }
                let isNew: Bool
                if inputSet.isEmpty && inputList.count < 16 {
                    isNew = !inputList.contains(path)
                } else {
                    if inputSet.isEmpty {
                        inputSet.reserveCapacity(max(expectedInputs, 2 * inputList.count))
                        inputSet.formUnion(inputList)
                    }
                    isNew = inputSet.insert(path).inserted
                }
                if isNew {
                    inputList.append(path)
                    inputLocations.append(loc)
                }
            }
        }
        if let node = p.fields.inputs {
            var items: [(String?, YAMLNode)] = []
            if tree.kind(node) == .mapping {
                for pair in tree.mapping(node, what: "'inputs'", diagnostics: &d) ?? [] { items.append((pair.key, pair.value)) }
            } else {
                for item in tree.stringList(node, what: "'inputs'", diagnostics: &d) ?? [] { items.append((nil, item)) }
            }
            expectedInputs = items.count
            inputList.reserveCapacity(items.count)
            inputLocations.reserveCapacity(items.count)
            for (name, item) in items {
                guard let s = tree.scalar(item) else { d.error("an input must be a path", at: tree.location(item)); continue }
                let loc = tree.location(item)
                // A path without `$` is itself: taken as it is, not cut into pieces (a rule
                // may list 100,000 inputs).
                if !s.containsByte(UInt8(ascii: "$")) {
                    addInput(s, loc, name: name)
                    continue
                }
                guard let ts = Substitution.expandListItem(s, at: loc, columnOffset: tree.contentOffset(item),
                                                           scope: scope, diagnostics: &d) else { continue }
                if name != nil && ts.count != 1 {
                    d.error("named input '\(name!)' must be one path", at: loc)
                    continue
                }
                for t in ts { if let text = t.plainText { addInput(text, loc, name: name) } }
            }
        }
        // The recipe and the rest see everything.
        scope.inputs = inputList
        scope.namedInputs = named
        scope.outputs = p.outputs
        scope.outputNames = p.outputNames
        let isRun = p.recipe.name == RunRecipe.name
        guard let parameters = parameterValue(p.recipe.node, tree: tree, scope: scope, shell: isRun, diagnostics: &d),
              let recipe = RecipeRegistry.available[p.recipe.name],
              let invocation = recipe.invocation(RecipeRequest(parameters: parameters, outputs: p.outputs,
                                                                presets: inputs.presets), diagnostics: &d)
        else { return nil }
        for read in invocation.reads { addInput(read, tree.location(p.recipe.node), name: nil) }

        var environment: [EnvironmentEntry] = []
        if let node = p.fields.env, let pairs = tree.mapping(node, what: "'env'", diagnostics: &d) {
            for pair in pairs {
                guard let s = tree.scalar(pair.value) else { d.error("env '\(pair.key)' must be a string", at: tree.location(pair.value)); continue }
                if let v = Substitution.expand(s, at: tree.location(pair.value), columnOffset: tree.contentOffset(pair.value),
                                               scope: scope, shell: false, diagnostics: &d)?.render(outputs: p.outputs) {
                    environment.append(EnvironmentEntry(name: pair.key, value: v))
                }
            }
        }
        environment.sort { $0.name < $1.name }
        var pool: String?
        if let node = p.fields.pool, let name = tree.string(node, what: "'pool'", diagnostics: &d) {
            if inputs.pools[name] == nil {
                var m = "unknown pool '\(name)'"
                if let near = nearestName(to: name, in: inputs.pools.keys.sorted()) { m += " (did you mean '\(near)'?)" }
                else if inputs.pools.isEmpty { m += " (declare it under 'pools:')" }
                d.error(m, at: tree.location(node))
            }
            pool = name
        }
        var retries = 0
        if let node = p.fields.retries, let s = tree.string(node, what: "'retries'", diagnostics: &d) {
            if let n = Int(s), n >= 0 { retries = n }
            else { d.error("'retries' must be a whole number of at least 0, not '\(s)'", at: tree.location(node)) }
        }
        var fallback: RecipeInvocation?
        if let node = p.fields.fallback, let pairs = tree.mapping(node, what: "'fallback'", diagnostics: &d) {
            let recipes = pairs.filter { RecipeRegistry.allNames.contains($0.key) }
            tree.checkKeys(pairs, allowed: RecipeRegistry.allNames, in: "'fallback'", diagnostics: &d)
            if recipes.count != 1 {
                d.error("'fallback' holds exactly one recipe (run, placeholder, ...)", at: tree.location(node))
            } else if let value = parameterValue(recipes[0].value, tree: tree, scope: scope,
                                                 shell: recipes[0].key == RunRecipe.name, diagnostics: &d),
                      let recipe = RecipeRegistry.available[recipes[0].key] {
                fallback = recipe.invocation(RecipeRequest(parameters: value, outputs: p.outputs, presets: inputs.presets),
                                             diagnostics: &d)
                for read in fallback?.reads ?? [] { addInput(read, tree.location(recipes[0].value), name: nil) }
            }
        }
        var retryDelay: Double?
        if let node = p.fields.retryDelay, let s = tree.string(node, what: "'retry_delay'", diagnostics: &d) {
            if let t = parseDurationSeconds(s) { retryDelay = t }
            else { d.error("'retry_delay' must be a duration such as '1s' or '500ms', not '\(s)'", at: tree.location(node)) }
        }
        var timeout: Double?
        if let node = p.fields.timeout, let s = tree.string(node, what: "'timeout'", diagnostics: &d) {
            if let t = parseDurationSeconds(s), t > 0 { timeout = t }
            else { d.error("'timeout' must be a duration such as '90s', '10m' or '1h', not '\(s)'", at: tree.location(node)) }
        }
        var description: String?
        if let node = p.fields.description, let s = tree.scalar(node) {
            description = Substitution.expand(s, at: tree.location(node), columnOffset: tree.contentOffset(node),
                                              scope: scope, shell: false, diagnostics: &d)?.render(outputs: p.outputs)
        }
        if d.diagnostics.count > errorsBefore { return nil }
        var instance = RuleInstance(rule: p.rule, name: p.name, outputs: p.outputs, outputNames: p.outputNames,
                            inputs: inputList, invocation: invocation, environment: environment, pool: pool,
                            retries: retries, timeoutSeconds: timeout, description: description,
                            location: p.location, inputLocations: inputLocations,
                            outputLocations: p.outputLocations)
        instance.retryDelaySeconds = retryDelay
        instance.fallback = fallback
        return instance
    }
}

/// Every rule's outputs, for `${rules.RULE}`, made on first use: few Jobfiles use it, and the
/// table of 100,000 rules costs 30 ms.
final class RuleOutputs: @unchecked Sendable {
    private let make: () -> [String: [String]]
    private let table = Mutex<[String: [String]]?>(nil)

    init(_ make: @escaping () -> [String: [String]]) { self.make = make }

    var all: [String: [String]] {
        table.withLock { table in
            if let table { return table }
            let made = make()
            table = made
            return made
        }
    }
}

/// The chunks' results read as one list, without copying them into one array.
private struct ChunkedList<Element> {
    let chunks: [[Element]]
    let starts: [Int]
    let count: Int

    init(_ chunks: [[Element]]) {
        self.chunks = chunks
        var starts: [Int] = []
        var n = 0
        for c in chunks { starts.append(n); n += c.count }
        self.starts = starts
        count = n
    }

    /// Read in place: a `Pending` is some 300 bytes and a dozen references, which a returned
    /// copy moved and retained for each output looked up.
    subscript(k: Int) -> Element {
        _read {
            var c = chunks.count - 1
            while starts[c] > k { c -= 1 }
            yield chunks[c][k - starts[c]]
        }
    }
}
