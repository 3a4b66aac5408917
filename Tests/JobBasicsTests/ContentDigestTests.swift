import Foundation
import JobBasics
import Testing

@Suite("ContentDigest")
struct ContentDigestTests {
    @Test func hexIsHighWordFirstAndPadded() {
        let d = ContentDigest(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        #expect(d.hex == "0123456789abcdeffedcba9876543210")
        #expect(d.description == d.hex)
        #expect(ContentDigest(high: 1, low: 2).hex == "00000000000000010000000000000002")
        #expect(ContentDigest(high: 0, low: 0).hex == String(repeating: "0", count: 32))
        #expect(ContentDigest(high: .max, low: .max).hex == String(repeating: "f", count: 32))
    }

    @Test(arguments: [
        ContentDigest(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210),
        ContentDigest(high: 0, low: 0),
        ContentDigest(high: .max, low: 1),
        ContentDigest(high: 1 << 63, low: 0xdead_beef),
        ContentDigest.of(string: "hello"),
    ])
    func hexRoundTrip(_ d: ContentDigest) throws {
        let parsed = try #require(ContentDigest(hex: d.hex))
        #expect(parsed == d)
        #expect(parsed.hex == d.hex)
    }

    @Test(arguments: [
        "",
        "0123456789abcdef",                                   // 16 digits
        "0123456789abcdeffedcba987654321",                    // 31
        "0123456789abcdeffedcba98765432100",                  // 33
        "0123456789abcdefxedcba9876543210",                   // not hex
        "0123456789abcdef fedcba987654321",                   // a space
        "g123456789abcdeffedcba9876543210",
        "+123456789abcdeffedcba9876543210",                   // a sign is not a digit
        "0123456789abcdef+edcba9876543210",
        "-000000000000000fedcba9876543210",
    ])
    func invalidHexIsRefused(_ text: String) {
        #expect(ContentDigest(hex: text) == nil)
    }

    @Test func orderIsHighThenLow() {
        #expect(ContentDigest(high: 0, low: .max) < ContentDigest(high: 1, low: 0))
        #expect(ContentDigest(high: 5, low: 1) < ContentDigest(high: 5, low: 2))
        #expect(!(ContentDigest(high: 5, low: 2) < ContentDigest(high: 5, low: 2)))
    }

    /// What `xxhsum -H2` (XXH3 128-bit) prints for `bytes`, from the real tool.
    func xxhsum(_ bytes: [UInt8], in dir: TemporaryDirectory) throws -> String {
        let path = try dir.write("sample-\(bytes.count).bin", bytes)
        let result = try runProgram(["/usr/bin/xxhsum", "-H2", path])
        try #require(result.status == 0)
        let line = String(decoding: result.stdout, as: UTF8.self)
        return String(line.prefix { $0 != " " })
    }

    @Test func matchesXXHSumForKnownBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let samples: [[UInt8]] = [
            [],
            Array("abc".utf8),
            Array("The quick brown fox jumps over the lazy dog\n".utf8),
            [0, 0, 0, 255, 254],
            pseudoRandomBytes(count: 240, seed: 7),          // XXH3's short/medium boundary
            pseudoRandomBytes(count: 100_003, seed: 42),
        ]
        for bytes in samples {
            let expected = try xxhsum(bytes, in: dir)
            #expect(expected.count == 32)
            #expect(ContentDigest.of(bytes).hex == expected, "\(bytes.count) bytes")
        }
        // A value that does not depend on the tool at all: XXH3-128 of the empty input.
        #expect(ContentDigest.of([UInt8]()).hex == "99aa06d3014798d86001c324468d497f")
        #expect(ContentDigest.of(string: "abc").hex == "06b05ab6733a618578af5f94892f3950")
    }

    @Test func hashFileEqualsDigestOfTheSameBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // Files of 1 MiB and more are mapped; smaller ones are read: both must agree with xxhsum.
        let small = pseudoRandomBytes(count: 100_003, seed: 5)
        let smallPath = try dir.write("small.bin", small)
        #expect(try hashFile(atPath: smallPath).hex == (try xxhsum(small, in: dir)))
        // Larger than hashFile's 1 MiB buffer, and not a multiple of it.
        let big = pseudoRandomBytes(count: (3 << 20) + 17, seed: 99)
        let path = try dir.write("big.bin", big)
        let fromFile = try hashFile(atPath: path)
        #expect(fromFile == ContentDigest.of(big))
        let expected = try xxhsum(big, in: dir)
        #expect(fromFile.hex == expected)

        let empty = try dir.write("empty", [])
        #expect(try hashFile(atPath: empty) == ContentDigest.of([UInt8]()))
    }

    @Test func differentContentDifferentDigest() {
        let a = ContentDigest.of(string: "frame 1")
        let b = ContentDigest.of(string: "frame 2")
        #expect(a != b)
        #expect(ContentDigest.of(string: "frame 1") == a)
        #expect(ContentDigest.of(string: "é") == ContentDigest.of(Array("é".utf8)))
        // A non-contiguous collection hashes like the same bytes in an array.
        let bytes = pseudoRandomBytes(count: 1000, seed: 3)
        #expect(ContentDigest.of(bytes.reversed().reversed()) == ContentDigest.of(bytes))
        #expect(ContentDigest.of(bytes.lazy.map { $0 }) == ContentDigest.of(bytes))
    }

    @Test func streamingInPiecesEqualsOneShot() {
        let bytes = pseudoRandomBytes(count: 10_000, seed: 5)
        var h = StreamingHasher()
        h.update(bytes[0..<1])
        h.update(bytes[1..<4097])
        h.update(bytes[4097...])
        let pieces = h.finish()
        #expect(pieces == ContentDigest.of(bytes))
    }

    @Test func smallAndLargeInputsGiveXXH3sDigest() {
        // Below 1 KiB the bytes are hashed in one call at the end, past it in a stream: the
        // digests are XXH3-128's either way (`xxhsum -H2`), however the bytes come.
        #expect(ContentDigest.of(string: "frame 1").hex == "008e4af557bb8dba628036fc9cfad9d6")
        let a3000 = [UInt8](repeating: UInt8(ascii: "a"), count: 3000)
        #expect(ContentDigest.of(a3000).hex == "7694fa54c238da31591e187195fc0002")
        let bytes = pseudoRandomBytes(count: 3000, seed: 9)
        for n in [0, 1, 200, 1023, 1024, 1025, 2048, 3000] {
            var h = StreamingHasher()
            for b in bytes[0..<n] { h.update(CollectionOfOne(b)) }
            let oneByOne = h.finish()
            #expect(oneByOne == ContentDigest.of(Array(bytes[0..<n])))
        }
        var h = StreamingHasher()
        for _ in 0..<3 { h.update(a3000[0..<1000]) }
        let mixed = h.finish()
        #expect(mixed.hex == "7694fa54c238da31591e187195fc0002")
    }

    @Test func fieldsAreLengthPrefixed() {
        func digest(_ fields: [String]) -> ContentDigest {
            var h = StreamingHasher()
            for f in fields { h.field(f) }
            return h.finish()
        }
        #expect(digest(["ab", "c"]) != digest(["a", "bc"]))
        #expect(digest(["abc"]) != digest(["ab", "c"]))
        #expect(digest(["", "x"]) != digest(["x", ""]))
        #expect(digest(["ab", "c"]) == digest(["ab", "c"]))
        var h1 = StreamingHasher()
        h1.field(ContentDigest(high: 1, low: 2))
        var h2 = StreamingHasher()
        h2.field(ContentDigest(high: 2, low: 1))
        let d1 = h1.finish(), d2 = h2.finish()
        #expect(d1 != d2)
    }

    @Test func hashFileErrorsCarryPathAndErrno() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let missing = dir.file("missing.bin")
        #expect {
            try hashFile(atPath: missing)
        } throws: { error in
            guard case .cannotOpen(let path, let errno) = error as? FileHashError else { return false }
            return path == missing && errno == ENOENT
        }
        // A directory opens, but cannot be read.
        #expect {
            try hashFile(atPath: dir.path)
        } throws: { error in
            guard case .readFailed(let path, let errno) = error as? FileHashError else { return false }
            return path == dir.path && errno == EISDIR
        }
    }
}
