import JobBasics
import JobRecipes

/// A validated, expanded Jobfile: everything the graph and the engine need, nothing of YAML.
public struct Jobfile: Sendable {
    /// The name diagnostics use for the file (`Jobfile`, or the `-f` path as given).
    public var displayName: String
    /// The Jobfile's text, to quote lines in diagnostics found after loading.
    public var source: String
    public var vars: [String: String]
    /// Pool name -> at most this many of its rules at once.
    public var pools: [String: Int]
    /// Pool name -> at most this many starts per minute (`per_minute:`, for paid APIs).
    public var poolRates: [String: Double] = [:]
    /// Presets as written, for the built-in recipes.
    public var presets: [String: ParameterValue]
    /// Absolute directories outside the project that paths may point into.
    public var roots: [String]
    public var rules: [RuleDefinition]
    /// Every instance of every rule, rules in file order, instances in `foreach` order.
    public var instances: [RuleInstance]
    public var targets: [String: TargetDefinition]
    /// The globs `foreach` read and what they matched.
    public var globs: [GlobRecord]
    /// Each output's writer, when loading made it (the graph makes it otherwise).
    public var outputTable: OutputTable? = nil
}

/// A glob pattern (relative to the root) and the stems it matched, in order.
public struct GlobRecord: Sendable, Hashable {
    public var pattern: String
    public var stems: [String]

    /// What `pattern` matches now, as a plan records it.
    public static func stems(of pattern: String, rootDirectory: String) -> [String] {
        Foreach.globStems(pattern, rootDirectory: rootDirectory)
    }
}

/// A rule as declared: its name, where it is, and its instances' indices in `Jobfile.instances`.
public struct RuleDefinition: Sendable {
    public var name: String
    public var location: SourceLocation
    /// A rule's instances are made one after the other.
    public var instanceIndices: Range<Int>
}

/// One instance of a rule: one set of `foreach` values, fully substituted.
public struct RuleInstance: Sendable {
    public var rule: String
    /// `rule` or `rule[key=value,...]`: unique in the Jobfile.
    public var name: String
    public var outputs: [String]
    /// Names of outputs given as a map, to their index in `outputs`.
    public var outputNames: [String: Int]
    /// Declared inputs and the files the recipe reads, without repeats, in order.
    public var inputs: [String]
    public var invocation: RecipeInvocation
    /// Declared environment, sorted by name.
    public var environment: [EnvironmentEntry]
    public var pool: String?
    /// What makes the outputs when the recipe still fails after its retries (`fallback:`).
    public var fallback: RecipeInvocation? = nil
    public var retries: Int
    /// The wait before the first retry (doubling after each); nil: 1 s.
    public var retryDelaySeconds: Double? = nil
    public var timeoutSeconds: Double?
    public var description: String?
    public var location: SourceLocation
    /// Where each input and output was written (aligned with `inputs` and `outputs`), for
    /// errors found later (missing input...).
    public var inputLocations: [SourceLocation]
    public var outputLocations: [SourceLocation]

    public init(rule: String, name: String, outputs: [String], outputNames: [String: Int],
                inputs: [String], invocation: RecipeInvocation, environment: [EnvironmentEntry],
                pool: String?, retries: Int, timeoutSeconds: Double?, description: String?,
                location: SourceLocation, inputLocations: [SourceLocation], outputLocations: [SourceLocation]) {
        self.rule = rule
        self.name = name
        self.outputs = outputs
        self.outputNames = outputNames
        self.inputs = inputs
        self.invocation = invocation
        self.environment = environment
        self.pool = pool
        self.retries = retries
        self.timeoutSeconds = timeoutSeconds
        self.description = description
        self.location = location
        self.inputLocations = inputLocations
        self.outputLocations = outputLocations
    }

    /// The place of an instance that could not be made: the load throws its errors first.
    static let unmade = RuleInstance(rule: "", name: "", outputs: [], outputNames: [:], inputs: [],
                                     invocation: RecipeInvocation(kind: "", commands: []), environment: [],
                                     pool: nil, retries: 0, timeoutSeconds: nil, description: nil,
                                     location: SourceLocation(file: "", line: 0, column: 0),
                                     inputLocations: [], outputLocations: [])

    /// Where `path` was written in this rule, as an output or else as an input.
    public func location(of path: String) -> SourceLocation? {
        if let i = outputs.firstIndex(of: path), i < outputLocations.count { return outputLocations[i] }
        if let i = inputs.firstIndex(of: path), i < inputLocations.count { return inputLocations[i] }
        return nil
    }
}

public struct EnvironmentEntry: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A named group: each item is a target name, a rule name or an output path.
public struct TargetDefinition: Sendable {
    public var name: String
    public var items: [(text: String, location: SourceLocation)]
    public var location: SourceLocation
}
