import JobBasics

/// Reads a document's nodes with their places, reporting shape errors (a list where a map belongs...).
struct YAMLTree {
    let file: String
    let document: YAMLDocument

    func location(_ node: YAMLNode) -> SourceLocation {
        let r = document.record(node)
        return SourceLocation(file: file, line: Int(r.line), column: Int(r.column))
    }

    func kind(_ node: YAMLNode) -> YAMLDocument.Kind { document.record(node).kind }

    /// A scalar's text; nil for a collection.
    func scalar(_ node: YAMLNode) -> String? { document.scalar(node) }

    /// A sequence's items (empty for anything else).
    func items(_ node: YAMLNode) -> ArraySlice<YAMLNode> {
        kind(node) == .sequence ? document.children(of: node) : []
    }

    /// Offset from the node's column to its first character of content, where it is exact:
    /// plain scalars start at the mark, quoted ones one column later; block scalars and
    /// multi-line text have no single column, so errors point at the node.
    func contentOffset(_ node: YAMLNode) -> Int? {
        // A byte test: `contains("\n")` resolved to Foundation's search, once per substitution.
        guard let s = scalar(node), !s.containsByte(UInt8(ascii: "\n")) else { return nil }
        switch document.record(node).style {
        case .plain: return 0
        case .singleQuoted, .doubleQuoted: return 1
        default: return nil
        }
    }

    func string(_ node: YAMLNode, what: String, diagnostics: inout DiagnosticBag) -> String? {
        if let s = scalar(node) { return s }
        diagnostics.error("\(what) must be a string", at: location(node))
        return nil
    }

    /// The pairs of a mapping, in order (the document has refused repeated keys).
    func mapping(_ node: YAMLNode, what: String, diagnostics: inout DiagnosticBag) -> [(key: String, keyNode: YAMLNode, value: YAMLNode)]? {
        guard kind(node) == .mapping else {
            diagnostics.error("\(what) must be a mapping", at: location(node))
            return nil
        }
        let kids = document.children(of: node)
        var pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)] = []
        pairs.reserveCapacity(kids.count / 2)
        var i = kids.startIndex
        while i < kids.endIndex {
            let k = kids[i], v = kids[i + 1]
            i += 2
            guard let key = scalar(k) else {
                diagnostics.error("a key in \(what) must be a string", at: location(k))
                continue
            }
            pairs.append((key, k, v))
        }
        return pairs
    }

    /// Unknown keys are errors, with the nearest known key as a suggestion.
    func checkKeys(_ pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)], allowed: Set<String>,
                   in what: String, diagnostics: inout DiagnosticBag) {
        for p in pairs where !allowed.contains(p.key) {
            var message = "unknown key '\(p.key)' in \(what)"
            if let near = nearestName(to: p.key, in: allowed.sorted()) { message += " (did you mean '\(near)'?)" }
            diagnostics.error(message, at: location(p.keyNode))
        }
    }

    /// A string, or a list of strings, as a list.
    func stringList(_ node: YAMLNode, what: String, diagnostics: inout DiagnosticBag) -> [YAMLNode]? {
        switch kind(node) {
        case .scalar: return [node]
        case .sequence:
            var items: [YAMLNode] = []
            for item in self.items(node) {
                if kind(item) == .scalar { items.append(item) }
                else { diagnostics.error("each item of \(what) must be a string", at: location(item)) }
            }
            return items
        case .mapping:
            diagnostics.error("\(what) must be a string or a list of strings", at: location(node))
            return nil
        }
    }
}

