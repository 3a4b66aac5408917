import Foundation
import Testing

/// A fresh directory under the system's temporary directory. Remove it with `remove()` in a
/// `defer` (which also keeps the object alive until the end of the test).
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array((FileManager.default.temporaryDirectory.path + "/job-basics-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard let made else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    deinit { remove() }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func file(_ relative: String) -> String { path + "/" + relative }

    @discardableResult
    func write(_ relative: String, _ bytes: [UInt8]) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, Array(text.utf8))
    }
}

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

/// Deterministic pseudo-random bytes (xorshift), so failures can be reproduced.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    var out = [UInt8]()
    out.reserveCapacity(count)
    for _ in 0..<count {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        out.append(UInt8(truncatingIfNeeded: x >> 24))
    }
    return out
}
