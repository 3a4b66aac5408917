import ArgumentParser

/// Options every subcommand takes.
struct ProjectOptions: ParsableArguments {
    @Option(name: .customShort("f"), help: ArgumentHelp("Read this Jobfile instead of ./Jobfile.", valueName: "path"))
    var file: String?

    @Option(name: .customShort("C"), help: ArgumentHelp("Change to this directory first.", valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("cache-dir"),
            help: ArgumentHelp("Keep state, store and logs here (default: cache/ beside the Jobfile, or $JOB_CACHE_DIR).",
                               valueName: "dir"))
    var cacheDirectory: String?

    @Flag(name: .shortAndLong, help: "Also show rules that are up to date.")
    var verbose = false
}
