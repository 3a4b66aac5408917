import ArgumentParser
import JobBasics
import JobEngine
#if canImport(Glibc)
import Glibc
#endif

public let jobVersion = "0.1.0"

/// The version and the identity of this very executable (size and modification time): what
/// `job` derives from a Jobfile (the compiled plan, the no-op's manifest) is kept under it, so
/// that another build of `job`, with other recipes, never uses what this one derived.
let jobBuildIdentity: String = {
    var st = stat()
    guard stat("/proc/self/exe", &st) == 0 else { return jobVersion }
    return "\(jobVersion)+\(st.st_size)-\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
}()

public struct JobCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "job",
        abstract: "A declarative build tool for audio and video.",
        discussion: "Exit status: 0 success, 1 a rule failed, 2 the Jobfile or the command line is wrong, 130 interrupted.",
        version: jobVersion,
        subcommands: [BuildCommand.self, CleanCommand.self, GraphCommand.self, ExplainCommand.self, ListCommand.self,
                      LogCommand.self])

    public init() {}
}

/// The entry point: parse, run, and map every error to the contract's exit statuses.
public enum JobCommandLine {
    public static func main(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        do {
            var command = try JobCommand.parseAsRoot(splitAttachedJobCount(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch let e as SourcedUsageError {
            let renderer = DiagnosticRenderer(sources: [e.file: e.source])
            for d in e.error.diagnostics { writeError(renderer.render(d) + "\n") }
            exit(2)
        } catch let e as UsageError {
            for d in e.diagnostics { writeError(DiagnosticRenderer().render(d) + "\n") }
            exit(2)
        } catch let e as MissingTools {
            writeError("job: \(e)\n")
            exit(1)
        } catch let e as ExitCode {
            exit(e.rawValue)
        } catch {
            let code = JobCommand.exitCode(for: error)
            let message = JobCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                exit(0)
            }
            if !message.isEmpty { writeError("error: " + message.replacingAll("Error: ", with: "") + "\n") }
            exit(code == .validationFailure ? 2 : (code.rawValue == 64 ? 2 : code.rawValue))
        }
    }
}

/// `-j2`, as Make and Ninja users type it, is `-j 2`.
func splitAttachedJobCount(_ arguments: [String]) -> [String] {
    arguments.flatMap { a -> [String] in
        if a.hasPrefix("-j"), a.count > 2, Int(a.dropFirst(2)) != nil { return ["-j", String(a.dropFirst(2))] }
        return [a]
    }
}

func writeError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func writeOutput(_ text: String) {
    var text = text
    text.withUTF8 { buf in
        var offset = 0
        while offset < buf.count {
            let n = write(1, buf.baseAddress! + offset, buf.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}
