import JobBasics
import JobGraph
import JobfileModel

/// `job graph`: the instances and their edges, as Graphviz dot or JSON.
public enum GraphFormatter {
    public static func dot(_ graph: BuildGraph, instances: [Int]) -> String {
        var s = "digraph job {\n  rankdir=LR;\n  node [shape=box];\n"
        for i in instances {
            let inst = graph.instances[i]
            let label = ([inst.name] + inst.outputs).map(dotEscaped).joined(separator: "\\n")
            s += "  \(JSONText.string(inst.name)) [label=\"\(label)\"];\n"
        }
        for i in instances {
            for d in graph.dependencies[i] {
                s += "  \(JSONText.string(graph.instances[d].name)) -> \(JSONText.string(graph.instances[i].name));\n"
            }
        }
        return s + "}\n"
    }

    /// Text inside a dot string: quotes and backslashes escaped, so `\n` can join lines.
    static func dotEscaped(_ s: String) -> String {
        s.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"").replacingAll("\n", with: " ")
    }

    public static func json(_ graph: BuildGraph, instances: [Int]) -> String {
        let nodes = instances.map { i -> String in
            let inst = graph.instances[i]
            return JSONText.object([
                ("instance", JSONText.string(inst.name)),
                ("rule", JSONText.string(inst.rule)),
                ("inputs", JSONText.array(inst.inputs)),
                ("outputs", JSONText.array(inst.outputs)),
                ("depends_on", JSONText.array(graph.dependencies[i].map { graph.instances[$0].name })),
            ])
        }
        return "{\"instances\":[\n" + nodes.joined(separator: ",\n") + "\n]}\n"
    }
}

/// `job list`: rules, their instances and outputs, and targets.
public enum ListFormatter {
    public static func text(_ graph: BuildGraph) -> String {
        var s = "rules:\n"
        for rule in graph.jobfile.rules {
            s += "  \(rule.name)\n"
            for i in rule.instanceIndices {
                let inst = graph.instances[i]
                let label = inst.name == rule.name ? "" : inst.name + " "
                s += "    \(label)-> \(inst.outputs.joined(separator: " "))\n"
            }
        }
        if !graph.jobfile.targets.isEmpty {
            s += "targets:\n"
            for name in graph.jobfile.targets.keys.sorted() {
                s += "  \(name): \(graph.jobfile.targets[name]!.items.map(\.text).joined(separator: " "))\n"
            }
        }
        return s
    }
}
