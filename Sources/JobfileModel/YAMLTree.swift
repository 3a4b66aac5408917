import JobBasics
import Yams

/// Reads Yams nodes with their places, reporting shape errors (a list where a map belongs...).
struct YAMLTree {
    let file: String

    func location(_ node: Node) -> SourceLocation {
        let m = node.mark
        return SourceLocation(file: file, line: m?.line ?? 1, column: m?.column ?? 1)
    }

    /// Offset from the node's column to its first character of content, where it is exact:
    /// plain scalars start at the mark, quoted ones one column later; block scalars and
    /// multi-line text have no single column, so errors point at the node.
    func contentOffset(_ node: Node) -> Int? {
        // A byte test: `contains("\n")` resolved to Foundation's search, once per substitution.
        guard case .scalar(let s) = node, !s.string.utf8.contains(UInt8(ascii: "\n")) else { return nil }
        switch s.style {
        case .plain: return 0
        case .singleQuoted, .doubleQuoted: return 1
        default: return nil
        }
    }

    func string(_ node: Node, what: String, diagnostics: inout DiagnosticBag) -> String? {
        if case .scalar(let s) = node { return s.string }
        diagnostics.error("\(what) must be a string", at: location(node))
        return nil
    }

    /// The pairs of a mapping, in order, refusing repeated keys (YAML allows them silently).
    func mapping(_ node: Node, what: String, diagnostics: inout DiagnosticBag) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let m) = node else {
            diagnostics.error("\(what) must be a mapping", at: location(node))
            return nil
        }
        var seen: [String: SourceLocation] = [:]
        var pairs: [(key: String, keyNode: Node, value: Node)] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                diagnostics.error("a key in \(what) must be a string", at: location(k))
                continue
            }
            if let first = seen[ks.string] {
                diagnostics.error("'\(ks.string)' is given twice in \(what) (first at line \(first.line))", at: location(k))
                continue
            }
            seen[ks.string] = location(k)
            pairs.append((ks.string, k, v))
        }
        return pairs
    }

    /// Unknown keys are errors, with the nearest known key as a suggestion.
    func checkKeys(_ pairs: [(key: String, keyNode: Node, value: Node)], allowed: Set<String>,
                   in what: String, diagnostics: inout DiagnosticBag) {
        for p in pairs where !allowed.contains(p.key) {
            var message = "unknown key '\(p.key)' in \(what)"
            if let near = nearestName(to: p.key, in: allowed.sorted()) { message += " (did you mean '\(near)'?)" }
            diagnostics.error(message, at: location(p.keyNode))
        }
    }

    /// A string, or a list of strings, as a list.
    func stringList(_ node: Node, what: String, diagnostics: inout DiagnosticBag) -> [Node]? {
        switch node {
        case .scalar: return [node]
        case .sequence(let s):
            var items: [Node] = []
            for item in s {
                if case .scalar = item { items.append(item) }
                else { diagnostics.error("each item of \(what) must be a string", at: location(item)) }
            }
            return items
        default:
            diagnostics.error("\(what) must be a string or a list of strings", at: location(node))
            return nil
        }
    }
}

/// Refuses input built to exhaust the parser before it reaches it: flow collections nested
/// deeper than `limit` (block nesting costs indentation, so it cannot get deep cheaply).
func flowNestingDepthExceeds(_ text: String, limit: Int) -> SourceLocation? {
    var depth = 0, line = 1, column = 0
    var quote: UInt8? = nil
    var escaped = false      // after a backslash in a double-quoted scalar
    var comment = false
    var previous: UInt8 = 0  // the byte before this one on its line (0 at the start of a line)
    var lastToken: UInt8 = 0 // the last non-blank byte outside quotes on this line (0: none yet)
    let bytes = Array(text.utf8)
    var i = 0
    func isBlank(_ c: UInt8) -> Bool { c == 0 || c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") }
    while i < bytes.count {
        let b = bytes[i]
        i += 1
        if b & 0xC0 != 0x80 { column += 1 }   // columns count characters, as YAML marks do
        if b == UInt8(ascii: "\n") {
            line += 1; column = 0; comment = false; previous = 0; lastToken = 0
            continue   // a quoted scalar may go on over several lines
        }
        defer { previous = b }
        if comment { continue }
        if quote == UInt8(ascii: "\"") {
            if escaped { escaped = false }
            else if b == UInt8(ascii: "\\") { escaped = true }
            else if b == quote { quote = nil; lastToken = b }
            continue
        }
        if quote == UInt8(ascii: "'") {
            if b == quote {
                if i < bytes.count && bytes[i] == quote { i += 1; column += 1 }   // '' is a quote inside
                else { quote = nil; lastToken = b }
            }
            continue
        }
        switch b {
        case UInt8(ascii: "#") where isBlank(previous):
            comment = true
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            // A quote starts a scalar only where a scalar can start: an apostrophe inside a plain
            // scalar (`description: don't`) opens nothing.
            let afterIndicator = [UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "?")].contains(lastToken) && isBlank(previous)
            let atStart = [0, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ",")].contains(lastToken)
            if afterIndicator || atStart { quote = b; escaped = false }
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            depth += 1
            if depth > limit { return SourceLocation(file: "", line: line, column: column) }
        case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
        default: break
        }
        if !isBlank(b) { lastToken = b }
    }
    return nil
}

/// The size the document would have with every alias (`*name`) written out, counted in scalar
/// bytes and nodes; nil while it stays within `limit`, else the place where it went over.
/// Aliases share their anchor's node (and its place), so sizes are memoized by place and a
/// "billion laughs" document is measured in time proportional to its text, not its expansion.
func aliasExpansionExceeds(_ root: Node, limit: Int, tree: YAMLTree) -> SourceLocation? {
    struct Place: Hashable { var line: Int; var column: Int }
    var memo: [Place: Int] = [:]
    var over: SourceLocation?
    func size(_ node: Node) -> Int {
        if over != nil { return limit + 1 }
        switch node {
        case .scalar(let s): return s.string.utf8.count + 1
        case .alias: return 1
        case .mapping, .sequence:
            let place = Place(line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
            if let known = memo[place] { return known }
            var total = 1
            if case .mapping(let m) = node {
                for (k, v) in m { total = total &+ size(k) &+ size(v); if total > limit { break } }
            } else if case .sequence(let s) = node {
                for v in s { total = total &+ size(v); if total > limit { break } }
            }
            if total > limit && over == nil { over = tree.location(node) }
            memo[place] = total
            return total
        }
    }
    _ = size(root)
    return over
}
