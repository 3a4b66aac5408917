/// A binary max-heap of instance indices by priority (the longest path to the end of the
/// build), ties broken by the lower index so that order is stable from run to run.
struct PriorityQueue {
    private var items: [(priority: Double, index: Int)] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    /// What `pop` would return.
    var first: Int? { items.first?.index }

    /// Whether `index` at `priority` would come out before everything queued.
    func wouldComeFirst(_ index: Int, priority: Double) -> Bool {
        guard let top = items.first else { return true }
        return above((priority, index), top)
    }

    /// Whether `a` comes out before `b`.
    static func precedes(_ a: (index: Int, priority: Double), _ b: (index: Int, priority: Double)) -> Bool {
        a.priority != b.priority ? a.priority > b.priority : a.index < b.index
    }

    private func above(_ a: (priority: Double, index: Int), _ b: (priority: Double, index: Int)) -> Bool {
        Self.precedes((a.index, a.priority), (b.index, b.priority))
    }

    mutating func push(_ index: Int, priority: Double) {
        items.append((priority, index))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard above(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var best = i
            if l < items.count, above(items[l], items[best]) { best = l }
            if r < items.count, above(items[r], items[best]) { best = r }
            if best == i { break }
            items.swapAt(i, best)
            i = best
        }
        return top.index
    }
}
