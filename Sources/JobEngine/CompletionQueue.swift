import Synchronization

/// Where work running elsewhere (threads, tasks) reports to the build loop, in the order it
/// finished. The loop takes what is there without suspending; it waits, with one
/// continuation, only when nothing is.
final class CompletionQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var waiter: CheckedContinuation<Element, Never>?

        mutating func take() -> Element? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            }
            return item
        }
    }
    private let state = Mutex(State())

    /// Whether the loop is waiting for an item.
    var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Adds `item`; unless `wake`, a loop waiting for an item is left waiting (it gets the item
    /// with the next one pushed with `wake`).
    func push(_ item: Element, wake: Bool = true) {
        let (waiter, first) = state.withLock { s -> (CheckedContinuation<Element, Never>?, Element?) in
            s.items.append(item)
            guard wake, let waiter = s.waiter else { return (nil, nil) }
            s.waiter = nil
            return (waiter, s.take())
        }
        waiter?.resume(returning: first!)
    }

    /// The next item, waiting for one. If the task is cancelled meanwhile (or was already),
    /// `onCancel` runs: it must make the work end, and so report.
    func next(onCancel: @escaping @Sendable () -> Void) async -> Element {
        if let item = state.withLock({ $0.take() }) { return item }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element, Never>) in
                let item = state.withLock { s -> Element? in
                    if let item = s.take() { return item }
                    s.waiter = continuation
                    return nil
                }
                if let item { continuation.resume(returning: item) }
            }
        } onCancel: {
            onCancel()
        }
    }
}
