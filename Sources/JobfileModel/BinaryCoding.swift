/// A compact binary encoding for the compiled plan: little-endian integers, length-prefixed
/// UTF-8 strings. Reading never traps: a truncated or foreign file reads as nil.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func int(_ v: Int) {
        var x = UInt64(bitPattern: Int64(v))
        // LEB128: most numbers here are small.
        repeat {
            var b = UInt8(x & 0x7F)
            x >>= 7
            if x != 0 { b |= 0x80 }
            bytes.append(b)
        } while x != 0
    }

    mutating func double(_ v: Double) {
        var bits = v.bitPattern
        for _ in 0..<8 { bytes.append(UInt8(bits & 0xFF)); bits >>= 8 }
    }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            int(buf.count)
            bytes.append(contentsOf: buf)
        }
    }

    mutating func optionalString(_ s: String?) {
        if let s { int(1); string(s) } else { int(0) }
    }

    mutating func strings(_ xs: [String]) {
        int(xs.count)
        for x in xs { string(x) }
    }
}

struct BinaryReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    mutating func int() -> Int? {
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

    mutating func count() -> Int? {
        guard let n = int(), n >= 0, n <= bytes.count - offset + 1 else { return nil }
        return n
    }

    mutating func double() -> Double? {
        guard offset + 8 <= bytes.count else { return nil }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return Double(bitPattern: bits)
    }

    mutating func string() -> String? {
        guard let n = count(), offset + n <= bytes.count else { return nil }
        defer { offset += n }
        return bytes.withUnsafeBufferPointer { String(decoding: $0[offset..<(offset + n)], as: UTF8.self) }
    }

    mutating func optionalString() -> String?? {
        guard let flag = int() else { return nil }
        return flag == 0 ? .some(nil) : string().map { .some($0) }
    }

    mutating func strings() -> [String]? {
        guard let n = count() else { return nil }
        var xs: [String] = []
        xs.reserveCapacity(n)
        for _ in 0..<n { guard let s = string() else { return nil }; xs.append(s) }
        return xs
    }
}
