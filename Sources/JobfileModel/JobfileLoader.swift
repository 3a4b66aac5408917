import JobBasics
import JobRecipes

/// A `NAME=VALUE` given on the command line.
public struct VarOverride: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Parses `NAME=VALUE`; nil when the word has no `=` or an empty or invalid name.
    public static func parse(_ word: String) -> VarOverride? {
        guard let eq = word.firstIndex(of: "=") else { return nil }
        let name = String(word[..<eq])
        guard isValidName(name) else { return nil }
        return VarOverride(name: name, value: String(word[word.index(after: eq)...]))
    }
}

/// `[A-Za-z0-9_-]+`: rule, var, pool, target and `foreach` key names.
public func isValidName(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.allSatisfy(isNameByte)
}

/// A byte of a name: `[A-Za-z0-9_-]`.
func isNameByte(_ c: UInt8) -> Bool {
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
        || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
}

/// Names that `${...}` gives a meaning of its own.
let reservedNames: Set<String> = ["in", "out", "rules"]

/// Turns a Jobfile's text into a validated `Jobfile`, or every error it holds.
public struct JobfileLoader {
    public static let maximumNesting = 512
    public static let maximumInstances = 1_000_000
    public static let maximumExpandedBytes = 10_000_000

    public var displayName: String
    public var text: String
    /// The absolute directory holding the Jobfile: globs and `roots:` are read against it.
    public var rootDirectory: String
    public var overrides: [VarOverride]

    public init(displayName: String, text: String, rootDirectory: String, overrides: [VarOverride] = []) {
        self.displayName = displayName
        self.text = text
        self.rootDirectory = rootDirectory
        self.overrides = overrides
    }

    static let topLevelKeys: Set<String> = ["version", "vars", "pools", "presets", "rules", "targets", "roots"]

    public func load() throws(UsageError) -> Jobfile {
        var d = DiagnosticBag()
        // Every scalar stays a string: a Jobfile has no typed values, so nothing is guessed.
        let read: YAMLDocument?
        do {
            read = try YAMLDocument.parse(text, expansionLimit: Self.maximumExpandedBytes, flowNestingLimit: Self.maximumNesting)
        } catch {
            let place = SourceLocation(file: displayName, line: error.line, column: error.column)
            if error.tooDeep { throw UsageError("the Jobfile nests deeper than \(Self.maximumNesting) levels", at: place) }
            throw UsageError("invalid YAML: \(error.message)", at: place)
        }
        guard let document = read else {
            throw UsageError("the Jobfile is empty", at: SourceLocation(file: displayName, line: 1, column: 1))
        }
        let tree = YAMLTree(file: displayName, document: document)
        let root = document.root
        if let place = document.expansionOverflow {
            throw UsageError("the Jobfile's aliases expand past \(Self.maximumExpandedBytes / 1_000_000) MB",
                             at: SourceLocation(file: displayName, line: place.line, column: place.column))
        }
        guard let top = tree.mapping(root, what: "the Jobfile", diagnostics: &d) else { throw UsageError(d.diagnostics) }
        tree.checkKeys(top, allowed: Self.topLevelKeys, in: "the Jobfile", diagnostics: &d)
        let section = Dictionary(top.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })

        if let v = section["version"], tree.string(v.value, what: "'version'", diagnostics: &d) != "1" {
            d.error("unsupported version (this job reads version 1)", at: tree.location(v.value))
        }
        var rules = ExpansionInputs(tree: tree, rootDirectory: rootDirectory)
        rules.roots = readRoots(section["roots"]?.value, tree: tree, diagnostics: &d)
        rules.vars = readVars(section["vars"]?.value, tree: tree, diagnostics: &d)
        let (pools, poolRates) = readPools(section["pools"]?.value, tree: tree, diagnostics: &d)
        rules.pools = pools
        var presets: [String: ParameterValue] = [:]
        if let p = section["presets"]?.value, let pairs = tree.mapping(p, what: "'presets'", diagnostics: &d) {
            let scope = SubstitutionScope(vars: rules.vars)
            for pair in pairs {
                if let value = parameterValue(pair.value, tree: tree, scope: scope, diagnostics: &d) {
                    presets[pair.key] = value
                }
            }
        }
        rules.presets = PresetTable.make(presets, diagnostics: &d)
        var expansion = RuleExpansion(inputs: rules)
        if let r = section["rules"]?.value {
            expansion.expand(r, diagnostics: &d)
        } else {
            d.error("the Jobfile has no 'rules'", at: tree.location(root))
        }
        let targets = readTargets(section["targets"]?.value, tree: tree, vars: rules.vars, diagnostics: &d)
        try d.throwIfErrors()
        var jobfile = Jobfile(displayName: displayName, source: text, vars: rules.vars, pools: pools,
                              presets: presets, roots: rules.roots, rules: expansion.rules,
                              instances: expansion.instances, targets: targets, globs: expansion.globs)
        jobfile.poolRates = poolRates
        jobfile.outputTable = expansion.outputTable
        return jobfile
    }

    func readRoots(_ node: YAMLNode?, tree: YAMLTree, diagnostics d: inout DiagnosticBag) -> [String] {
        guard let node, let items = tree.stringList(node, what: "'roots'", diagnostics: &d) else { return [] }
        var roots: [String] = []
        for item in items {
            guard let s = tree.scalar(item) else { continue }
            if !s.hasPrefix("/") {
                d.error("a directory in 'roots' must be absolute", at: tree.location(item))
                continue
            }
            let normalized = "/" + PathRules.normalizeComponents(s).joined(separator: "/")
            roots.append(normalized)
            // A root reached through a symlink is also allowed under its real name.
            if let real = FileOperations.realPath(normalized), real != normalized { roots.append(real) }
        }
        return roots
    }

    func readVars(_ node: YAMLNode?, tree: YAMLTree, diagnostics d: inout DiagnosticBag) -> [String: String] {
        var raw: [String: (String, YAMLNode)] = [:]
        var order: [String] = []
        if let node, let pairs = tree.mapping(node, what: "'vars'", diagnostics: &d) {
            for p in pairs {
                if !isValidName(p.key) {
                    d.error("invalid var name '\(p.key)' (use letters, digits, '_' and '-')", at: tree.location(p.keyNode))
                } else if reservedNames.contains(p.key) {
                    d.error("'\(p.key)' is reserved and cannot be a var name", at: tree.location(p.keyNode))
                } else if let s = tree.string(p.value, what: "var '\(p.key)'", diagnostics: &d) {
                    raw[p.key] = (s, p.value)
                    order.append(p.key)
                }
            }
        }
        var overridden: [String: String] = [:]
        for o in overrides {
            if reservedNames.contains(o.name) {
                d.error("'\(o.name)' is reserved and cannot be set on the command line", at: nil)
            } else if raw[o.name] == nil {
                var message = "unknown var '\(o.name)' in '\(o.name)=\(o.value)' on the command line"
                if let near = nearestName(to: o.name, in: order) { message += " (did you mean '\(near)'?)" }
                d.error(message, at: nil)
            } else {
                overridden[o.name] = o.value
            }
        }
        // Vars may use other vars; resolve each once, refusing cycles.
        var resolved = overridden
        var visiting: Set<String> = []
        func resolve(_ name: String) -> String? {
            if let v = resolved[name] { return v }
            guard let (text, node) = raw[name] else { return nil }
            if visiting.contains(name) {
                d.error("var '\(name)' refers to itself", at: tree.location(node))
                return nil
            }
            visiting.insert(name)
            defer { visiting.remove(name) }
            var scope = SubstitutionScope(vars: [:])
            // Collect referenced vars first, resolving them on demand.
            for (other, _) in raw where text.contains("${\(other)}") {
                if let v = resolve(other) { scope.vars[other] = v }
            }
            let template = Substitution.expand(text, at: tree.location(node), columnOffset: tree.contentOffset(node),
                                               scope: scope, shell: false, diagnostics: &d)
            let value = template?.plainText ?? ""
            resolved[name] = value
            return value
        }
        for name in order { _ = resolve(name) }
        return resolved
    }

    /// `name: N` (at most N at once), or `name: {jobs: N, per_minute: R}` (and at most R starts
    /// a minute, spread evenly: one every 60/R seconds).
    func readPools(_ node: YAMLNode?, tree: YAMLTree, diagnostics d: inout DiagnosticBag) -> ([String: Int], [String: Double]) {
        var pools: [String: Int] = [:]
        var rates: [String: Double] = [:]
        guard let node, let pairs = tree.mapping(node, what: "'pools'", diagnostics: &d) else { return (pools, rates) }
        for p in pairs {
            if !isValidName(p.key) { d.error("invalid pool name '\(p.key)'", at: tree.location(p.keyNode)); continue }
            if tree.kind(p.value) == .mapping {
                guard let fields = tree.mapping(p.value, what: "pool '\(p.key)'", diagnostics: &d) else { continue }
                tree.checkKeys(fields, allowed: ["jobs", "per_minute"], in: "pool '\(p.key)'", diagnostics: &d)
                pools[p.key] = Int.max
                for f in fields {
                    guard let s = tree.string(f.value, what: "'\(f.key)'", diagnostics: &d) else { continue }
                    if f.key == "jobs" {
                        if let n = Int(s), n >= 1 { pools[p.key] = n }
                        else { d.error("'jobs' of pool '\(p.key)' must be a whole number of at least 1, not '\(s)'", at: tree.location(f.value)) }
                    } else if f.key == "per_minute" {
                        if let r = Double(s), r > 0, r.isFinite { rates[p.key] = r }
                        else { d.error("'per_minute' of pool '\(p.key)' must be a number more than 0, not '\(s)'", at: tree.location(f.value)) }
                    }
                }
                continue
            }
            guard let s = tree.string(p.value, what: "pool '\(p.key)'", diagnostics: &d) else { continue }
            if let n = Int(s), n >= 1 { pools[p.key] = n }
            else { d.error("pool '\(p.key)' must be a whole number of at least 1, not '\(s)'", at: tree.location(p.value)) }
        }
        return (pools, rates)
    }

    func readTargets(_ node: YAMLNode?, tree: YAMLTree, vars: [String: String],
                     diagnostics d: inout DiagnosticBag) -> [String: TargetDefinition] {
        var targets: [String: TargetDefinition] = [:]
        guard let node, let pairs = tree.mapping(node, what: "'targets'", diagnostics: &d) else { return targets }
        let scope = SubstitutionScope(vars: vars)
        for p in pairs {
            if !isValidName(p.key) { d.error("invalid target name '\(p.key)'", at: tree.location(p.keyNode)); continue }
            guard let items = tree.stringList(p.value, what: "target '\(p.key)'", diagnostics: &d) else { continue }
            var resolved: [(text: String, location: SourceLocation)] = []
            for item in items {
                guard let s = tree.scalar(item) else { continue }
                let loc = tree.location(item)
                if let t = Substitution.expand(s, at: loc, columnOffset: tree.contentOffset(item),
                                               scope: scope, shell: false, diagnostics: &d)?.plainText {
                    resolved.append((t, loc))
                }
            }
            targets[p.key] = TargetDefinition(name: p.key, items: resolved, location: tree.location(p.keyNode))
        }
        return targets
    }
}

/// A YAML node as a recipe parameter, with every string substituted in `scope`.
func parameterValue(_ node: YAMLNode, tree: YAMLTree, scope: SubstitutionScope, shell: Bool = false,
                    diagnostics d: inout DiagnosticBag) -> ParameterValue? {
    let loc = tree.location(node)
    switch tree.kind(node) {
    case .scalar:
        return Substitution.expand(tree.scalar(node)!, at: loc, columnOffset: tree.contentOffset(node), scope: scope,
                                   shell: shell, diagnostics: &d).map { .scalar($0, loc) }
    case .sequence:
        var values: [ParameterValue] = []
        var ok = true
        for item in tree.items(node) {
            if let s = tree.scalar(item) {
                guard let ts = Substitution.expandListItem(s, at: tree.location(item),
                                                           columnOffset: tree.contentOffset(item), scope: scope,
                                                           diagnostics: &d) else { ok = false; continue }
                values += ts.map { .scalar($0, tree.location(item)) }
            } else if let v = parameterValue(item, tree: tree, scope: scope, diagnostics: &d) {
                values.append(v)
            } else {
                ok = false
            }
        }
        return ok ? .list(values, loc) : nil
    case .mapping:
        guard let pairs = tree.mapping(node, what: "a parameter", diagnostics: &d) else { return nil }
        var entries: [(key: String, keyLocation: SourceLocation, value: ParameterValue)] = []
        var ok = true
        for p in pairs {
            if let v = parameterValue(p.value, tree: tree, scope: scope, diagnostics: &d) {
                entries.append((p.key, tree.location(p.keyNode), v))
            } else { ok = false }
        }
        return ok ? .map(entries, loc) : nil
    }
}
