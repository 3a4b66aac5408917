import JobBasics

/// Reads a built-in recipe's parameters (a map) with typed accessors that report errors with
/// their places, refusing unknown keys with a suggestion.
public struct ParameterReader {
    public let recipe: String
    public let location: SourceLocation
    var fields: [String: (value: ParameterValue, keyLocation: SourceLocation)] = [:]

    public init?(_ value: ParameterValue, recipe: String, allowed: Set<String>, diagnostics d: inout DiagnosticBag) {
        self.recipe = recipe
        self.location = value.location
        guard case .map(let entries, _) = value else {
            d.error("'\(recipe)' takes a mapping of parameters (\(allowed.sorted().joined(separator: ", ")))", at: value.location)
            return nil
        }
        for e in entries {
            if !allowed.contains(e.key) {
                var m = "unknown parameter '\(e.key)' of '\(recipe)'"
                if let near = nearestName(to: e.key, in: allowed.sorted()) { m += " (did you mean '\(near)'?)" }
                d.error(m, at: e.keyLocation)
                continue
            }
            fields[e.key] = (e.value, e.keyLocation)
        }
    }

    public func has(_ key: String) -> Bool { fields[key] != nil }

    public func place(_ key: String) -> SourceLocation { fields[key]?.value.location ?? location }

    public func string(_ key: String, diagnostics d: inout DiagnosticBag) -> String? {
        guard let f = fields[key] else { return nil }
        guard case .scalar(let t, let l) = f.value, let s = t.plainText else {
            d.error("'\(key)' of '\(recipe)' must be a string", at: f.value.location)
            return nil
        }
        if s.isEmpty { d.error("'\(key)' of '\(recipe)' is empty", at: l); return nil }
        return s
    }

    public func requiredString(_ key: String, diagnostics d: inout DiagnosticBag) -> String? {
        if fields[key] == nil { d.error("'\(recipe)' needs '\(key)'", at: location); return nil }
        return string(key, diagnostics: &d)
    }

    /// A number; `range` bounds it (inclusive).
    public func number(_ key: String, in range: ClosedRange<Double> = -1e12...1e12,
                       diagnostics d: inout DiagnosticBag) -> Double? {
        guard let s = string(key, diagnostics: &d) else { return nil }
        guard let v = Double(s), v.isFinite, range.contains(v) else {
            d.error("'\(key)' of '\(recipe)' must be a number from \(format(range.lowerBound)) to \(format(range.upperBound)), not '\(s)'",
                    at: place(key))
            return nil
        }
        return v
    }

    /// A time in seconds: `12.5`, `90s`, `1m30s` is not accepted, `00:01:30.5` is.
    public func seconds(_ key: String, diagnostics d: inout DiagnosticBag) -> Double? {
        guard let s = string(key, diagnostics: &d) else { return nil }
        if let v = parseTimestamp(s) { return v }
        d.error("'\(key)' of '\(recipe)' must be a time in seconds ('12.5', '90s', '00:01:30.5'), not '\(s)'", at: place(key))
        return nil
    }

    public func bool(_ key: String, diagnostics d: inout DiagnosticBag) -> Bool? {
        guard let s = string(key, diagnostics: &d) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            d.error("'\(key)' of '\(recipe)' must be true or false, not '\(s)'", at: place(key))
            return nil
        }
    }

    /// A string or a list of strings.
    public func strings(_ key: String, diagnostics d: inout DiagnosticBag) -> [String]? {
        guard let f = fields[key] else { return nil }
        switch f.value {
        case .scalar: return string(key, diagnostics: &d).map { [$0] }
        case .list(let items, _):
            var out: [String] = []
            for item in items {
                guard case .scalar(let t, _) = item, let s = t.plainText, !s.isEmpty else {
                    d.error("each item of '\(key)' must be a path", at: item.location)
                    return nil
                }
                out.append(s)
            }
            return out
        case .map(_, let l):
            d.error("'\(key)' of '\(recipe)' must be a path or a list of paths", at: l)
            return nil
        }
    }

    public func value(_ key: String) -> ParameterValue? { fields[key]?.value }

    func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

/// `12.5`, `90s`, `500ms`, `1m`, or `HH:MM:SS(.frac)` / `MM:SS(.frac)`, in seconds.
public func parseTimestamp(_ text: String) -> Double? {
    if text.contains(":") {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 3, let last = Double(parts.last!), last >= 0 else { return nil }
        var total = last
        var factor = 60.0
        for p in parts.dropLast().reversed() {
            guard let v = Int(p), v >= 0 else { return nil }
            total += Double(v) * factor
            factor *= 60
        }
        return total
    }
    return parseDurationSeconds(text)
}

/// Seconds as ffmpeg reads them, without exponent or trailing noise: `2.5`, `4`, `0.033333`.
public func ffmpegSeconds(_ v: Double) -> String {
    let micro = Int((v * 1_000_000).rounded())
    let whole = micro / 1_000_000, frac = micro % 1_000_000
    if frac == 0 { return String(whole) }
    var f = String(frac)
    f = String(repeating: "0", count: 6 - f.count) + f
    while f.hasSuffix("0") { f.removeLast() }
    return "\(whole).\(f)"
}
