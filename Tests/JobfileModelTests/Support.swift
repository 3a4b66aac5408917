import Foundation
@_exported import JobTestSupport
import JobBasics
import JobfileModel
import JobRecipes
import Testing

/// Writes `text` as `dir/Jobfile` and loads it with `dir` as the project root.
func load(_ text: String, in dir: TemporaryDirectory, overrides: [VarOverride] = []) throws(UsageError) -> Jobfile {
    do { try dir.write("Jobfile", text) } catch { Issue.record("cannot write the Jobfile: \(error)") }
    return try JobfileLoader(displayName: "Jobfile", text: text, rootDirectory: dir.path, overrides: overrides).load()
}

/// Loads `text` in a throwaway directory.
func load(_ text: String, overrides: [VarOverride] = []) throws -> Jobfile {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    return try load(text, in: dir, overrides: overrides)
}

/// The diagnostics of a Jobfile that must not load.
func errors(_ text: String, in dir: TemporaryDirectory? = nil, root: String? = nil, overrides: [VarOverride] = [],
            sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Diagnostic] {
    let root = root ?? dir?.path ?? "/nonexistent-job-test-root"
    do {
        _ = try JobfileLoader(displayName: "Jobfile", text: text, rootDirectory: root, overrides: overrides).load()
        Issue.record("the Jobfile loaded, but errors were expected", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.diagnostics
    }
}

/// The one diagnostic of a Jobfile with exactly one error.
func singleError(_ text: String, in dir: TemporaryDirectory? = nil, root: String? = nil, overrides: [VarOverride] = [],
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Diagnostic {
    let all = errors(text, in: dir, root: root, overrides: overrides, sourceLocation: sourceLocation)
    #expect(all.count == 1, "expected one diagnostic, got \(all.map(\.headline))", sourceLocation: sourceLocation)
    return try #require(all.first, sourceLocation: sourceLocation)
}

/// Expects `d` at `line`:`column` of `Jobfile`, with a message containing every fragment.
func expectDiagnostic(_ d: Diagnostic, line: Int, column: Int, _ fragments: String...,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(d.location?.file == "Jobfile", sourceLocation: sourceLocation)
    #expect(d.location?.line == line, "\(d.headline)", sourceLocation: sourceLocation)
    #expect(d.location?.column == column, "\(d.headline)", sourceLocation: sourceLocation)
    for f in fragments {
        #expect(d.message.contains(f), "'\(d.message)' lacks '\(f)'", sourceLocation: sourceLocation)
    }
}

extension Jobfile {
    func instance(_ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> RuleInstance {
        try #require(instances.first { $0.name == name }, "no instance \(name) in \(instances.map(\.name))",
                     sourceLocation: sourceLocation)
    }
}

extension RuleInstance {
    /// The command line as `-n` prints it, outputs in place.
    var commandText: String? { invocation.commands.first?.display(outputs: outputs) }
    /// The argv the executor would start, outputs in place.
    var argv: [String]? { invocation.commands.first?.argv(outputs: outputs) }
}

/// Diagnostics in the order of their places in the file (validation passes may find them in
/// another order).
func sortedByPlace(_ ds: [Diagnostic]) -> [Diagnostic] {
    ds.sorted { ($0.location?.line ?? 0, $0.location?.column ?? 0) < ($1.location?.line ?? 0, $1.location?.column ?? 0) }
}
