/// A place in a file: where an error points. Lines and columns count from 1.
public struct SourceLocation: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public func advanced(byColumns n: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column + n)
    }
}

/// An error or a note about the user's input, with its place when it has one.
public struct Diagnostic: Sendable, Hashable, Error {
    public enum Severity: String, Sendable { case error, warning, note }

    public var location: SourceLocation?
    public var severity: Severity
    public var message: String

    public init(_ message: String, at location: SourceLocation?, severity: Severity = .error) {
        self.message = message
        self.location = location
        self.severity = severity
    }

    /// `Jobfile:12:5: error: message`, or `error: message` without a place.
    public var headline: String {
        if let l = location { return "\(l.file):\(l.line):\(l.column): \(severity.rawValue): \(message)" }
        return "\(severity.rawValue): \(message)"
    }
}

/// Every error found in the user's input (a Jobfile or the command line). Exit status 2.
public struct UsageError: Error, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ message: String, at location: SourceLocation? = nil) {
        self.diagnostics = [Diagnostic(message, at: location)]
    }
}

/// Collects diagnostics so that validation reports every error, not just the first.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []
    public init() {}
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    public mutating func error(_ message: String, at location: SourceLocation?) {
        diagnostics.append(Diagnostic(message, at: location))
    }
    public mutating func append(_ d: Diagnostic) { diagnostics.append(d) }
    public mutating func append(contentsOf ds: [Diagnostic]) { diagnostics.append(contentsOf: ds) }
    /// Throws the errors found, each once: one mistake in a rule is found again in each of its
    /// `foreach` instances, at the same place.
    public func throwIfErrors() throws(UsageError) {
        if hasErrors {
            var seen = Set<Diagnostic>()
            throw UsageError(diagnostics.filter { seen.insert($0).inserted })
        }
    }
}

/// Renders diagnostics as compilers do: the headline, the source line, a caret under the column.
public struct DiagnosticRenderer: Sendable {
    /// Source text by file name, to quote the offending line.
    public var sources: [String: String]

    public init(sources: [String: String] = [:]) { self.sources = sources }

    public func render(_ d: Diagnostic) -> String {
        var text = d.headline
        guard let l = d.location, let source = sources[l.file],
              let line = Self.line(l.line, of: source) else { return text }
        text += "\n" + line + "\n"
        // Keep tabs so the caret lines up under a tab-indented line.
        let prefix = line.unicodeScalars.prefix(max(0, l.column - 1))
        text += String(String.UnicodeScalarView(prefix.map { $0 == "\t" ? "\t" : " " })) + "^"
        return text
    }

    static func line(_ number: Int, of source: String) -> String? {
        var current = 1
        var start = source.startIndex
        var i = source.startIndex
        while i < source.endIndex {
            if source[i] == "\n" {
                if current == number { return String(source[start..<i]) }
                current += 1
                start = source.index(after: i)
            }
            i = source.index(after: i)
        }
        return current == number ? String(source[start...]) : nil
    }
}

/// The nearest of `candidates` to `word`, if it is near enough to be a likely typo.
public func nearestName(to word: String, in candidates: some Sequence<String>) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word, c)
        if d <= max(2, word.count / 3), best == nil || d < best!.1 { best = (c, d) }
    }
    return best?.0
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
