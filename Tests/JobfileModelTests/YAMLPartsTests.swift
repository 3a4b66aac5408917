import JobBasics
@testable import JobfileModel
import Testing

/// A long Jobfile parsed in parts must be the document one pass gives, node for node and place
/// for place; anything the parts cannot vouch for is parsed whole.
@Suite("YAML in parts")
struct YAMLPartsTests {
    /// Rules of several shapes (block scalars, flow lists, quoted and multi-line strings,
    /// comments at the rules' margin), with sections before and after `rules:`.
    static func jobfile(rules: Int = 300, extra: String = "") -> String {
        var text = "# a Jobfile\nversion: 1\nvars:\n  v: x\n\nrules:   # the rules\n"
        for i in 0..<rules {
            switch i % 4 {
            case 0: text += "  r\(i):\n    inputs: [in/\(i).txt, \"q \(i)\"]\n    output: out/\(i).txt\n    run: cp ${in} ${out}\n"
            case 1: text += "  r\(i):\n    output: out/\(i).txt\n    run: |\n      echo \(i)\n       indented\n    # a comment\n"
            case 2: text += "\n# at the margin\n  r\(i): {output: out/\(i).txt,\n      run: 'a\n        b'}\n"
            default: text += "  r\(i):\n    output: out/\(i).txt\n    run: echo a\n      continued \(i)\n"
            }
        }
        return text + extra + "targets:\n  all: [r0, r1]\n"
    }

    /// The document as nested text: kind, style, place and scalars, from the root.
    func dump(_ d: YAMLDocument, _ node: YAMLNode? = nil) -> String {
        let n = node ?? d.root
        let r = d.record(n)
        let place = "@\(r.line):\(r.column)"
        switch r.kind {
        case .scalar: return "s\(r.style.rawValue)\(place)\(d.scalar(n)!.debugDescription)"
        case .sequence, .mapping:
            let open = r.kind == .sequence ? "[" : "{"
            return open + place + d.children(of: n).map { dump(d, $0) }.joined(separator: ",") + "]"
        }
    }

    func whole(_ text: String, limit: Int = 10_000_000) throws -> YAMLDocument {
        var text = text
        return try text.withUTF8 { bytes in
            var builder = YAMLDocument.Builder(expansionLimit: limit, flowNestingLimit: 512)
            return try #require(try builder.read(bytes))
        }
    }

    func inParts(_ text: String, parts: Int = 3, limit: Int = 10_000_000) -> YAMLDocument? {
        var text = text
        return text.withUTF8 { YAMLDocument.inParts($0, parts: parts, expansionLimit: limit, flowNestingLimit: 512) }
    }

    /// Whether `text` is parsed in parts (a Bool: a failing check then prints no document).
    func splits(_ text: String, parts: Int = 3) -> Bool { inParts(text, parts: parts) != nil }

    @Test func partsGiveTheDocumentOnePassGives() throws {
        let text = Self.jobfile()
        for parts in [2, 3, 7] {
            let joined = try #require(inParts(text, parts: parts))
            #expect(dump(joined) == dump(try whole(text)))
        }
        // The cuts fall on rules, spread over the block.
        var bytes = text
        let cuts = try #require(bytes.withUTF8 { YAMLDocument.ruleCuts($0, parts: 3) })
        #expect(cuts.count == 2)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for cut in cuts { #expect(lines[cut.line].hasPrefix("  r")) }
    }

    @Test func theLoadedJobfileIsTheSame() throws {
        // Through the loader (which parses in parts when the file is long enough).
        let text = Self.jobfile(rules: 8_000)
        #expect(text.utf8.count > 2 * YAMLDocument.minimumPartBytes)
        let jobfile = try load(text)
        #expect(jobfile.instances.count == 8_000)
        #expect(jobfile.instances[7_999].outputs == ["out/7999.txt"])
        #expect(jobfile.instances[4_001].invocation.commands.count == 1)
        #expect(jobfile.targets["all"]?.items.map(\.text) == ["r0", "r1"])
        #expect(splits(text, parts: 2))
    }

    @Test func aRuleNamedInTwoPartsIsLeftToOnePass() throws {
        let text = Self.jobfile() + "rules2: x\n"
        let repeated = Self.jobfile(extra: "  r1:\n    output: again.txt\n    run: x\n")
        #expect(splits(text))
        #expect(!splits(repeated))
        // And one pass reports it where it always did: at the first `r1`.
        let firstLine = repeated.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(of: "  r1:")! + 1
        do {
            _ = try YAMLDocument.parse(repeated, expansionLimit: 10_000_000)
            Issue.record("a repeated rule was accepted")
        } catch {
            #expect(error.message.hasPrefix("'r1' is given twice"))
            #expect(error.line == firstLine)
        }
    }

    @Test func anchorsAliasesAndErrorsAreLeftToOnePass() throws {
        #expect(!splits(Self.jobfile(extra: "  a:\n    output: &o a.txt\n    run: x\n")))
        #expect(!splits(Self.jobfile(extra: "  b:\n    output: b.txt\n    run: x\n  c:\n    output: *o\n    run: x\n")))
        let broken = Self.jobfile(extra: "  bad:\n    output: [unclosed\n")
        #expect(!splits(broken))
        do {
            _ = try YAMLDocument.parse(broken, expansionLimit: 10_000_000)
            Issue.record("broken YAML was accepted")
        } catch {
            #expect(error.line > 1_000)    // in the last part, at its real line
        }
    }

    @Test func textsNotShapedForPartsAreParsedWhole() {
        #expect(!splits("version: 1\nrules: {a: {output: o, run: x}}\n"))
        #expect(!splits("rules:\n  - a\n  - b\n  - c\n"))
        #expect(!splits("  rules:\n    a: 1\n    b: 2\n    c: 3\n"))
        // Too few rules for the parts asked.
        #expect(!splits("rules:\n  a: 1\n  b: 2\n", parts: 3))
    }

    @Test func anExpansionPastTheLimitIsFoundAtTheSamePlace() throws {
        // Limits that no part passes alone but the whole does, and limits that nothing passes.
        let text = Self.jobfile()
        var compared = 0, overflowing = 0
        for limit in stride(from: text.utf8.count * 2, to: text.utf8.count / 4, by: -text.utf8.count / 20) {
            guard let joined = inParts(text, limit: limit) else { continue }
            let one = try whole(text, limit: limit)
            compared += 1
            if one.expansionOverflow != nil { overflowing += 1 }
            #expect(joined.expansionOverflow?.line == one.expansionOverflow?.line)
            #expect(joined.expansionOverflow?.column == one.expansionOverflow?.column)
        }
        #expect(overflowing > 0 && compared > overflowing)
    }
}
