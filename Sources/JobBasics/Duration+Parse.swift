/// Parses a Jobfile duration: `90s`, `10m`, `1h`, `500ms`, `1.5s`, or a bare number of seconds.
public func parseDurationSeconds(_ text: String) -> Double? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    let t = text.trimmingSpaces()
    for (suffix, factor) in units where t.hasSuffix(suffix) {
        let number = t.dropLast(suffix.count)
        // "ms" also ends in "s": only accept a numeric prefix.
        if let v = Double(number), v >= 0, v.isFinite { return v * factor }
    }
    if let v = Double(t), v >= 0, v.isFinite { return v }
    return nil
}

extension String {
    public func trimmingSpaces() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s = s.dropLast() }
        return String(s)
    }
}
