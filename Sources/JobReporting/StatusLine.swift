import JobEngine
import Synchronization

/// The one line a terminal shows while a build runs, rewritten in place. Rules report progress
/// from their own tasks, so every write goes through a lock.
public final class StatusLine: ProgressSink {
    struct State {
        var counter = ""
        var shown = false
    }
    private let state = Mutex(State())
    let out: OutputStream

    init(out: OutputStream) { self.out = out }

    /// Shows `text` (`[3/10] name`), remembering the counter part for progress updates.
    func show(counter: String, name: String) {
        state.withLock {
            $0.counter = counter
            $0.shown = true
            out.write("\r\u{1B}[K\(counter) \(name)")
        }
    }

    func clear() {
        state.withLock {
            if $0.shown { out.write("\r\u{1B}[K") }
            $0.shown = false
        }
    }

    public func progress(_ instance: String, fraction: Double) {
        let percent = Int((fraction * 100).rounded(.down))
        state.withLock {
            $0.shown = true
            out.write("\r\u{1B}[K\($0.counter) \(instance) \(percent)%")
        }
    }
}
