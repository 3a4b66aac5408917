import JobBasics
#if canImport(Glibc)
import Glibc
#endif

/// `foreach:`: each key takes a list of values or the stems of the files a glob matches;
/// several keys give every combination, the first key varying slowest.
enum Foreach {
    static func bindings(_ node: YAMLNode?, tree: YAMLTree, vars: [String: String], rootDirectory: String,
                         paths: PathRules, globs: inout [GlobRecord],
                         diagnostics d: inout DiagnosticBag) -> [[(String, String)]]? {
        guard let node else { return [[]] }
        guard let pairs = tree.mapping(node, what: "'foreach'", diagnostics: &d) else { return nil }
        if pairs.isEmpty {
            d.error("'foreach' needs at least one key", at: tree.location(node))
            return nil
        }
        var columns: [(String, [String])] = []
        let scope = SubstitutionScope(vars: vars)
        var ok = true
        for p in pairs {
            if !isValidName(p.key) {
                d.error("invalid foreach key '\(p.key)' (use letters, digits, '_' and '-')", at: tree.location(p.keyNode))
                ok = false; continue
            }
            if reservedNames.contains(p.key) {
                d.error("'\(p.key)' is reserved and cannot be a foreach key", at: tree.location(p.keyNode))
                ok = false; continue
            }
            if vars[p.key] != nil {
                d.error("foreach key '\(p.key)' has the name of a var; rename one of them", at: tree.location(p.keyNode))
                ok = false; continue
            }
            switch tree.kind(p.value) {
            case .sequence:
                var values: [String] = []
                for item in tree.items(p.value) {
                    guard let s = tree.scalar(item) else {
                        d.error("each value of foreach key '\(p.key)' must be a string", at: tree.location(item))
                        ok = false; continue
                    }
                    if let v = Substitution.expand(s, at: tree.location(item), columnOffset: tree.contentOffset(item),
                                                   scope: scope, shell: false, diagnostics: &d)?.plainText {
                        values.append(v)
                    } else { ok = false }
                }
                columns.append((p.key, values))
            case .mapping:
                guard let spec = tree.mapping(p.value, what: "foreach key '\(p.key)'", diagnostics: &d) else { ok = false; continue }
                tree.checkKeys(spec, allowed: ["glob"], in: "foreach key '\(p.key)'", diagnostics: &d)
                guard let g = spec.first(where: { $0.key == "glob" }),
                      let pattern = tree.string(g.value, what: "'glob'", diagnostics: &d),
                      let expanded = Substitution.expand(pattern, at: tree.location(g.value), columnOffset: tree.contentOffset(g.value),
                                                         scope: scope, shell: false, diagnostics: &d)?.plainText
                else {
                    if !spec.contains(where: { $0.key == "glob" }) {
                        d.error("foreach key '\(p.key)' needs a list of values or {glob: PATTERN}", at: tree.location(p.value))
                    }
                    ok = false; continue
                }
                if case .failure(let e) = paths.canonical(expanded) {
                    d.error("glob: \(e)", at: tree.location(g.value))
                    ok = false; continue
                }
                let stems = globStems(expanded, rootDirectory: rootDirectory)
                globs.append(GlobRecord(pattern: expanded, stems: stems))
                columns.append((p.key, stems))
            case .scalar:
                d.error("foreach key '\(p.key)' needs a list of values or {glob: PATTERN}", at: tree.location(p.value))
                ok = false
            }
        }
        guard ok else { return nil }
        // Refuse an explosion before building it.
        var product = 1
        for (_, values) in columns {
            product = product.multipliedReportingOverflow(by: max(values.count, 0)).partialValue
            if product > JobfileLoader.maximumInstances || product < 0 {
                d.error("'foreach' makes more than \(JobfileLoader.maximumInstances) instances", at: tree.location(node))
                return nil
            }
        }
        var result: [[(String, String)]] = [[]]
        for (key, values) in columns {
            var next: [[(String, String)]] = []
            next.reserveCapacity(result.count * values.count)
            for prefix in result { for v in values { next.append(prefix + [(key, v)]) } }
            result = next
        }
        return result
    }

    /// The stems (file names without their last extension) of the files matching `pattern`,
    /// read relative to the project root, sorted.
    static func globStems(_ pattern: String, rootDirectory: String) -> [String] {
        let absolute = pattern.hasPrefix("/") ? pattern : rootDirectory + "/" + pattern
        return (filesInOneDirectory(absolute) ?? globFiles(absolute)).map { base in
            if let dot = base.lastIndex(of: "."), dot != base.startIndex { return String(base[..<dot]) }
            return base
        }
    }

    /// The names of the files (not directories) that `pattern` matches, by glob(3), in its order.
    static func globFiles(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        // GLOB_MARK ends each directory (or link to one) with a slash.
        guard glob(pattern, GLOB_MARK, nil, &g) == 0 else { return [] }
        var names: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            guard let p = g.gl_pathv[i] else { continue }
            let path = String(cString: p)
            if path.hasSuffix("/") { continue }
            names.append(FileOperations.baseName(path))
        }
        return names
    }

    /// `globFiles` for the usual pattern, wildcards in the file name only (`in/*.txt`): one
    /// directory read, each entry matched by fnmatch(3) as glob(3) would, its type taken from
    /// the directory entry (glob(3) `stat`s every match to mark directories: 100,000 `stat`s
    /// for a foreach over 100,000 files, on every plan check). Sorted as glob(3) sorts in the C
    /// locale, by bytes. Nil for any other pattern (glob(3) reads it).
    static func filesInOneDirectory(_ pattern: String) -> [String]? {
        let wildcards: Set<UInt8> = [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "\\")]
        guard let slash = pattern.utf8.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let directory = String(pattern[..<slash]), name = String(pattern[pattern.index(after: slash)...])
        guard !directory.isEmpty, !directory.utf8.contains(where: wildcards.contains),
              name.utf8.contains(where: wildcards.contains) else { return nil }
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let matched = withUnsafePointer(to: &entry.pointee.d_name) { raw in
                raw.withMemoryRebound(to: CChar.self, capacity: 256) { entryName -> String? in
                    guard fnmatch(name, entryName, FNM_PERIOD) == 0 else { return nil }
                    return String(cString: entryName)
                }
            }
            guard let matched else { continue }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_DIR): continue
            case Int32(DT_REG): names.append(matched)
            default:
                // A link, or a file system that does not give types: as glob(3), by `stat`.
                var st = stat()
                if stat(directory + "/" + matched, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { continue }
                names.append(matched)
            }
        }
        names.sort { a, b in a.utf8.lexicographicallyPrecedes(b.utf8) }
        return names
    }
}
