import JobBasics

/// A recipe's parameters as the Jobfile gave them, after substitution, each with its place.
public indirect enum ParameterValue: Sendable, Hashable {
    case scalar(CommandTemplate, SourceLocation)
    case list([ParameterValue], SourceLocation)
    case map([(key: String, keyLocation: SourceLocation, value: ParameterValue)], SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .scalar(_, let l), .list(_, let l), .map(_, let l): return l
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case let (.scalar(x, l1), .scalar(y, l2)): return x == y && l1 == l2
        case let (.list(x, l1), .list(y, l2)): return x == y && l1 == l2
        case let (.map(x, l1), .map(y, l2)):
            return l1 == l2 && x.count == y.count
                && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .scalar(let t, _): h.combine(0); h.combine(t)
        case .list(let xs, _): h.combine(1); h.combine(xs)
        case .map(let kv, _):
            h.combine(2)
            for e in kv { h.combine(e.key); h.combine(e.value) }
        }
    }
}

/// What a recipe asks the engine to do for one rule instance. It is a plain value, so that
/// `-n`, `explain` and the key all read the same thing the executor runs.
public struct RecipeInvocation: Sendable, Hashable {
    /// `run`, `trim`, `tts`...: part of the key, so two recipes never share an action.
    public var kind: String
    /// Processes run one after another (for `run`); the rule fails at the first that fails.
    public var commands: [Command]
    /// What a built-in recipe runs instead of fixed commands (see `RecipeProgram`).
    public var program: (any RecipeProgram)?
    /// The parameters the invocation was made from, to make it again (the compiled plan keeps
    /// these, not the program).
    public var source: ParameterValue?
    /// Files the recipe reads because its parameters name them: inputs of the rule.
    public var reads: [String]
    /// Tools whose identity (e.g. the first line of `ffmpeg -version`) enters the key.
    public var tools: [String]
    /// Further tools that must be installed but do not change the result (curl for a request).
    public var requires: [String]
    /// Canonical text of resolved parameters (presets expanded): part of the key.
    public var parameters: String

    public init(kind: String, commands: [Command], program: (any RecipeProgram)? = nil, source: ParameterValue? = nil,
                reads: [String] = [], tools: [String] = [], requires: [String] = [], parameters: String = "") {
        self.kind = kind
        self.commands = commands
        self.program = program
        self.source = source
        self.reads = reads
        self.tools = tools
        self.requires = requires
        self.parameters = parameters
    }

    // The program is a function of the parameters: comparing those compares it.
    public static func == (a: Self, b: Self) -> Bool {
        a.kind == b.kind && a.commands == b.commands && a.reads == b.reads && a.tools == b.tools
            && a.parameters == b.parameters
    }

    public func hash(into h: inout Hasher) {
        h.combine(kind)
        h.combine(commands)
        h.combine(parameters)
    }
}

/// What a recipe is asked to make: its parameters, the rule's outputs (final paths), and the
/// presets it may name.
public struct RecipeRequest: Sendable {
    public var parameters: ParameterValue
    public var outputs: [String]
    public var presets: PresetTable

    public init(parameters: ParameterValue, outputs: [String], presets: PresetTable) {
        self.parameters = parameters
        self.outputs = outputs
        self.presets = presets
    }
}

/// A recipe: validates its parameters (reporting errors with their places) and turns them into
/// an invocation. Built-in FFmpeg and TTS recipes are further conformances.
public protocol Recipe: Sendable {
    /// The Jobfile key that selects this recipe (`run`, `tts`, ...).
    static var name: String { get }
    /// The invocation for one rule instance, or nil with the errors found.
    static func invocation(_ request: RecipeRequest, diagnostics: inout DiagnosticBag) -> RecipeInvocation?
}

public enum RecipeRegistry {
    /// Recipes this version runs.
    public static let available: [String: any Recipe.Type] = [
        RunRecipe.name: RunRecipe.self,
        EncodeRecipe.name: EncodeRecipe.self,
        TrimRecipe.name: TrimRecipe.self,
        TTSRecipe.name: TTSRecipe.self,
        StillRecipe.name: StillRecipe.self,
        MuxRecipe.name: MuxRecipe.self,
        ConcatRecipe.name: ConcatRecipe.self,
        MixRecipe.name: MixRecipe.self,
        OverlayRecipe.name: OverlayRecipe.self,
        SubtitlesRecipe.name: SubtitlesRecipe.self,
        PlaceholderRecipe.name: PlaceholderRecipe.self,
    ]
    public static let allNames: Set<String> = Set(available.keys)

    /// What to install for a tool a recipe runs (Debian package names).
    public static let packages: [String: String] = ["ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "espeak-ng": "espeak-ng"]
}
