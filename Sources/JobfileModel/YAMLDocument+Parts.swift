import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// A long Jobfile is nearly all `rules:`, one block mapping. Its keys can be found from the
/// lines alone (a line indented exactly as the first rule, starting with a name), so the text
/// is cut there and each part parsed on its own core (libyaml and the records take 250 ms on
/// one core at 100,000 rules), then the parts' records are joined.
///
/// The first part is the text up to the first cut. Each later part is the line `rules:`,
/// empty lines down to its cut, and its own lines: libyaml gives its nodes their real lines
/// and columns, and the last part holds the keys that follow `rules:` as well.
///
/// Only a clean result is kept. Anything else (a part that does not parse, an anchor or an
/// alias, a key repeated across parts, parts not shaped as expected) and the whole text is
/// parsed again in one piece, which gives the document, or the error, as it always did.
extension YAMLDocument {
    static let minimumPartBytes = 128 * 1024

    /// How many parts `bytes` is worth: one per core, each of at least `minimumPartBytes`.
    static func partCount(_ bytes: Int) -> Int { min(processorCount, 8, bytes / minimumPartBytes) }

    /// The document of `bytes` from up to `parts` parts, or nil when it must be parsed whole.
    static func inParts(_ bytes: UnsafeBufferPointer<UInt8>, parts partCount: Int, expansionLimit: Int,
                        flowNestingLimit: Int) -> YAMLDocument? {
        guard partCount >= 2, let cuts = ruleCuts(bytes, parts: partCount) else { return nil }
        let bounds = [0] + cuts.map(\.offset) + [bytes.count]
        var parsed = parallelChunks(bounds.count - 1, minimumChunk: 1) { range in
            range.map { k -> Part? in
                var builder = Builder(expansionLimit: expansionLimit, flowNestingLimit: flowNestingLimit)
                builder.keepsKeyTables = true
                let body = UnsafeBufferPointer(rebasing: bytes[bounds[k]..<bounds[k + 1]])
                let document: YAMLDocument?
                if k == 0 {
                    // The first part's arrays become the whole document's: sized for all of it.
                    document = try? builder.read(body, reserving: bytes.count / 10)
                } else {
                    var text = Array("rules:".utf8)
                    text += repeatElement(UInt8(ascii: "\n"), count: cuts[k - 1].line)
                    text.append(contentsOf: body)
                    document = text.withUnsafeBufferPointer { try? builder.read($0) }
                }
                guard let document, !builder.linksNodes, document.expansionOverflow == nil else { return nil }
                return Part(document: document, sizes: builder.sizes, keyTables: builder.keyTables)
            }
        }.flatMap { $0 }
        guard parsed.allSatisfy({ $0 != nil }) else { return nil }
        // Moved out, not copied: the join takes over the first part's arrays, which must
        // then have no other owner.
        var parts: [Part] = []
        for k in parsed.indices { parts.append(parsed[k].take()!) }
        return join(&parts, expansionLimit: expansionLimit)
    }

    /// Where to cut: `parts - 1` offsets (each the start of a line holding a key of `rules:`,
    /// with its 0-based line number), spread evenly; nil when the text is not shaped so.
    static func ruleCuts(_ bytes: UnsafeBufferPointer<UInt8>, parts: Int) -> [(offset: Int, line: Int)]? {
        let newline = UInt8(ascii: "\n"), space = UInt8(ascii: " ")
        func lineEnd(_ i: Int) -> Int {
            guard i < bytes.count, let found = memchr(bytes.baseAddress! + i, Int32(newline), bytes.count - i) else {
                return bytes.count
            }
            return bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
        // The line `rules:` (spaces or a comment may follow) at the left margin.
        var i = 0, line = 0
        var rulesEnd: Int?
        while i < bytes.count {
            let end = lineEnd(i)
            if end - i >= 6, bytes[i..<(i + 6)].elementsEqual("rules:".utf8) {
                let rest = bytes[(i + 6)..<end].drop { $0 == space }
                if rest.isEmpty || rest.first == UInt8(ascii: "#") || rest.elementsEqual([UInt8(ascii: "\r")]) {
                    rulesEnd = end
                    break
                }
            }
            i = end + 1
            line += 1
        }
        guard let rulesEnd else { return nil }
        // The indentation of the first rule; the block ends at the next line at the margin.
        var indent: Int?
        var starts: [(offset: Int, line: Int)] = []
        i = rulesEnd + 1
        line += 1
        var blockEnd = bytes.count
        while i < bytes.count {
            var j = i
            while j < bytes.count && bytes[j] == space { j += 1 }
            let end = lineEnd(j)
            let first: UInt8? = j < end ? bytes[j] : nil
            if let first, first != UInt8(ascii: "#"), first != UInt8(ascii: "\r") {
                if j == i { blockEnd = i; break }
                if indent == nil {
                    guard isNameByte(first) else { return nil }
                    indent = j - i
                }
                if j - i == indent, isNameByte(first) { starts.append((i, line)) }
            }
            i = end + 1
            line += 1
        }
        guard starts.count >= parts else { return nil }
        // The first key starting at or after each share of the block: even shares, but the
        // first part's is 10% smaller, as it also sizes the whole document's arrays.
        let blockStart = starts[0].offset
        var cuts: [(offset: Int, line: Int)] = []
        var k = 1
        for p in 1..<parts {
            let target = blockStart + (blockEnd - blockStart) * (10 * p - 1) / (10 * parts - 1)
            while k < starts.count && starts[k].offset < target { k += 1 }
            guard k < starts.count else { break }
            cuts.append(starts[k])
            k += 1
        }
        return cuts.isEmpty ? nil : cuts
    }

    /// One document from the parts: every part's records, then the joined `rules:` mapping and
    /// root. Nil unless each part is the mapping expected (the first ends with `rules:`, later
    /// ones start with it, and only the last holds more keys) and no key is repeated.
    /// A part parsed: its document, each node's size with aliases written out, and the key
    /// tables of its top-level mappings.
    struct Part {
        var document: YAMLDocument
        var sizes: [Int]
        var keyTables: [YAMLNode: [String: YAMLNode]]

        /// The keys of `mapping` (a child of the root), as a table.
        func keys(of mapping: YAMLNode) -> [String: YAMLNode] {
            if let table = keyTables[mapping] { return table }
            var table: [String: YAMLNode] = [:]
            let kids = document.children(of: mapping)
            for i in stride(from: kids.startIndex, to: kids.endIndex, by: 2) {
                if let key = document.scalar(kids[i]) { table[key] = kids[i] }
            }
            return table
        }
    }

    /// `parts` is taken apart (its arrays are moved into the document).
    static func join(_ parts: inout [Part], expansionLimit: Int) -> YAMLDocument? {
        // Each part's top-level pairs, and where its `rules:` pair is among them.
        var tops: [[YAMLNode]] = []
        for (k, part) in parts.enumerated() {
            let d = part.document
            guard d.record(d.root).kind == .mapping else { return nil }
            let pairs = Array(d.children(of: d.root))
            let rulesAt = k == 0 ? pairs.count - 2 : 0
            guard rulesAt >= 0, d.scalar(pairs[rulesAt]) == "rules", d.record(pairs[rulesAt + 1]).kind == .mapping,
                  k == parts.count - 1 || pairs.count == rulesAt + 2 else { return nil }
            tops.append(pairs)
        }
        // A rule named in two parts: each part checked its own keys, against a table kept.
        var earlierRules: [[String: YAMLNode]] = []
        for (k, part) in parts.enumerated() {
            let rulesMapping = tops[k][k == 0 ? tops[k].count - 1 : 1]
            if k > 0 {
                let kids = part.document.children(of: rulesMapping)
                for i in stride(from: kids.startIndex, to: kids.endIndex, by: 2) {
                    guard let key = part.document.scalar(kids[i]) else { continue }
                    if earlierRules.contains(where: { $0[key] != nil }) { return nil }
                }
            }
            if k < parts.count - 1 { earlierRules.append(part.keys(of: rulesMapping)) }
        }
        let rulesRecord = parts[0].document.record(tops[0][tops[0].count - 1])
        let rootRecord = parts[0].document.record(parts[0].document.root)
        var rules: [YAMLNode] = []
        var rulesSize = 1
        var rootPairs: [YAMLNode] = []
        var rootSize = 1
        func add(_ n: Int, _ size: Int) -> Int { min(n + size, expansionLimit + 1) }
        var recordBase: Int32 = 0
        for k in parts.indices {
            let pairs = tops[k]
            let rulesAt = k == 0 ? pairs.count - 2 : 0
            for c in parts[k].document.children(of: pairs[rulesAt + 1]) {
                rules.append(YAMLNode(id: c.id + recordBase))
                rulesSize = add(rulesSize, parts[k].sizes[Int(c.id)])
            }
            for (n, c) in pairs.enumerated() where n != rulesAt + 1 && (n != rulesAt || k == 0) {
                rootPairs.append(YAMLNode(id: c.id + recordBase))
                rootSize = add(rootSize, parts[k].sizes[Int(c.id)])
            }
            recordBase += Int32(parts[k].document.records.count)
        }
        // The first part's arrays become the joined ones (its numbers stay), the others follow.
        var joined = YAMLDocument()
        swap(&joined.records, &parts[0].document.records)
        swap(&joined.strings, &parts[0].document.strings)
        swap(&joined.children, &parts[0].document.children)
        joined.records.reserveCapacity(parts.reduce(2) { $0 + $1.document.records.count })
        joined.strings.reserveCapacity(parts.reduce(0) { $0 + $1.document.strings.count })
        joined.children.reserveCapacity(parts.reduce(2) { $0 + $1.document.children.count })
        for k in parts.indices.dropFirst() {
            let d = parts[k].document
            parts[k].document = YAMLDocument()   // `d` holds the part's arrays alone: freed after the copy
            let recordBase = Int32(joined.records.count)
            let stringBase = Int32(joined.strings.count), childBase = Int32(joined.children.count)
            for var r in d.records {
                r.first += r.kind == .scalar ? stringBase : childBase
                joined.records.append(r)
            }
            joined.strings.append(contentsOf: d.strings)
            for c in d.children { joined.children.append(YAMLNode(id: c.id + recordBase)) }
        }
        let firstTop = tops[0]
        // The joined `rules:` mapping takes the first part's place; it goes after its key.
        let rulesNode = YAMLNode(id: Int32(joined.records.count))
        joined.records.append(Record(kind: .mapping, style: .other, line: rulesRecord.line, column: rulesRecord.column,
                                     first: Int32(joined.children.count), count: Int32(rules.count)))
        joined.children += rules
        rootPairs.insert(rulesNode, at: firstTop.count - 1)
        rootSize = add(rootSize, rulesSize)
        joined.root = YAMLNode(id: Int32(joined.records.count))
        joined.records.append(Record(kind: .mapping, style: .other, line: rootRecord.line, column: rootRecord.column,
                                     first: Int32(joined.children.count), count: Int32(rootPairs.count)))
        joined.children += rootPairs
        do throws(Problem) {
            try Builder.checkDuplicateKeys(joined.children(of: joined.root), in: joined)
        } catch {
            return nil
        }
        // As one pass would find it: the rules' mapping ends before the root.
        if rulesSize > expansionLimit {
            joined.expansionOverflow = (Int(rulesRecord.line), Int(rulesRecord.column))
        } else if rootSize > expansionLimit {
            joined.expansionOverflow = (Int(rootRecord.line), Int(rootRecord.column))
        }
        return joined
    }
}
