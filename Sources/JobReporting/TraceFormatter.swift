import JobEngine

/// `--trace FILE`: the build as Chrome trace events, which Perfetto (ui.perfetto.dev) and
/// chrome://tracing open: one complete event per instance that ran, one lane per `-j` slot.
public enum TraceFormatter {
    public static func json(_ reports: [InstanceReport]) -> String {
        var events: [String] = []
        for r in reports {
            guard let start = r.startSeconds, let slot = r.slot else { continue }
            var args: [(String, String)] = [("status", JSONText.string(r.status.rawValue)),
                                            ("reason", JSONText.string(r.reason.description))]
            if let f = r.failure { args.append(("error", JSONText.string(f))) }
            if r.attempts > 1 { args.append(("attempts", String(r.attempts))) }
            events.append(JSONText.object([
                ("name", JSONText.string(r.name)), ("cat", JSONText.string(r.rule)), ("ph", JSONText.string("X")),
                ("ts", String(Int((start * 1_000_000).rounded()))),
                ("dur", String(max(1, Int((r.durationSeconds * 1_000_000).rounded())))),
                ("pid", "1"), ("tid", String(slot + 1)), ("args", JSONText.object(args)),
            ]))
        }
        return "{\"traceEvents\":[\n" + events.joined(separator: ",\n") + "\n],\"displayTimeUnit\":\"ms\"}\n"
    }
}
