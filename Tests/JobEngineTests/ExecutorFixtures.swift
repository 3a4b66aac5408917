import JobBasics
import JobTestSupport
@testable import JobEngine
import JobRecipes
import JobState

/// An executor with real processes, whose store, probes and scratch are in `dir`.
func realExecutor(in dir: TemporaryDirectory) -> Executor {
    Executor(runner: SystemProcessRunner(grace: .milliseconds(300)),
             store: LocalContentStore(directory: dir.file("store")),
             probes: MediaProbes(runner: SystemProcessRunner(), scratch: dir.file("scratch"), directory: dir.file("probes")),
             progress: nil)
}

/// A shell command in which `OUT` is the temporary name of the job's first output.
func shellCommand(_ script: String) -> Command {
    var template: [CommandTemplate.Part] = []
    for (k, part) in script.components(separatedBy: "OUT").enumerated() {
        if k > 0 { template.append(.output(index: 0, quoted: true)) }
        template.append(.text(part))
    }
    return .shell(CommandTemplate(template))
}
