import JobBasics

/// A string from the Jobfile after substitution, where the rule's outputs are still holes:
/// the key fills them with the final paths (stable), a run with the temporary paths it
/// writes to before renaming (see `OutputStaging`).
public struct CommandTemplate: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case text(String)
        /// Output number `index` of the rule; `quoted` when substituted into a shell string.
        case output(index: Int, quoted: Bool)
    }

    public var parts: [Part]

    public init(_ parts: [Part]) { self.parts = parts }
    public init(text: String) { self.parts = [.text(text)] }

    public func render(outputs: [String]) -> String {
        var s = ""
        for part in parts {
            switch part {
            case .text(let t): s += t
            case .output(let i, let quoted): s += quoted ? shellQuote(outputs[i]) : outputs[i]
            }
        }
        return s
    }

    /// The text when it holds no output hole.
    public var plainText: String? {
        var s = ""
        for part in parts {
            guard case .text(let t) = part else { return nil }
            s += t
        }
        return s
    }
}

/// A process a recipe runs: a shell string (`/bin/sh -c`) or an argv without a shell.
public enum Command: Sendable, Hashable {
    case shell(CommandTemplate)
    case argv([CommandTemplate])

    public func argv(outputs: [String]) -> [String] {
        switch self {
        case .shell(let t): return ["/bin/sh", "-c", t.render(outputs: outputs)]
        case .argv(let ts): return ts.map { $0.render(outputs: outputs) }
        }
    }

    /// What `-n` prints and the key holds: the shell string as written, or the argv quoted.
    public func display(outputs: [String]) -> String {
        switch self {
        case .shell(let t): return t.render(outputs: outputs)
        case .argv(let ts): return shellJoin(ts.map { $0.render(outputs: outputs) })
        }
    }
}
