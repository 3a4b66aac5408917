// swift-tools-version: 6.2
import PackageDescription

// Layers, each a module that only imports the ones below it:
//   JobBasics (diagnostics, paths, hashing, processes)
//   JobRecipes (a recipe turns parameters into processes, reads and tool identity)
//   JobfileModel (YAML -> validated, expanded rule instances)
//   JobGraph (edges, cycles, targets, order)
//   JobState (stat cache, build database, content-addressed store, action keys)
//   JobEngine (plan, scheduler, executor, atomic outputs)
//   JobReporting (human lines, JSON events, explain, graph output)
//   JobCLI (one ParsableCommand per subcommand) -> job (main only)
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "job",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "job", targets: ["job"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CXXHash", pkgConfig: "libxxhash",
                       providers: [.apt(["libxxhash-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        // libyaml's event parser, read straight into flat arrays (JobfileModel/YAMLDocument).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        .target(name: "CSystemExtras"),
        .target(name: "JobBasics",
                dependencies: ["CXXHash", "CSystemExtras"],
                swiftSettings: strict),
        .target(name: "JobRecipes", dependencies: ["JobBasics"], swiftSettings: strict),
        .target(name: "JobfileModel",
                dependencies: ["JobBasics", "JobRecipes", "CYAML"], swiftSettings: strict),
        .target(name: "JobGraph", dependencies: ["JobBasics", "JobfileModel"], swiftSettings: strict),
        .target(name: "JobState", dependencies: ["JobBasics", "CSQLite"], swiftSettings: strict),
        .target(name: "JobEngine",
                dependencies: ["JobBasics", "JobRecipes", "JobfileModel", "JobGraph", "JobState"],
                swiftSettings: strict),
        .target(name: "JobReporting",
                dependencies: ["JobBasics", "JobfileModel", "JobGraph", "JobEngine"],
                swiftSettings: strict),
        .target(name: "JobCLI",
                dependencies: ["JobBasics", "JobfileModel", "JobGraph", "JobState", "JobEngine",
                               "JobReporting",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: strict),
        .executableTarget(name: "job", dependencies: ["JobCLI"], swiftSettings: strict),

        // Helpers the unit test targets share (a temporary directory, deterministic bytes).
        .target(name: "JobTestSupport", path: "Tests/JobTestSupport", swiftSettings: strict),
        .testTarget(name: "JobBasicsTests", dependencies: ["JobBasics", "JobTestSupport"], swiftSettings: strict),
        .testTarget(name: "JobfileModelTests", dependencies: ["JobTestSupport", "JobfileModel", "JobBasics", "JobRecipes"],
                    swiftSettings: strict),
        .testTarget(name: "JobGraphTests", dependencies: ["JobTestSupport", "JobGraph", "JobfileModel", "JobBasics"],
                    swiftSettings: strict),
        .testTarget(name: "JobStateTests", dependencies: ["JobTestSupport", "JobState", "JobBasics"],
                    swiftSettings: strict),
        .testTarget(name: "JobEngineTests",
                    dependencies: ["JobTestSupport", "JobEngine", "JobfileModel", "JobGraph", "JobState", "JobBasics", "JobRecipes"],
                    swiftSettings: strict),
        .testTarget(name: "IntegrationTests", dependencies: ["job"], swiftSettings: strict),
    ]
)
