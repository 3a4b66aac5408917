import Foundation
@_exported import JobTestSupport
import Testing

/// Runs a program (absolute path) and collects its standard output.
func runProgram(_ argv: [String]) throws -> (status: Int32, stdout: [UInt8]) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: argv[0])
    process.arguments = Array(argv.dropFirst())
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, Array(data))
}

/// `stat` of a path, failing the test when there is none.
func statOf(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> stat {
    var st = stat()
    try #require(stat(path, &st) == 0, "stat \(path)", sourceLocation: sourceLocation)
    return st
}

