#if canImport(Glibc)
import Glibc
#endif

/// Writes to a file descriptor directly (stdout, stderr), unbuffered by Swift; one `write` per
/// call so lines from one writer never interleave.
public struct OutputStream: Sendable {
    public let descriptor: Int32
    public init(descriptor: Int32) { self.descriptor = descriptor }
    public static let standardOutput = OutputStream(descriptor: 1)
    public static let standardError = OutputStream(descriptor: 2)

    public var isTerminal: Bool { isatty(descriptor) == 1 }

    public func write(_ text: String) {
        var text = text
        text.withUTF8 { buf in
            var offset = 0
            while offset < buf.count {
                let n = Glibc.write(descriptor, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
