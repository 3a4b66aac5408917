import JobBasics
import JobRecipes

/// The validated, expanded Jobfile kept in `cache/plan.bin`, so that a no-op build does not
/// parse YAML again (Yams takes ~5x Ninja's whole no-op on a 10,000-rule file). It is valid
/// for the same Jobfile bytes, overrides, root and `job` version (all in `key`), and while every
/// glob it read still matches the same files (re-read on load: one directory scan each).
public enum CompiledPlan {
    static let magic = "job-plan-v7"

    /// The key of a plan: everything its content depends on besides the globs.
    public static func key(displayName: String, text: String, overrides: [VarOverride], rootDirectory: String,
                           version: String) -> ContentDigest {
        var h = StreamingHasher()
        h.field(magic)
        h.field(version)
        h.field(displayName)
        h.field(rootDirectory)
        h.field(text)
        for o in overrides { h.field(o.name); h.field(o.value) }
        return h.finish()
    }

    /// Whether the plan at `path` was stored under `key`, from its first bytes only (its globs
    /// are not checked).
    public static func isStored(path: String, key: ContentDigest) -> Bool {
        var r = BinaryReader(FileOperations.head(path, maxBytes: 256))
        return readHeader(&r, key: key)
    }

    /// Reads the magic and the key, and says whether they are this plan format's and `key`.
    static func readHeader(_ r: inout BinaryReader, key: ContentDigest) -> Bool {
        r.string() == magic && r.string() == key.hex
    }

    /// The plan at `path` if it was stored under `key` and its globs still match.
    public static func load(path: String, key: ContentDigest, text: String) -> Jobfile? {
        guard let bytes = try? FileOperations.readFile(path) else { return nil }
        var r = BinaryReader(bytes)
        guard readHeader(&r, key: key), var jobfile = decodeJobfile(&r), r.atEnd else { return nil }
        for glob in jobfile.globs {
            let root = FileOperations.currentDirectory()
            if Foreach.globStems(glob.pattern, rootDirectory: root) != glob.stems { return nil }
        }
        jobfile.source = text
        return jobfile
    }

    /// Stores `jobfile` under `key`, atomically (a crash leaves the old plan or none).
    public static func store(_ jobfile: Jobfile, key: ContentDigest, path: String) {
        try? FileOperations.createDirectories(FileOperations.parentDirectory(path))
        // Written a piece at a time: at 100,000 rules the plan is 18 MB, which a growing
        // buffer copied five times over, each time into pages the kernel had to clear.
        try? FileOperations.writeFileAtomically(path) { (write: FileOperations.Piece) throws(FileSystemError) in
            var w = BinaryWriter()
            w.bytes.reserveCapacity(Self.piece + 65_536)
            w.string(magic)
            w.string(key.hex)
            try encode(jobfile, &w) { (w: inout BinaryWriter) throws(FileSystemError) in
                guard w.bytes.count >= Self.piece else { return }
                try write(w.bytes)
                w.bytes.removeAll(keepingCapacity: true)
            }
            try write(w.bytes)
        }
    }

    /// How much of the plan is encoded before it is written.
    static let piece = 1 << 20

    // MARK: encoding

    /// `spill` is called after each instance, to write what is encoded so far.
    static func encode<E: Error>(_ j: Jobfile, _ w: inout BinaryWriter, spill: (inout BinaryWriter) throws(E) -> Void) throws(E) {
        w.string(j.displayName)
        w.int(j.vars.count)
        for (k, v) in j.vars.sorted(by: { $0.key < $1.key }) { w.string(k); w.string(v) }
        w.int(j.pools.count)
        for (k, v) in j.pools.sorted(by: { $0.key < $1.key }) { w.string(k); w.int(v) }
        w.int(j.poolRates.count)
        for (k, v) in j.poolRates.sorted(by: { $0.key < $1.key }) { w.string(k); w.double(v) }
        w.int(j.presets.count)
        for (k, v) in j.presets.sorted(by: { $0.key < $1.key }) { w.string(k); encode(v, &w) }
        w.strings(j.roots)
        w.int(j.rules.count)
        for r in j.rules {
            w.string(r.name)
            encode(r.location, &w)
            w.int(r.instanceIndices.lowerBound)
            w.int(r.instanceIndices.count)
        }
        w.int(j.instances.count)
        for i in j.instances.indices {
            encode(j.instances[i], &w)
            try spill(&w)
        }
        w.int(j.targets.count)
        for (_, t) in j.targets.sorted(by: { $0.key < $1.key }) {
            w.string(t.name)
            encode(t.location, &w)
            w.int(t.items.count)
            for item in t.items { w.string(item.text); encode(item.location, &w) }
        }
        w.int(j.globs.count)
        for g in j.globs { w.string(g.pattern); w.strings(g.stems) }
    }

    static func encode(_ l: SourceLocation, _ w: inout BinaryWriter) {
        w.string(l.file)
        w.int(l.line)
        w.int(l.column)
    }

    static func encode(_ t: CommandTemplate, _ w: inout BinaryWriter) {
        w.int(t.parts.count)
        for part in t.parts {
            switch part {
            case .text(let s): w.int(0); w.string(s)
            case .output(let i, let quoted): w.int(quoted ? 2 : 1); w.int(i)
            }
        }
    }

    static func encode(_ v: ParameterValue, _ w: inout BinaryWriter) {
        switch v {
        case .scalar(let t, let l): w.int(0); encode(t, &w); encode(l, &w)
        case .list(let xs, let l):
            w.int(1); encode(l, &w); w.int(xs.count)
            for x in xs { encode(x, &w) }
        case .map(let kv, let l):
            w.int(2); encode(l, &w); w.int(kv.count)
            for e in kv { w.string(e.key); encode(e.keyLocation, &w); encode(e.value, &w) }
        }
    }

    static func encode(_ inv: RecipeInvocation, _ w: inout BinaryWriter) {
        w.string(inv.kind)
        w.int(inv.commands.count)
        for c in inv.commands {
            switch c {
            case .shell(let t): w.int(0); encode(t, &w)
            case .argv(let ts): w.int(1); w.int(ts.count); for t in ts { encode(t, &w) }
            }
        }
        w.strings(inv.reads)
        w.strings(inv.tools)
        w.string(inv.parameters)
        if let source = inv.source { w.int(1); encode(source, &w) } else { w.int(0) }
    }

    static func encode(_ inst: RuleInstance, _ w: inout BinaryWriter) {
        w.string(inst.rule)
        w.string(inst.name)
        w.strings(inst.outputs)
        w.int(inst.outputNames.count)
        for (k, v) in inst.outputNames.sorted(by: { $0.key < $1.key }) { w.string(k); w.int(v) }
        w.strings(inst.inputs)
        encode(inst.invocation, &w)
        if let fallback = inst.fallback { w.int(1); encode(fallback, &w) } else { w.int(0) }
        w.int(inst.environment.count)
        for e in inst.environment { w.string(e.name); w.string(e.value) }
        w.optionalString(inst.pool)
        w.int(inst.retries)
        if let t = inst.retryDelaySeconds { w.int(1); w.double(t) } else { w.int(0) }
        if let t = inst.timeoutSeconds { w.int(1); w.double(t) } else { w.int(0) }
        w.optionalString(inst.description)
        encode(inst.location, &w)
        w.int(inst.inputLocations.count)
        for l in inst.inputLocations { encode(l, &w) }
        w.int(inst.outputLocations.count)
        for l in inst.outputLocations { encode(l, &w) }
    }

    // MARK: decoding

    static func decodeJobfile(_ r: inout BinaryReader) -> Jobfile? {
        guard let displayName = r.string(), let nVars = r.count() else { return nil }
        var vars: [String: String] = [:]
        for _ in 0..<nVars { guard let k = r.string(), let v = r.string() else { return nil }; vars[k] = v }
        guard let nPools = r.count() else { return nil }
        var pools: [String: Int] = [:]
        for _ in 0..<nPools { guard let k = r.string(), let v = r.int() else { return nil }; pools[k] = v }
        guard let nRates = r.count() else { return nil }
        var poolRates: [String: Double] = [:]
        for _ in 0..<nRates { guard let k = r.string(), let v = r.double() else { return nil }; poolRates[k] = v }
        guard let nPresets = r.count() else { return nil }
        var presets: [String: ParameterValue] = [:]
        for _ in 0..<nPresets { guard let k = r.string(), let v = decodeParameter(&r) else { return nil }; presets[k] = v }
        guard let roots = r.strings(), let nRules = r.count() else { return nil }
        var rules: [RuleDefinition] = []
        for _ in 0..<nRules {
            guard let name = r.string(), let loc = decodeLocation(&r), let first = r.int(), let n = r.int(),
                  first >= 0, n >= 0, first <= Int.max - n else { return nil }
            rules.append(RuleDefinition(name: name, location: loc, instanceIndices: first..<(first + n)))
        }
        guard let nInstances = r.count() else { return nil }
        var instances: [RuleInstance] = []
        instances.reserveCapacity(nInstances)
        var d = DiagnosticBag()
        let presetTable = PresetTable.make(presets, diagnostics: &d)
        for _ in 0..<nInstances {
            guard let inst = decodeInstance(&r, presets: presetTable) else { return nil }
            instances.append(inst)
        }
        // Indices must point inside: the engine indexes with them.
        guard rules.allSatisfy({ $0.instanceIndices.upperBound <= instances.count }) else { return nil }
        guard let nTargets = r.count() else { return nil }
        var targets: [String: TargetDefinition] = [:]
        for _ in 0..<nTargets {
            guard let name = r.string(), let loc = decodeLocation(&r), let n = r.count() else { return nil }
            var items: [(text: String, location: SourceLocation)] = []
            for _ in 0..<n { guard let t = r.string(), let l = decodeLocation(&r) else { return nil }; items.append((t, l)) }
            targets[name] = TargetDefinition(name: name, items: items, location: loc)
        }
        guard let nGlobs = r.count() else { return nil }
        var globs: [GlobRecord] = []
        for _ in 0..<nGlobs {
            guard let p = r.string(), let stems = r.strings() else { return nil }
            globs.append(GlobRecord(pattern: p, stems: stems))
        }
        var jobfile = Jobfile(displayName: displayName, source: "", vars: vars, pools: pools, presets: presets, roots: roots,
                       rules: rules, instances: instances, targets: targets, globs: globs)
        jobfile.poolRates = poolRates
        return jobfile
    }

    static func decodeLocation(_ r: inout BinaryReader) -> SourceLocation? {
        guard let f = r.string(), let l = r.int(), let c = r.int() else { return nil }
        return SourceLocation(file: f, line: l, column: c)
    }

    static func decodeTemplate(_ r: inout BinaryReader) -> CommandTemplate? {
        guard let n = r.count() else { return nil }
        var parts: [CommandTemplate.Part] = []
        for _ in 0..<n {
            switch r.int() {
            case 0: guard let s = r.string() else { return nil }; parts.append(.text(s))
            case 1: guard let i = r.int() else { return nil }; parts.append(.output(index: i, quoted: false))
            case 2: guard let i = r.int() else { return nil }; parts.append(.output(index: i, quoted: true))
            default: return nil
            }
        }
        return CommandTemplate(parts)
    }

    static func decodeParameter(_ r: inout BinaryReader) -> ParameterValue? {
        switch r.int() {
        case 0:
            guard let t = decodeTemplate(&r), let l = decodeLocation(&r) else { return nil }
            return .scalar(t, l)
        case 1:
            guard let l = decodeLocation(&r), let n = r.count() else { return nil }
            var xs: [ParameterValue] = []
            for _ in 0..<n { guard let x = decodeParameter(&r) else { return nil }; xs.append(x) }
            return .list(xs, l)
        case 2:
            guard let l = decodeLocation(&r), let n = r.count() else { return nil }
            var kv: [(key: String, keyLocation: SourceLocation, value: ParameterValue)] = []
            for _ in 0..<n {
                guard let k = r.string(), let kl = decodeLocation(&r), let v = decodeParameter(&r) else { return nil }
                kv.append((k, kl, v))
            }
            return .map(kv, l)
        default:
            return nil
        }
    }

    static func decodeInvocation(_ r: inout BinaryReader, outputs: [String], presets: PresetTable) -> RecipeInvocation? {
        guard let kind = r.string(), let nCommands = r.count() else { return nil }
        var commands: [Command] = []
        for _ in 0..<nCommands {
            switch r.int() {
            case 0: guard let t = decodeTemplate(&r) else { return nil }; commands.append(.shell(t))
            case 1:
                guard let n = r.count() else { return nil }
                var ts: [CommandTemplate] = []
                for _ in 0..<n { guard let t = decodeTemplate(&r) else { return nil }; ts.append(t) }
                commands.append(.argv(ts))
            default: return nil
            }
        }
        // Output holes must name outputs that exist.
        for c in commands {
            let templates: [CommandTemplate]
            switch c { case .shell(let t): templates = [t]; case .argv(let ts): templates = ts }
            for t in templates {
                for case .output(let i, _) in t.parts where i < 0 || i >= outputs.count { return nil }
            }
        }
        guard let reads = r.strings(), let tools = r.strings(), let parameters = r.string(), let hasSource = r.int()
        else { return nil }
        var program: (any RecipeProgram)?
        var source: ParameterValue?
        var requires: [String] = []
        if hasSource == 1 {
            // A built-in recipe's program is made again from its parameters, as the loader made it.
            guard let s = decodeParameter(&r), let recipe = RecipeRegistry.available[kind] else { return nil }
            var d = DiagnosticBag()
            guard let again = recipe.invocation(RecipeRequest(parameters: s, outputs: outputs, presets: presets), diagnostics: &d),
                  again.parameters == parameters else { return nil }
            program = again.program
            requires = again.requires
            source = s
        }
        return RecipeInvocation(kind: kind, commands: commands, program: program, source: source,
                                reads: reads, tools: tools, requires: requires, parameters: parameters)
    }

    static func decodeInstance(_ r: inout BinaryReader, presets: PresetTable) -> RuleInstance? {
        guard let rule = r.string(), let name = r.string(), let outputs = r.strings(), let nNames = r.count() else { return nil }
        var outputNames: [String: Int] = [:]
        for _ in 0..<nNames {
            guard let k = r.string(), let v = r.int(), v >= 0, v < outputs.count else { return nil }
            outputNames[k] = v
        }
        guard let inputs = r.strings(), let invocation = decodeInvocation(&r, outputs: outputs, presets: presets),
              let hasFallback = r.int() else { return nil }
        var fallback: RecipeInvocation?
        if hasFallback == 1 {
            guard let f = decodeInvocation(&r, outputs: outputs, presets: presets) else { return nil }
            fallback = f
        }
        guard let nEnv = r.count() else { return nil }
        var env: [EnvironmentEntry] = []
        for _ in 0..<nEnv { guard let k = r.string(), let v = r.string() else { return nil }; env.append(EnvironmentEntry(name: k, value: v)) }
        guard let pool = r.optionalString(), let retries = r.int(), let hasDelay = r.int() else { return nil }
        var retryDelay: Double?
        if hasDelay == 1 { guard let t = r.double() else { return nil }; retryDelay = t }
        guard let hasTimeout = r.int() else { return nil }
        var timeout: Double?
        if hasTimeout == 1 { guard let t = r.double() else { return nil }; timeout = t }
        guard let description = r.optionalString(), let location = decodeLocation(&r) else { return nil }
        var locations: [[SourceLocation]] = []
        for _ in 0..<2 {
            guard let n = r.count() else { return nil }
            var list: [SourceLocation] = []
            list.reserveCapacity(n)
            for _ in 0..<n { guard let l = decodeLocation(&r) else { return nil }; list.append(l) }
            locations.append(list)
        }
        var instance = RuleInstance(rule: rule, name: name, outputs: outputs, outputNames: outputNames, inputs: inputs,
                            invocation: invocation,
                            environment: env, pool: pool, retries: retries, timeoutSeconds: timeout,
                            description: description, location: location, inputLocations: locations[0],
                            outputLocations: locations[1])
        instance.retryDelaySeconds = retryDelay
        instance.fallback = fallback
        return instance
    }
}
