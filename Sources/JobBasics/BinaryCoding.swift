/// A compact binary encoding for what `job` keeps in `cache/` (the compiled plan, the no-op's
/// manifest): variable-length integers, length-prefixed UTF-8 strings, and fixed-width
/// little-endian words for records that are read or rewritten in place. Reading never traps:
/// a truncated or foreign file reads as nil.
public struct BinaryWriter {
    public var bytes: [UInt8] = []

    public init() {}

    public mutating func int(_ v: Int) {
        // Most numbers here (counts, lines, columns, lengths) fit in one byte.
        if v >= 0 && v < 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v))
            return
        }
        var x = UInt64(bitPattern: Int64(v))
        // LEB128: most numbers here are small.
        repeat {
            var b = UInt8(x & 0x7F)
            x >>= 7
            if x != 0 { b |= 0x80 }
            bytes.append(b)
        } while x != 0
    }

    /// Fixed width, little-endian.
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    public mutating func double(_ v: Double) { u64(v.bitPattern) }

    public mutating func string(_ s: String) {
        let utf8 = s.utf8
        int(utf8.count)
        if utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil {
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func optionalString(_ s: String?) {
        if let s { int(1); string(s) } else { int(0) }
    }

    public mutating func strings(_ xs: [String]) {
        int(xs.count)
        for x in xs { string(x) }
    }
}

public struct BinaryReader {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var atEnd: Bool { offset == bytes.count }

    public mutating func int() -> Int? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < bytes.count, shift < 64 {
            let b = bytes[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return Int(Int64(bitPattern: result)) }
            shift += 7
        }
        return nil
    }

    /// The next `n` bytes as they are.
    public mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
        guard n >= 0, offset + n <= bytes.count else { return nil }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    /// Fixed width, little-endian.
    public mutating func u32() -> UInt32? {
        take(4).map { $0.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) } }
    }

    public mutating func u64() -> UInt64? {
        take(8).map { $0.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } }
    }

    public mutating func count() -> Int? {
        guard let n = int(), n >= 0, n <= bytes.count - offset + 1 else { return nil }
        return n
    }

    public mutating func double() -> Double? { u64().map(Double.init(bitPattern:)) }

    public mutating func string() -> String? {
        guard let n = count(), offset + n <= bytes.count else { return nil }
        defer { offset += n }
        return bytes.withUnsafeBufferPointer { String(decoding: $0[offset..<(offset + n)], as: UTF8.self) }
    }

    public mutating func optionalString() -> String?? {
        guard let flag = int() else { return nil }
        return flag == 0 ? .some(nil) : string().map { .some($0) }
    }

    public mutating func strings() -> [String]? {
        guard let n = count() else { return nil }
        var xs: [String] = []
        xs.reserveCapacity(n)
        for _ in 0..<n { guard let s = string() else { return nil }; xs.append(s) }
        return xs
    }
}
