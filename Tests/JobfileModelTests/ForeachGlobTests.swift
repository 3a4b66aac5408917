import Foundation
import JobBasics
@testable import JobfileModel
import Testing

/// `foreach` globs: a pattern with wildcards in the file name only is read from one directory
/// listing; it must match what glob(3) matches, in glob(3)'s order.
@Suite("Foreach globs")
struct ForeachGlobTests {
    @Test func aDirectoryListingMatchesWhatGlobMatches() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for name in ["a.txt", "B.txt", "b.txt", ".hidden.txt", "c[1].txt", "x.md", "weird name.txt", "ü.txt",
                     "Z9.txt", "a.b.txt", "sub/inner.txt"] {
            try dir.write(name, name)
        }
        try dir.makeDirectory("folder.txt")
        try dir.symlink("to-folder.txt", to: dir.file("sub"))
        try dir.symlink("to-file.txt", to: dir.file("a.txt"))
        try dir.symlink("dangling.txt", to: dir.file("nowhere"))
        let patterns = ["*.txt", "?.txt", "[ab].txt", "[!a]*.txt", ".*", "*", "c\\[1\\].txt", "*.md", "nomatch*",
                        "*.TXT", "[[:upper:]]*"]
        var listed = 0
        for p in patterns {
            let pattern = dir.path + "/" + p
            let fromListing = try #require(Foreach.filesInOneDirectory(pattern), "\(p) should be read from the listing")
            #expect(fromListing == Foreach.globFiles(pattern), "\(p)")
            listed += fromListing.count
        }
        #expect(listed > 20)
        #expect(Foreach.filesInOneDirectory(dir.path + "/*.txt")?.contains("folder.txt") == false)
        #expect(Foreach.filesInOneDirectory(dir.path + "/*.txt")?.contains("to-folder.txt") == false)
        #expect(Foreach.filesInOneDirectory(dir.path + "/*.txt")?.contains("to-file.txt") == true)
        // Wildcards in a directory, or none at all: glob(3) reads those.
        #expect(Foreach.filesInOneDirectory(dir.path + "/*/inner.txt") == nil)
        #expect(Foreach.filesInOneDirectory(dir.path + "/a.txt") == nil)
        #expect(Foreach.globStems("*/inner.txt", rootDirectory: dir.path) == ["inner", "inner"])   // sub/, and through to-folder.txt
        #expect(Foreach.filesInOneDirectory(dir.path + "/missing/*.txt") == [])
    }
}

/// The compiled plan's header says which Jobfile it was made from, without reading the rest.
@Suite("Compiled plan")
struct CompiledPlanTests {
    @Test func aStoredPlanIsKnownByItsKeyFromItsFirstBytes() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let text = "version: 1\nrules:\n  r:\n    output: o.txt\n    run: x\n"
        let jobfile = try load(text, in: dir)
        let key = ContentDigest.of(string: "one"), other = ContentDigest.of(string: "two")
        let path = dir.file("cache/plan.bin")
        #expect(!CompiledPlan.isStored(path: path, key: key))
        CompiledPlan.store(jobfile, key: key, path: path)
        #expect(CompiledPlan.isStored(path: path, key: key))
        #expect(!CompiledPlan.isStored(path: path, key: other))
        #expect(CompiledPlan.load(path: path, key: key, text: text)?.instances.map(\.name) == ["r"])
        try dir.write("cache/plan.bin", "garbage")
        #expect(!CompiledPlan.isStored(path: path, key: key))
    }
}
