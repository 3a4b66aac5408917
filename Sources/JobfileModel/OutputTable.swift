import JobBasics

/// Output path -> the instance that writes it. One table per core, each holding the paths of
/// its share of a cheap hash, so that the tables are filled at once: at 100,000 rules, one
/// table cost 50 ms on one core, and it is made twice per plan (to refuse two writers of a file,
/// then for the graph) unless it is kept.
public struct OutputTable: Sendable {
    private var shards: [[String: Int]]

    /// The instance that writes `path`, or nil for a source file.
    public subscript(path: String) -> Int? {
        shards[Self.shard(of: path, among: shards.count)][path]
    }

    public var count: Int { shards.reduce(0) { $0 + $1.count } }

    /// A path written by two instances: by `instance` (its `output`-th output), after `firstWriter`.
    public struct Conflict: Sendable, Equatable {
        public var instance: Int
        public var output: Int
        public var firstWriter: Int
    }

    /// The table of `count` instances' outputs, and every path written twice, in the order one
    /// pass over the instances would find them (the first writer keeps the path).
    public static func make(count: Int, outputs: (Int) -> [String]) -> (table: OutputTable, conflicts: [Conflict]) {
        let shardCount = count < 4096 ? 1 : processorCount
        let made = parallelChunks(shardCount, minimumChunk: 1) { range in
            range.map { shard in
                var table: [String: Int] = [:]
                table.reserveCapacity(count / shardCount + 16)
                var conflicts: [Conflict] = []
                for i in 0..<count {
                    for (k, path) in outputs(i).enumerated() where Self.shard(of: path, among: shardCount) == shard {
                        if let first = table[path] {
                            conflicts.append(Conflict(instance: i, output: k, firstWriter: first))
                        } else {
                            table[path] = i
                        }
                    }
                }
                return (table, conflicts)
            }
        }.flatMap { $0 }
        let conflicts = made.flatMap(\.1).sorted { ($0.instance, $0.output) < ($1.instance, $1.output) }
        return (OutputTable(shards: made.map(\.0)), conflicts)
    }

    /// FNV-1a of the path's bytes: cheaper than the tables' own hashing, which it only splits.
    static func shard(of path: String, among count: Int) -> Int {
        if count == 1 { return 0 }
        var h: UInt32 = 2_166_136_261
        for b in path.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return Int(h % UInt32(count))
    }
}
