import JobBasics
import JobRecipes

/// What `${...}` can name in one place of a rule, and what it expands to.
struct SubstitutionScope {
    var vars: [String: String]
    var keys: [String: String] = [:]
    /// nil where `${in}` is not allowed (in `inputs:` and outputs themselves).
    var inputs: [String]?
    var namedInputs: [String: String] = [:]
    /// nil where `${out}` is not allowed (in `output:` itself).
    var outputs: [String]?
    var outputNames: [String: Int] = [:]
    /// Every rule's outputs, for `${rules.RULE}`; nil where not allowed.
    var ruleOutputs: RuleOutputs?
}

/// One reference found in a string, or literal text.
enum SubstitutionPiece {
    case text(String)
    case paths([String])
    case outputs([Int])
}

enum Substitution {
    /// Expands every `${...}` of `text` (at `location`). `shell` quotes substituted paths, for a
    /// `run` string. Errors go to `diagnostics` with the column of the `${`.
    static func expand(_ text: String, at location: SourceLocation, columnOffset: Int?,
                       scope: SubstitutionScope, shell: Bool,
                       diagnostics: inout DiagnosticBag) -> CommandTemplate? {
        guard let pieces = pieces(of: text, at: location, columnOffset: columnOffset,
                                  scope: scope, diagnostics: &diagnostics) else { return nil }
        var parts: [CommandTemplate.Part] = []
        func appendText(_ s: String) {
            if case .text(let prev)? = parts.last { parts[parts.count - 1] = .text(prev + s) }
            else { parts.append(.text(s)) }
        }
        for piece in pieces {
            switch piece {
            case .text(let t): appendText(t)
            case .paths(let ps): appendText(ps.map { shell ? shellQuote($0) : $0 }.joined(separator: " "))
            case .outputs(let indices):
                for (n, i) in indices.enumerated() {
                    if n > 0 { appendText(" ") }
                    parts.append(.output(index: i, quoted: shell))
                }
            }
        }
        return CommandTemplate(parts)
    }

    /// A list item that is exactly one reference to several paths (`${in}`, `${rules.x}`...)
    /// becomes several items; anything else is one item.
    static func expandListItem(_ text: String, at location: SourceLocation, columnOffset: Int?,
                               scope: SubstitutionScope,
                               diagnostics: inout DiagnosticBag) -> [CommandTemplate]? {
        guard let pieces = pieces(of: text, at: location, columnOffset: columnOffset,
                                  scope: scope, diagnostics: &diagnostics) else { return nil }
        if pieces.count == 1 {
            switch pieces[0] {
            case .paths(let ps): return ps.map { CommandTemplate(text: $0) }
            case .outputs(let is_): return is_.map { CommandTemplate([.output(index: $0, quoted: false)]) }
            case .text: break
            }
        }
        return expand(text, at: location, columnOffset: columnOffset, scope: scope, shell: false,
                      diagnostics: &diagnostics).map { [$0] }
    }

    /// Reads `text` as UTF-8 bytes (`$`, `{` and `}` are ASCII, so they never fall inside a
    /// character); text without a `$` is one piece, as it is.
    static func pieces(of text: String, at location: SourceLocation, columnOffset: Int?,
                       scope: SubstitutionScope,
                       diagnostics: inout DiagnosticBag) -> [SubstitutionPiece]? {
        let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        if !text.containsByte(dollar) { return text.isEmpty ? [] : [.text(text)] }
        var text = text
        return text.withUTF8 { bytes -> [SubstitutionPiece]? in
            var pieces: [SubstitutionPiece] = []
            var literal = ""
            var runStart = 0   // where the literal bytes not yet in `literal` start
            var i = 0
            var ok = true
            func flush(upTo end: Int) {
                if end > runStart { literal += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<end]), as: UTF8.self) }
            }
            // Columns count characters, as YAML marks do.
            func place(_ byteOffset: Int) -> SourceLocation {
                guard let columnOffset else { return location }
                let characters = bytes[..<byteOffset].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
                return location.advanced(byColumns: columnOffset + characters)
            }
            while i < bytes.count {
                guard bytes[i] == dollar else { i += 1; continue }
                if i + 2 < bytes.count, bytes[i + 1] == dollar, bytes[i + 2] == open {
                    flush(upTo: i)
                    literal += "${"   // `$${` is a literal `${`
                    i += 3
                    runStart = i
                    continue
                }
                guard i + 1 < bytes.count, bytes[i + 1] == open else { i += 1; continue }
                guard let end = bytes[(i + 2)...].firstIndex(of: close) else {
                    diagnostics.error("unterminated '${' (write '$${' for a literal '${')", at: place(i))
                    return nil
                }
                flush(upTo: i)
                if !literal.isEmpty { pieces.append(.text(literal)); literal = "" }
                let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 2)..<end]), as: UTF8.self)
                if let piece = resolve(name, scope: scope, at: place(i), diagnostics: &diagnostics) {
                    pieces.append(piece)
                } else {
                    ok = false
                }
                i = end + 1
                runStart = i
            }
            flush(upTo: bytes.count)
            if !literal.isEmpty { pieces.append(.text(literal)) }
            return ok ? pieces : nil
        }
    }

    static func resolve(_ name: String, scope: SubstitutionScope, at location: SourceLocation,
                        diagnostics: inout DiagnosticBag) -> SubstitutionPiece? {
        if name == "in" || name.hasPrefix("in.") {
            guard let inputs = scope.inputs else {
                diagnostics.error("'${\(name)}' cannot be used here (only in a rule's recipe, env or description)", at: location)
                return nil
            }
            if name == "in" { return .paths(inputs) }
            let key = String(name.dropFirst(3))
            if let p = scope.namedInputs[key] { return .paths([p]) }
            diagnostics.error(unknownMessage(name, candidates: scope.namedInputs.keys.map { "in." + $0 }), at: location)
            return nil
        }
        if name == "out" || name.hasPrefix("out.") {
            guard let outputs = scope.outputs else {
                diagnostics.error("'${\(name)}' cannot be used here (only in a rule's recipe, env or description)", at: location)
                return nil
            }
            if name == "out" { return .outputs(Array(outputs.indices)) }
            let key = String(name.dropFirst(4))
            if let i = scope.outputNames[key] { return .outputs([i]) }
            diagnostics.error(unknownMessage(name, candidates: scope.outputNames.keys.map { "out." + $0 }), at: location)
            return nil
        }
        if name.hasPrefix("rules.") {
            guard let ruleOutputs = scope.ruleOutputs?.all else {
                diagnostics.error("'${\(name)}' cannot be used here", at: location)
                return nil
            }
            let rule = String(name.dropFirst(6))
            if let ps = ruleOutputs[rule] { return .paths(ps) }
            diagnostics.error(unknownMessage(name, candidates: ruleOutputs.keys.map { "rules." + $0 }, what: "rule"), at: location)
            return nil
        }
        if let v = scope.keys[name] ?? scope.vars[name] { return .text(v) }
        var candidates = Array(scope.vars.keys) + Array(scope.keys.keys)
        if scope.inputs != nil { candidates.append("in") }
        if scope.outputs != nil { candidates.append("out") }
        diagnostics.error(unknownMessage(name, candidates: candidates), at: location)
        return nil
    }

    static func unknownMessage(_ name: String, candidates: [String], what: String = "name") -> String {
        var m = "unknown \(what) '${\(name)}'"
        if let near = nearestName(to: name, in: candidates) { m += " (did you mean '${\(near)}'?)" }
        return m
    }
}
