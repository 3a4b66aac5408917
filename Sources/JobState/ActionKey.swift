import JobBasics

/// Everything that decides a rule's result, and nothing else: never the environment of the
/// person running `job`, never a time. Hashed to the action key.
public struct ActionKeyMaterial: Sendable, Hashable {
    public var recipeKind: String
    /// The commands as they run, with the final output paths in place of the temporary ones.
    public var commands: [String]
    public var parameters: String
    public var environment: [(name: String, value: String)]
    public var outputs: [String]
    /// Inputs in declaration order with the digests of their content.
    public var inputs: [(path: String, digest: ContentDigest)]
    /// Tool identities (`ffmpeg version 5.1.9...`), in the recipe's order.
    public var tools: [String]

    public init(recipeKind: String, commands: [String], parameters: String,
                environment: [(name: String, value: String)], outputs: [String],
                inputs: [(path: String, digest: ContentDigest)], tools: [String]) {
        self.recipeKind = recipeKind
        self.commands = commands
        self.parameters = parameters
        self.environment = environment
        self.outputs = outputs
        self.inputs = inputs
        self.tools = tools
    }

    public static func == (a: Self, b: Self) -> Bool { a.key == b.key }

    /// Each input's digest by path.
    public var inputDigests: [String: ContentDigest] {
        Dictionary(inputs.map { ($0.path, $0.digest) }, uniquingKeysWith: { a, _ in a })
    }
    public func hash(into h: inout Hasher) { h.combine(key) }

    /// The action key: XXH3-128 over a length-prefixed encoding of every field.
    public var key: ContentDigest { Self.key(recipeDigest: recipeDigest, inputs: inputs) }

    /// Everything but the inputs' contents: when only this differs, the recipe changed.
    public var recipeDigest: ContentDigest {
        Self.recipeDigest(kind: recipeKind, commands: commands, parameters: parameters,
                          environment: environment.lazy.map { ($0.name, $0.value) }, outputs: outputs, tools: tools)
    }

    /// The key from its parts, for a caller that needs no material (the no-op of a large build
    /// makes 100,000 keys and keeps none of their material).
    public static func key(recipeDigest: ContentDigest, inputs: [(path: String, digest: ContentDigest)]) -> ContentDigest {
        var h = StreamingHasher()
        h.field("job-action-v1")
        h.field(recipeDigest)
        h.field(String(inputs.count))
        for i in inputs { h.field(i.path); h.field(i.digest) }
        return h.finish()
    }

    /// `recipeDigest` from its parts, which may be made as they are hashed (inlined, so that
    /// the caller's lazy collections are specialized).
    @inlinable
    public static func recipeDigest(kind: String, commands: some Collection<String>, parameters: String,
                                    environment: some Collection<(String, String)>, outputs: [String],
                                    tools: some Collection<String>) -> ContentDigest {
        var h = StreamingHasher()
        h.field("job-recipe-v1")
        h.field(kind)
        h.field(String(commands.count))
        for c in commands { h.field(c) }
        h.field(parameters)
        h.field(String(environment.count))
        for e in environment { h.field(e.0); h.field(e.1) }
        h.field(String(outputs.count))
        for o in outputs { h.field(o) }
        h.field(String(tools.count))
        for t in tools { h.field(t) }
        return h.finish()
    }
}
