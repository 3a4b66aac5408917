import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Splits `0..<count` into one contiguous chunk per core and runs `body` on each at once,
/// returning the chunks' results in order (one chunk, on this thread, below `minimumChunk`).
/// `body` may only read what it shares with the other chunks: each chunk builds its own
/// result (its own diagnostics...), and the caller merges them in order, so the outcome is the
/// same as one pass over the whole range.
/// `chunksPerCore` above 1 cuts the range finer, each core taking the next chunk when it is
/// done with one: for items of uneven cost (one instance that reads 100,000 files among
/// 100,000 that read one), so that no core waits while another finishes a heavy chunk.
public func parallelChunks<T>(_ count: Int, minimumChunk: Int = 2048, chunksPerCore: Int = 1,
                              _ body: (Range<Int>) -> T) -> [T] {
    let workers = min(processorCount, max(1, count / max(1, minimumChunk)))
    if workers <= 1 { return [body(0..<count)] }
    let chunks = min(workers * max(1, chunksPerCore), max(workers, count / max(1, minimumChunk)))
    let per = (count + chunks - 1) / chunks
    var results = [T?](repeating: nil, count: chunks)
    withoutActuallyEscaping(body) { body in
        results.withUnsafeMutableBufferPointer { slots in
            let shared = ChunkWork(body: body, slots: slots)
            DispatchQueue.concurrentPerform(iterations: chunks) { w in
                shared.slots[w] = shared.body(min(count, w * per)..<min(count, (w + 1) * per))
            }
        }
    }
    return results.map { $0! }
}

/// Online processors, read once.
public let processorCount = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

/// What the chunks share: the work (which only reads shared state, see `parallelChunks`) and
/// one result slot per chunk, each written by its own chunk only.
private struct ChunkWork<T>: @unchecked Sendable {
    let body: (Range<Int>) -> T
    let slots: UnsafeMutableBufferPointer<T?>
}

/// Runs `first` and `second` at once (the second on another thread) and returns both results.
/// Like `parallelChunks`, the two may only read what they share.
public func inParallel<A, B>(_ first: () -> A, _ second: () -> B) -> (A, B) {
    var a: A?
    var b: B?
    withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            withUnsafeMutablePointer(to: &a) { aSlot in
                withUnsafeMutablePointer(to: &b) { bSlot in
                    let shared = PairWork(first: first, second: second, a: aSlot, b: bSlot)
                    DispatchQueue.concurrentPerform(iterations: 2) { w in
                        if w == 0 { shared.a.pointee = shared.first() } else { shared.b.pointee = shared.second() }
                    }
                }
            }
        }
    }
    return (a!, b!)
}

/// The two works of `inParallel` and their result slots, each written by its own work only.
private struct PairWork<A, B>: @unchecked Sendable {
    let first: () -> A
    let second: () -> B
    let a: UnsafeMutablePointer<A?>
    let b: UnsafeMutablePointer<B?>
}

/// `work` started on another thread now, and its result once it is done: for work that goes
/// on while the caller does something else (writing the compiled plan, loading the state).
/// `wait` may be called any number of times, from any thread.
public final class InBackground<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once by the working thread, before `done` is signalled; read only after.
    private var result: T?

    public init(_ work: @escaping @Sendable () -> T) {
        DispatchQueue.global().async { [self] in
            result = work()
            done.signal()
        }
    }

    /// The result, once the work is done.
    @discardableResult
    public func wait() -> T {
        done.wait()
        done.signal()   // a second wait returns at once
        return result!
    }
}

/// An array that chunks running at once fill in place, each writing only indices that no other
/// chunk writes (its own instances' slots, or its own share of the paths): nothing is merged
/// after, and nothing is copied.
public struct DisjointWrites<Element>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Element>

    /// Writes into `buffer`, which must outlive every write.
    public init(_ buffer: UnsafeMutableBufferPointer<Element>) {
        base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Element>.alignment)!
    }

    /// Replaces the initialized element at `index`.
    @inlinable
    public func set(_ index: Int, _ value: Element) { base[index] = value }

    /// Initializes the element at `index` (the buffer's memory is not yet initialized there).
    @inlinable
    public func initialize(_ index: Int, to value: Element) { (base + index).initialize(to: value) }
}
