import JobBasics
import Testing

@Suite("String table")
struct StringTableTests {
    /// A small deterministic generator, so that a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Inserts, updates and removals in any order give the table a `Dictionary` would be,
    /// through growth and the rebuilds that drop removed keys.
    @Test(arguments: [1, 2, 3])
    func behavesAsADictionary(seed: UInt64) {
        var rng = SplitMix(state: seed)
        var table = StringTable<Int>()
        var expected: [String: Int] = [:]
        // Short and long keys (inline and allocated strings), and keys that differ only at the end.
        let keys = (0..<3000).map { k in k % 3 == 0 ? "out/\(k).txt" : "a/long/directory/name/for/this/path/\(k)/clip.wav" }
        for step in 0..<40_000 {
            let key = keys[Int(rng.next() % UInt64(keys.count))]
            switch rng.next() % 5 {
            case 4:
                let present = expected[key]
                #expect(table.insert(step, forKey: key) == present)
                if present == nil { expected[key] = step }
            case 0:
                #expect(table.removeValue(forKey: key) == expected.removeValue(forKey: key))
            case 1:
                table[key] = nil
                expected[key] = nil
            default:
                table[key] = step
                expected[key] = step
            }
            if step % 997 == 0 {
                #expect(table.count == expected.count)
                #expect(table.dictionary == expected)
            }
        }
        for key in keys { #expect(table[key] == expected[key], "\(key)") }
        #expect(table.count == expected.count)
        #expect(table.isEmpty == expected.isEmpty)
    }

    @Test func keepsTheOrderOfFirstInsertion() {
        var table = StringTable<Int>(minimumCapacity: 2)
        for (k, name) in ["c", "a", "b", "é", ""].enumerated() { table[name] = k }
        table["a"] = 10
        table["c"] = nil
        #expect(table.entries.map(\.key) == ["a", "b", "é", ""])
        #expect(table.entries.map(\.value) == [10, 2, 3, 4])
        #expect(table[""] == 4 && table["é"] == 3 && table["c"] == nil)
    }

    @Test func aRemovedKeyCanComeBack() {
        var table = StringTable<String>()
        for k in 0..<100 { table["k\(k)"] = "v\(k)" }
        for k in 0..<100 where k % 2 == 0 { table["k\(k)"] = nil }
        #expect(table.count == 50)
        table["k4"] = "again"
        #expect(table["k4"] == "again" && table.count == 51)
        #expect(table["k5"] == "v5")
    }
}
