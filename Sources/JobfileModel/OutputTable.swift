import JobBasics

/// Output path -> the instance that writes it, filled on every core (a `PathTable`): it is made
/// while loading, to refuse two writers of one file, and kept for the graph.
public struct OutputTable: Sendable {
    @usableFromInline var table: PathTable<Int>

    /// The instance that writes `path`, or nil for a source file.
    @inlinable
    public subscript(path: String) -> Int? { table[path] }

    public var count: Int { table.count }

    /// A path written by two instances: by `instance` (its `output`-th output), after `firstWriter`.
    public struct Conflict: Sendable, Equatable {
        public var instance: Int
        public var output: Int
        public var firstWriter: Int
    }

    /// The table of `count` instances' outputs, and every path written twice, in the order one
    /// pass over the instances would find them (the first writer keeps the path).
    public static func make(count: Int, outputs: (Int) -> [String]) -> (table: OutputTable, conflicts: [Conflict]) {
        let (table, found) = PathTable<Int>.make(shards: PathTable<Int>.shardCount(for: count)) { shard, shards in
            var table = StringTable<Int>(minimumCapacity: count / shards + 16)
            var conflicts: [Conflict] = []
            for i in 0..<count {
                for (k, path) in outputs(i).enumerated() where PathTable<Int>.shard(of: path, among: shards) == shard {
                    if let first = table.insert(i, forKey: path) {
                        conflicts.append(Conflict(instance: i, output: k, firstWriter: first))
                    }
                }
            }
            return (table, conflicts)
        }
        let conflicts = found.flatMap { $0 }.sorted { ($0.instance, $0.output) < ($1.instance, $1.output) }
        return (OutputTable(table: table), conflicts)
    }
}
