import CYAML
import JobBasics

/// A node of a `YAMLDocument`: an index, so that keeping, copying and passing nodes costs no
/// reference counting. (A tree of Yams `Node` enums cost more than parsing itself at 100,000
/// rules: every copy retained a string, a tag and a mark.)
struct YAMLNode: Hashable, Sendable {
    var id: Int32
}

/// One YAML document read from libyaml's events into flat arrays, nodes in the order they end
/// (children before their parent). An alias is its anchor's node again: the document is a
/// directed graph, and `expansionOverflow` says whether writing the aliases out would make it
/// too big.
struct YAMLDocument: Sendable {
    enum Kind: UInt8, Sendable { case scalar, sequence, mapping }
    enum ScalarStyle: UInt8, Sendable { case plain, singleQuoted, doubleQuoted, literal, folded, other }

    struct Record: Sendable {
        var kind: Kind
        var style: ScalarStyle
        var line: Int32
        var column: Int32
        /// A scalar's index in `strings`; a collection's first child in `children`.
        var first: Int32
        /// A collection's children (a mapping's keys and values alternate).
        var count: Int32
    }

    var records: [Record] = []
    var strings: [String] = []
    var children: [YAMLNode] = []
    var root = YAMLNode(id: 0)
    /// The first collection (in the order they end) whose size, with every alias written out,
    /// passes the limit given to `parse`, counted in scalar bytes and nodes.
    var expansionOverflow: (line: Int, column: Int)?

    func record(_ node: YAMLNode) -> Record { records[Int(node.id)] }

    /// A scalar's text, or nil for a collection.
    func scalar(_ node: YAMLNode) -> String? {
        let r = records[Int(node.id)]
        return r.kind == .scalar ? strings[Int(r.first)] : nil
    }

    /// A collection's children; a mapping's alternate key, value.
    func children(of node: YAMLNode) -> ArraySlice<YAMLNode> {
        let r = records[Int(node.id)]
        guard r.kind != .scalar else { return [] }
        return children[Int(r.first)..<Int(r.first + r.count)]
    }

    /// A problem libyaml or the composing found, at its place (1-based).
    struct Problem: Error {
        var message: String
        var line: Int
        var column: Int
        /// Flow collections (`[`, `{`) nested deeper than the limit: the place is the first
        /// one past it. Checked as the events come, so the parser stops there.
        var tooDeep = false
    }

    /// Reads the single document of `text`; nil when the stream holds none. Flow collections
    /// may nest `flowNestingLimit` deep (block nesting costs indentation, so it cannot get
    /// deep cheaply).
    static func parse(_ text: String, expansionLimit: Int, flowNestingLimit: Int = .max) throws(Problem) -> YAMLDocument? {
        var text = text
        let result: Result<YAMLDocument?, Problem> = text.withUTF8 { bytes in
            // A long Jobfile is read in parts at once when it can be (see `inParts`).
            if let document = inParts(bytes, parts: partCount(bytes.count), expansionLimit: expansionLimit,
                                      flowNestingLimit: flowNestingLimit) {
                return .success(document)
            }
            do throws(Problem) {
                var builder = Builder(expansionLimit: expansionLimit, flowNestingLimit: flowNestingLimit)
                return .success(try builder.read(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Turns events into records, keeping the open collections' children on one stack.
    struct Builder {
        var document = YAMLDocument()
        let expansionLimit: Int
        let flowNestingLimit: Int
        var flowDepth = 0
        /// For each node, its size with aliases written out (saturating past the limit).
        var sizes: [Int] = []
        var anchors: [String: YAMLNode] = [:]
        /// Whether the text defines an anchor or uses an alias.
        var linksNodes = false
        /// Keep the key tables made for the root's mappings (for `inParts`, which checks keys across parts).
        var keepsKeyTables = false
        var keyTables: [YAMLNode: [String: YAMLNode]] = [:]
        /// Open collections: where their children start in `pending`, and how they began.
        var open: [(start: Int, kind: Kind, line: Int32, column: Int32, anchor: String?, flow: Bool)] = []
        var pending: [YAMLNode] = []

        init(expansionLimit: Int, flowNestingLimit: Int) {
            self.expansionLimit = expansionLimit
            self.flowNestingLimit = flowNestingLimit
        }

        /// The document of `bytes` (UTF-8), or nil when it holds none.
        mutating func read(_ bytes: UnsafeBufferPointer<UInt8>, reserving nodes: Int? = nil) throws(Problem) -> YAMLDocument? {
            var parser = yaml_parser_t()
            guard yaml_parser_initialize(&parser) == 1 else { throw Problem(message: "out of memory", line: 1, column: 1) }
            defer { yaml_parser_delete(&parser) }
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
            // Sized for a node every 10 bytes (a Jobfile of short rules has one every 12): growing
            // arrays of a million records showed as copies and page faults.
            let nodes = nodes ?? bytes.count / 10
            document.records.reserveCapacity(nodes)
            document.strings.reserveCapacity(nodes)
            document.children.reserveCapacity(nodes)
            sizes.reserveCapacity(nodes)
            return try read(&parser)
        }

        mutating func read(_ parser: inout yaml_parser_t) throws(Problem) -> YAMLDocument? {
            var event = yaml_event_t()
            var documents = 0
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.problem(of: parser) }
                defer { yaml_event_delete(&event) }
                let line = Int32(clamping: event.start_mark.line + 1)
                let column = Int32(clamping: event.start_mark.column + 1)
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return documents == 0 ? nil : document
                case YAML_DOCUMENT_START_EVENT:
                    documents += 1
                    if documents > 1 {
                        throw Problem(message: "expected a single document in the stream but found another document",
                                      line: Int(line), column: Int(column))
                    }
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                    let style: ScalarStyle = switch s.style {
                    case YAML_PLAIN_SCALAR_STYLE: .plain
                    case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
                    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
                    case YAML_LITERAL_SCALAR_STYLE: .literal
                    case YAML_FOLDED_SCALAR_STYLE: .folded
                    default: .other
                    }
                    let node = YAMLNode(id: Int32(document.records.count))
                    document.records.append(Record(kind: .scalar, style: style, line: line, column: column,
                                                   first: Int32(document.strings.count), count: 0))
                    document.strings.append(value)
                    sizes.append(min(value.utf8.count + 1, expansionLimit + 1))
                    if let anchor = Self.string(s.anchor) { anchors[anchor] = node; linksNodes = true }
                    add(node)
                case YAML_ALIAS_EVENT:
                    linksNodes = true
                    guard let name = Self.string(event.data.alias.anchor), let node = anchors[name] else {
                        throw Problem(message: "found undefined alias", line: Int(line), column: Int(column))
                    }
                    add(node)
                case YAML_SEQUENCE_START_EVENT:
                    let flow = event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                    try enter(flow: flow, line: line, column: column)
                    open.append((pending.count, .sequence, line, column, Self.string(event.data.sequence_start.anchor), flow))
                case YAML_MAPPING_START_EVENT:
                    let flow = event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                    try enter(flow: flow, line: line, column: column)
                    open.append((pending.count, .mapping, line, column, Self.string(event.data.mapping_start.anchor), flow))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    try close()
                default:
                    break   // stream start, document end
                }
            }
        }

        /// The node just read goes to the collection it is in, or is the root.
        mutating func add(_ node: YAMLNode) {
            if open.isEmpty {
                document.root = node
            } else {
                pending.append(node)
            }
        }

        mutating func enter(flow: Bool, line: Int32, column: Int32) throws(Problem) {
            guard flow else { return }
            flowDepth += 1
            if flowDepth > flowNestingLimit {
                throw Problem(message: "nested deeper than \(flowNestingLimit) levels", line: Int(line), column: Int(column),
                              tooDeep: true)
            }
        }

        mutating func close() throws(Problem) {
            let frame = open.removeLast()
            if frame.flow { flowDepth -= 1 }
            let count = pending.count - frame.start
            let keyTable = frame.kind == .mapping ? try Self.checkDuplicateKeys(pending[frame.start...], in: document) : nil
            var size = 1
            for i in frame.start..<pending.count { size = min(size + sizes[Int(pending[i].id)], expansionLimit + 1) }
            let node = YAMLNode(id: Int32(document.records.count))
            document.records.append(Record(kind: frame.kind, style: .other, line: frame.line, column: frame.column,
                                           first: Int32(document.children.count), count: Int32(count)))
            document.children.append(contentsOf: pending[frame.start...])
            // No slice of `pending` may be alive here: it would make this a copy of the whole stack.
            pending.removeLast(count)
            sizes.append(size)
            if size > expansionLimit && document.expansionOverflow == nil {
                document.expansionOverflow = (Int(frame.line), Int(frame.column))
            }
            if let anchor = frame.anchor { anchors[anchor] = node; linksNodes = true }
            if keepsKeyTables, open.count == 1, let keyTable { keyTables[node] = keyTable }
            add(node)
        }

        /// YAML keeps one of two equal keys silently; a Jobfile refuses them, at the first one.
        /// Returns the table of keys made for a long mapping.
        @discardableResult
        static func checkDuplicateKeys(_ kids: ArraySlice<YAMLNode>, in document: YAMLDocument) throws(Problem) -> [String: YAMLNode]? {
            var repeated: [String: YAMLNode] = [:]
            var table: [String: YAMLNode]?
            if kids.count <= 32 {
                // Up to 16 keys (a rule's body, 100,000 times): compared pairwise where they
                // are, with no array or table made.
                var a = kids.startIndex
                while a < kids.endIndex {
                    if let text = document.scalar(kids[a]), repeated.isEmpty || repeated[text] == nil {
                        var b = a + 2
                        while b < kids.endIndex {
                            if document.scalar(kids[b]) == text {
                                repeated[text] = kids[a]
                                break
                            }
                            b += 2
                        }
                    }
                    a += 2
                }
            } else {
                var first: [String: YAMLNode] = [:]
                first.reserveCapacity(kids.count / 2)
                var i = kids.startIndex
                while i < kids.endIndex {
                    if let text = document.scalar(kids[i]) {
                        if let f = first[text] {
                            if repeated[text] == nil { repeated[text] = f }
                        } else {
                            first[text] = kids[i]
                        }
                    }
                    i += 2
                }
                table = first
            }
            guard !repeated.isEmpty else { return table }
            let names = repeated.keys.sorted()
            let place = document.record(repeated[names[0]]!)
            throw Problem(message: names.map { "'\($0)'" }.joined(separator: ", ")
                              + " is given twice in this mapping (keys must be unique)",
                          line: Int(place.line), column: Int(place.column))
        }

        static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
            pointer.map { String(cString: $0) }
        }

        static func problem(of parser: yaml_parser_t) -> Problem {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
            switch parser.error {
            case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
                let text = parser.context.map { String(cString: $0) + " " + problem } ?? problem
                return Problem(message: text, line: Int(parser.problem_mark.line) + 1,
                               column: Int(parser.problem_mark.column) + 1)
            case YAML_READER_ERROR:
                // Bad bytes (not UTF-8): libyaml gives their offset, not their line.
                return Problem(message: "\(problem) at byte \(parser.problem_offset)", line: 1, column: 1)
            default:
                return Problem(message: problem, line: 1, column: 1)
            }
        }
    }
}
