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
    /// Where texts already cut are kept (one per thread), if anywhere.
    var cache: SubstitutionCache? = nil
}

/// A text cut at its references: literal runs (`$${` already made `${`) and `${NAME}`, with
/// the number of characters before the `${`.
enum SubstitutionSegment {
    case text(String)
    case reference(name: String, characters: Int)

    /// An unterminated `${`, that many characters in, after `before`.
    struct Unterminated: Error {
        var characters: Int
        var before: [SubstitutionSegment]
    }

    /// Reads `text` as UTF-8 bytes (`$`, `{` and `}` are ASCII, so they never fall inside a
    /// character).
    static func cut(_ text: String) -> Result<[SubstitutionSegment], Unterminated> {
        let dollar = UInt8(ascii: "$"), open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        var text = text
        return text.withUTF8 { bytes in
            var segments: [SubstitutionSegment] = []
            var literal = ""
            var runStart = 0   // where the literal bytes not yet in `literal` start
            var i = 0
            func flush(upTo end: Int) {
                if end > runStart { literal += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<end]), as: UTF8.self) }
            }
            func characters(before byteOffset: Int) -> Int {
                bytes[..<byteOffset].reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
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
                    return .failure(Unterminated(characters: characters(before: i), before: segments))
                }
                flush(upTo: i)
                if !literal.isEmpty { segments.append(.text(literal)); literal = "" }
                let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[(i + 2)..<end]), as: UTF8.self)
                segments.append(.reference(name: name, characters: characters(before: i)))
                i = end + 1
                runStart = i
            }
            flush(upTo: bytes.count)
            if !literal.isEmpty { segments.append(.text(literal)) }
            return .success(segments)
        }
    }
}

/// Texts already cut, for one thread of the expansion: a rule's `foreach` instances, and at
/// 100,000 rules most rules, repeat the same few texts with other values. It stops keeping
/// (and looking) when texts do not repeat.
final class SubstitutionCache {
    private var cut: [String: [SubstitutionSegment]] = [:]
    private var hits = 0, misses = 0
    private var useful: Bool { misses < 1024 || hits >= misses }

    func segments(of text: String) -> [SubstitutionSegment]? {
        guard useful else { return nil }
        if let found = cut[text] { hits += 1; return found }
        misses += 1
        return nil
    }

    func keep(_ segments: [SubstitutionSegment], for text: String) {
        if useful && cut.count < 4096 { cut[text] = segments }
    }
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
        // Text runs are gathered in one string until an output's hole ends them.
        var parts: [CommandTemplate.Part] = []
        var text = ""
        for piece in pieces {
            switch piece {
            case .text(let t): text += t
            case .paths(let ps):
                for (n, p) in ps.enumerated() {
                    if n > 0 { text += " " }
                    text += shell ? shellQuote(p) : p
                }
            case .outputs(let indices):
                for (n, i) in indices.enumerated() {
                    if n > 0 { text += " " }
                    if !text.isEmpty { parts.append(.text(text)); text = "" }
                    parts.append(.output(index: i, quoted: shell))
                }
            }
        }
        if !text.isEmpty { parts.append(.text(text)) }
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

    /// `text` as literal runs and resolved references; text without a `$` is one piece, as it
    /// is. The cutting is kept in the scope's cache, if any, for the next instance.
    static func pieces(of text: String, at location: SourceLocation, columnOffset: Int?,
                       scope: SubstitutionScope,
                       diagnostics: inout DiagnosticBag) -> [SubstitutionPiece]? {
        if !text.containsByte(UInt8(ascii: "$")) { return text.isEmpty ? [] : [.text(text)] }
        // Columns count characters, as YAML marks do.
        func place(_ characters: Int) -> SourceLocation {
            columnOffset.map { location.advanced(byColumns: $0 + characters) } ?? location
        }
        let segments: [SubstitutionSegment]
        var unterminated: Int?
        if let cached = scope.cache?.segments(of: text) {
            segments = cached
        } else {
            switch SubstitutionSegment.cut(text) {
            case .failure(let e):
                // The references before it are judged too, as one pass over the text would.
                segments = e.before
                unterminated = e.characters
            case .success(let cut):
                segments = cut
                scope.cache?.keep(cut, for: text)
            }
        }
        defer {
            if let unterminated {
                diagnostics.error("unterminated '${' (write '$${' for a literal '${')", at: place(unterminated))
            }
        }
        var pieces: [SubstitutionPiece] = []
        pieces.reserveCapacity(segments.count)
        var ok = true
        for segment in segments {
            switch segment {
            case .text(let t): pieces.append(.text(t))
            case .reference(let name, let characters):
                if let piece = resolve(name, scope: scope, at: place(characters), diagnostics: &diagnostics) {
                    pieces.append(piece)
                } else {
                    ok = false
                }
            }
        }
        return ok && unterminated == nil ? pieces : nil
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
