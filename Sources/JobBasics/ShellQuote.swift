/// POSIX shell quoting: a word that `/bin/sh` reads back as exactly `word`.
public func shellQuote(_ word: String) -> String {
    if !word.isEmpty, word.utf8.allSatisfy(isShellSafe) { return word }
    return "'" + word.replacingAll("'", with: "'\\''") + "'"
}

/// Quotes each word and joins them with spaces, for printing an argv as a command line.
public func shellJoin(_ argv: [String]) -> String {
    argv.map(shellQuote).joined(separator: " ")
}

private func isShellSafe(_ c: UInt8) -> Bool {
    switch c {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
         UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"),
         UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "%"),
         UInt8(ascii: "+"), UInt8(ascii: "="):
        return true
    default:
        return false
    }
}

extension String {
    /// Replaces every occurrence of `target` (non-empty) without Foundation.
    public func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, contains(target) else { return self }
        var result = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            result += rest[..<r.lowerBound]
            result += replacement
            rest = rest[r.upperBound...]
        }
        result += rest
        return result
    }
}
