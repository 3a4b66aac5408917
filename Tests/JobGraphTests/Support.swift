import Foundation
@_exported import JobTestSupport
import JobBasics
import JobfileModel
import JobGraph
import Testing

/// Loads `text` as the Jobfile of a project rooted at `root`.
func loadJobfile(_ text: String, root: String = "/nonexistent-job-graph-root") throws -> Jobfile {
    try JobfileLoader(displayName: "Jobfile", text: text, rootDirectory: root).load()
}

/// The graph of `text`, rooted at `root`.
func buildGraph(_ text: String, root: String = "/nonexistent-job-graph-root") throws -> BuildGraph {
    try BuildGraph(loadJobfile(text, root: root))
}

/// The diagnostics a throwing call reports (none when it does not throw).
func diagnostics(_ body: () throws -> Void) -> [Diagnostic] {
    do {
        try body()
        return []
    } catch let e as UsageError {
        return e.diagnostics
    } catch {
        Issue.record("unexpected error \(error)")
        return []
    }
}

extension BuildGraph {
    func index(_ name: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Int {
        try #require(instances.firstIndex { $0.name == name }, "no instance \(name)", sourceLocation: sourceLocation)
    }

    /// Every instance comes after all of its dependencies in `order`.
    var orderIsTopological: Bool {
        var position = [Int](repeating: -1, count: instances.count)
        for (p, i) in order.enumerated() { position[i] = p }
        guard !position.contains(-1), order.count == instances.count else { return false }
        return dependencies.indices.allSatisfy { i in dependencies[i].allSatisfy { position[$0] < position[i] } }
    }
}
