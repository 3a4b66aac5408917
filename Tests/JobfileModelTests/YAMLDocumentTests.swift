import JobBasics
@testable import JobfileModel
import Testing

/// The flat document libyaml's events are read into: shapes, places, aliases, and what it refuses.
@Suite("YAML document")
struct YAMLDocumentTests {
    func parse(_ text: String, limit: Int = 1_000_000) throws -> YAMLDocument {
        try #require(try YAMLDocument.parse(text, expansionLimit: limit))
    }

    func problem(_ text: String, limit: Int = 1_000_000) -> YAMLDocument.Problem? {
        do {
            _ = try YAMLDocument.parse(text, expansionLimit: limit)
            return nil
        } catch {
            return error
        }
    }

    @Test func shapesStylesAndPlaces() throws {
        let doc = try parse("""
            a: plain
            b: 'single'
            c: "double"
            d: [x, y]
            e: |
              block
            """)
        let tree = YAMLTree(file: "J", document: doc)
        var d = DiagnosticBag()
        let pairs = try #require(tree.mapping(doc.root, what: "top", diagnostics: &d))
        #expect(pairs.map(\.key) == ["a", "b", "c", "d", "e"])
        #expect(pairs.map { tree.scalar($0.value) } == ["plain", "single", "double", nil, "block"])
        #expect(pairs.map { tree.contentOffset($0.value) } == [0, 1, 1, nil, nil])
        #expect(tree.items(pairs[3].value).map { tree.scalar($0) } == ["x", "y"])
        #expect(tree.kind(pairs[3].value) == .sequence)
        let y = tree.location(tree.items(pairs[3].value).last!)
        #expect((y.line, y.column) == (4, 8))
        #expect(tree.location(pairs[2].keyNode).line == 3)
    }

    @Test func anAliasIsItsAnchorsNode() throws {
        let doc = try parse("""
            base: &common [a, b]
            copy: *common
            """)
        let kids = Array(doc.children(of: doc.root))
        #expect(kids[1] == kids[3])
        #expect(doc.children(of: kids[3]).map { doc.scalar($0) } == ["a", "b"])
    }

    @Test func undefinedAliasAndSecondDocumentAreRefused() throws {
        let alias = try #require(problem("a: 1\nb: *nowhere\n"))
        #expect(alias.message == "found undefined alias")
        #expect((alias.line, alias.column) == (2, 4))

        let two = try #require(problem("a: 1\n---\nb: 2\n"))
        #expect(two.message.contains("single document"))
        #expect(two.line == 2)

        #expect(try YAMLDocument.parse("# only a comment\n", expansionLimit: 10) == nil)
    }

    @Test func repeatedKeysAreRefusedAtTheFirst() throws {
        // Small mappings compare keys pairwise, large ones with a table: both paths.
        let small = try #require(problem("a: 1\nb: 2\na: 3\n"))
        #expect(small.message.hasPrefix("'a' is given twice"))
        #expect((small.line, small.column) == (1, 1))

        var lines = (0..<40).map { "k\($0): v" }
        lines.append("k7: again")
        let large = try #require(problem(lines.joined(separator: "\n")))
        #expect(large.message.hasPrefix("'k7' is given twice"))
        #expect(large.line == 8)
    }

    @Test func aliasExpansionIsMeasuredWithoutExpanding() throws {
        // Each level doubles the size: 2^20 copies of a 10-byte scalar (12.6 MB with the nodes;
        // 25 MB for the whole document), in a few lines of text.
        var text = "l0: &l0 \"0123456789\"\n"
        for i in 1...20 { text += "l\(i): &l\(i) [*l\(i - 1), *l\(i - 1)]\n" }
        let doc = try parse(text, limit: 10_000_000)
        let over = try #require(doc.expansionOverflow)
        #expect(over.line == 21)                      // 2^20 × 11 bytes passes 10 MB at the last level
        #expect(try parse(text, limit: 30_000_000).expansionOverflow == nil)
    }

    @Test func badCharactersAndBadSyntaxHaveAProblem() throws {
        let control = try #require(problem("a: x\u{01}y\n"))
        #expect(control.message.contains("control characters are not allowed"))
        let unclosed = try #require(problem("a: [x\nb: 1\n"))
        #expect(unclosed.message.contains("did not find expected"))
        #expect(unclosed.line == 2)
        let tab = try #require(problem("a:\n\tb: 1\n"))
        #expect(tab.line == 2)
    }
}
