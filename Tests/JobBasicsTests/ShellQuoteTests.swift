import JobBasics
import Testing

@Suite("Shell quoting")
struct ShellQuoteTests {
    @Test func safeWordsStayAsTheyAre() {
        for word in ["abc", "build/out.mp4", "a-b_c.d", "x=1", "user@host:path", "50%", "a+b", "1,2"] {
            #expect(shellQuote(word) == word)
        }
    }

    @Test func otherWordsAreSingleQuoted() {
        #expect(shellQuote("") == "''")
        #expect(shellQuote("a b") == "'a b'")
        #expect(shellQuote("$HOME") == "'$HOME'")
        #expect(shellQuote("it's") == "'it'\\''s'")
        #expect(shellQuote("*") == "'*'")
        #expect(shellQuote("~") == "'~'")
        #expect(shellQuote("ünï") == "'ünï'")
    }

    @Test func joinQuotesEachWord() {
        #expect(shellJoin(["ffmpeg", "-i", "my clip.mp4", "-y", "out.mp4"]) == "ffmpeg -i 'my clip.mp4' -y out.mp4")
        #expect(shellJoin([]) == "")
        #expect(shellJoin(["", "a"]) == "'' a")
    }

    static let nastyWords: [String] = [
        "with space",
        "it's",
        "\"double\" quotes",
        "$HOME",
        "${PATH}",
        "$(echo pwned)",
        "`id`",
        "line one\nline two",
        "trailing newline\n",
        "back\\slash\\n",
        "tab\there",
        "semi;colon && rm -rf nothing | cat > x",
        "*",
        "~",
        "-n",
        "!bang",
        "a'b\"c$d`e\\f\ng'",
        "''",
        "ünïcödé ✓",
        "",
    ]

    @Test(arguments: nastyWords)
    func quotedWordRoundTripsThroughShell(_ word: String) throws {
        let result = try runProgram(["/bin/sh", "-c", "printf %s " + shellQuote(word)])
        #expect(result.status == 0)
        #expect(result.stdout == Array(word.utf8))
    }

    @Test func joinedArgvRoundTripsThroughShell() throws {
        let words = Self.nastyWords
        let command = shellJoin(["printf", "%s|"] + words)
        let result = try runProgram(["/bin/sh", "-c", command])
        #expect(result.status == 0)
        #expect(result.stdout == Array(words.map { $0 + "|" }.joined().utf8))
    }

    @Test func replacingAllReplacesEveryOccurrence() {
        #expect("a-b-c".replacingAll("-", with: "+") == "a+b+c")
        #expect("aaa".replacingAll("aa", with: "b") == "ba")
        #expect("abc".replacingAll("", with: "x") == "abc")
        #expect("abc".replacingAll("z", with: "x") == "abc")
        #expect("it's".replacingAll("'", with: "'\\''") == "it'\\''s")
    }
}

@Suite("Durations")
struct DurationTests {
    static let valid: [(String, Double)] = [
        ("90s", 90), ("10m", 600), ("1h", 3600), ("500ms", 0.5), ("1.5s", 1.5),
        ("42", 42), ("0.25", 0.25), ("2h", 7200), ("5ms", 0.005), (" 2m ", 120), ("0s", 0),
    ]

    @Test(arguments: valid)
    func parses(_ text: String, _ seconds: Double) throws {
        let value = try #require(parseDurationSeconds(text))
        #expect(abs(value - seconds) < 1e-9)
    }

    @Test(arguments: ["abc", "-1s", "-1", "", "s", "ms", "m", "1x", "1.5.s", "soon", "1 h s", "inf", "nan", "infs", "-0.5m"])
    func refuses(_ text: String) {
        #expect(parseDurationSeconds(text) == nil)
    }
}
