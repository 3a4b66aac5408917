import JobBasics
import Synchronization
import Testing

@Suite("Parallel chunks")
struct ParallelChunksTests {
    /// The chunks, in order, cover the range once, however finely it is cut.
    @Test(arguments: [(0, 1), (5, 1), (4096, 1), (10_000, 1), (10_000, 8), (100_003, 8), (3000, 64)])
    func chunksCoverTheRangeInOrder(count: Int, chunksPerCore: Int) {
        let ranges = parallelChunks(count, minimumChunk: 1000, chunksPerCore: chunksPerCore) { $0 }
        #expect(ranges.flatMap { Array($0) } == Array(0..<count))
        if count >= 2000 && processorCount > 1 {
            #expect(ranges.count > 1, "split across the cores")
        }
        // No chunk smaller than the minimum makes more chunks than the work allows.
        #expect(ranges.count <= max(1, count / 1000) || ranges.count <= processorCount)
    }

    @Test func finerChunksKeepEachResultInItsPlace() {
        let squares = parallelChunks(50_000, chunksPerCore: 8) { range in range.map { $0 * $0 } }.flatMap { $0 }
        #expect(squares == (0..<50_000).map { $0 * $0 })
    }

    @Test func disjointWritesFillOneArrayFromEveryCore() {
        var table = [Int](repeating: -1, count: 30_000)
        table.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointWrites(buffer)
            _ = parallelChunks(30_000, chunksPerCore: 4) { range in for k in range { slots.set(k, 2 * k) } }
        }
        #expect(table == (0..<30_000).map { 2 * $0 })
    }
}
