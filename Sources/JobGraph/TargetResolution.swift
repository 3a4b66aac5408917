import JobBasics
import JobfileModel

extension BuildGraph {
    /// The instances that `names` ask for: target names, rule names or output paths. No names
    /// means the `default` target, or every instance when there is none.
    public func resolveTargets(_ names: [String]) throws(UsageError) -> [Int] {
        var d = DiagnosticBag()
        var result: [Int] = []
        var seen = Set<Int>()
        func add(_ i: Int) { if seen.insert(i).inserted { result.append(i) } }
        if names.isEmpty {
            if let def = jobfile.targets["default"] {
                for item in def.items { resolve(item.text, at: item.location, visiting: ["default"], add: add, d: &d) }
            } else {
                for i in order { add(i) }
            }
        } else {
            for name in names { resolve(name, at: nil, visiting: [], add: add, d: &d) }
        }
        try d.throwIfErrors()
        return result
    }

    private func resolve(_ name: String, at location: SourceLocation?, visiting: Set<String>,
                         add: (Int) -> Void, d: inout DiagnosticBag) {
        if let t = jobfile.targets[name] {
            if visiting.contains(name) {
                d.error("target '\(name)' includes itself", at: location ?? t.location)
                return
            }
            for item in t.items {
                resolve(item.text, at: item.location, visiting: visiting.union([name]), add: add, d: &d)
            }
            return
        }
        if let rule = jobfile.rules.first(where: { $0.name == name }) {
            rule.instanceIndices.forEach(add)
            return
        }
        let paths = PathRules(rootDirectory: "", roots: jobfile.roots)
        if case .success(let p) = paths.canonical(name), let i = producer[p] {
            add(i)
            return
        }
        if let i = instances.firstIndex(where: { $0.name == name }) {
            add(i)
            return
        }
        var message = "unknown target '\(name)' (not a target, a rule or an output)"
        let candidates = Array(jobfile.targets.keys) + jobfile.rules.map(\.name)
        if let near = nearestName(to: name, in: candidates) { message += " (did you mean '\(near)'?)" }
        d.error(message, at: location)
    }
}
