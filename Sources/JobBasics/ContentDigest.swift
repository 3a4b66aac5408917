import CXXHash
#if canImport(Glibc)
import Glibc
#endif

/// The digest that names content: XXH3 128-bit. A second algorithm (SHA-256 for REAPI) would be
/// another `DigestAlgorithm`; everything above this file handles digests as opaque 16+ bytes.
public struct ContentDigest: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// 32 lowercase hex digits, high word first (as `xxhsum -H2` prints it).
    public var hex: String {
        func pad(_ v: UInt64) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: 16 - s.count) + s
        }
        return pad(high) + pad(low)
    }

    public var description: String { hex }

    public init?(hex: String) {
        // Hex digits only: UInt64(_:radix:) would also take a sign ("+1...").
        guard hex.utf8.count == 32, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || (($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x66) }),
              let h = UInt64(hex.prefix(16), radix: 16),
              let l = UInt64(hex.suffix(16), radix: 16) else { return nil }
        self.init(high: h, low: l)
    }

    public static func < (a: Self, b: Self) -> Bool { (a.high, a.low) < (b.high, b.low) }

    /// The digest of bytes in memory.
    public static func of(_ bytes: some Collection<UInt8>) -> ContentDigest {
        var h = StreamingHasher()
        h.update(bytes)
        return h.finish()
    }

    public static func of(string: String) -> ContentDigest { of(Array(string.utf8)) }
}

/// An incremental XXH3-128 over the system's libxxhash.
///
/// What comes in is gathered in a small buffer and hashed in one call at the end; the streaming
/// state (a 576-byte aligned allocation, and a call per field) is made only once the input
/// passes the buffer. Both give the same digest: XXH3's stream equals one shot over the
/// concatenation. An action key is about 200 bytes of fields, made 100,000 times at 100,000 rules.
public struct StreamingHasher: ~Copyable {
    private static let bufferSize = 1024
    private let buffer: UnsafeMutableRawPointer
    private var buffered = 0
    private var state: OpaquePointer?

    public init() {
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        if let state { XXH3_freeState(state) }
    }

    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buf in update(raw: UnsafeRawBufferPointer(buf)) }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { update(raw: UnsafeRawBufferPointer($0)) }
        }
    }

    public mutating func update(raw: UnsafeRawBufferPointer) {
        if state == nil {
            if buffered + raw.count <= Self.bufferSize {
                if let base = raw.baseAddress, raw.count > 0 {
                    (buffer + buffered).copyMemory(from: base, byteCount: raw.count)
                    buffered += raw.count
                }
                return
            }
            let made = XXH3_createState()!
            XXH3_128bits_reset(made)
            _ = XXH3_128bits_update(made, buffer, buffered)
            state = made
        }
        _ = XXH3_128bits_update(state, raw.baseAddress, raw.count)
    }

    /// A length-prefixed field, so that ("ab","c") and ("a","bc") hash differently.
    public mutating func field(_ s: String) {
        var n = UInt64(s.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { update(raw: $0) }
        var s = s
        s.withUTF8 { update(raw: UnsafeRawBufferPointer($0)) }
    }

    public mutating func field(_ d: ContentDigest) {
        var words = (d.high.littleEndian, d.low.littleEndian)
        withUnsafeBytes(of: &words) { update(raw: $0) }
    }

    public consuming func finish() -> ContentDigest {
        let h = state.map { XXH3_128bits_digest($0) } ?? XXH3_128bits(buffer, buffered)
        return ContentDigest(high: h.high64, low: h.low64)
    }
}

public enum FileHashError: Error, Sendable {
    case cannotOpen(path: String, errno: Int32)
    case readFailed(path: String, errno: Int32)
}

/// Hashes a file's bytes with large sequential reads (the kernel's readahead does the rest).
public func hashFile(atPath path: String) throws(FileHashError) -> ContentDigest {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .cannotOpen(path: path, errno: errno) }
    defer { close(fd) }
    // Large files are mapped, not read: the kernel then copies nothing into a buffer, which
    // was most of the cost of hashing a file already in the page cache.
    var st = stat()
    if fstat(fd, &st) == 0, st.st_size >= 1 << 20 {
        let size = Int(st.st_size)
        if let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED {
            defer { munmap(base, size) }
            _ = madvise(base, size, MADV_SEQUENTIAL)
            var hasher = StreamingHasher()
            hasher.update(raw: UnsafeRawBufferPointer(start: base, count: size))
            return hasher.finish()
        }
    }
    _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
    var hasher = StreamingHasher()
    // Sized to the file (one read, and a read that says 0): a 1 MiB buffer for every small
    // output was an mmap and an munmap each, and a TLB shootdown on every core.
    let size = st.st_size > 0 ? min(Int(st.st_size) + 1, 1 << 20) : 64 * 1024
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let n = read(fd, buffer, size)
        if n == 0 { break }
        if n < 0 {
            if errno == EINTR { continue }
            throw .readFailed(path: path, errno: errno)
        }
        hasher.update(raw: UnsafeRawBufferPointer(start: buffer, count: n))
    }
    return hasher.finish()
}
