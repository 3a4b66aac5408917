import JobBasics
import JobState
import Testing

@Suite("ActionKeyMaterial")
struct ActionKeyTests {
    static let base = ActionKeyMaterial(
        recipeKind: "run",
        commands: ["/bin/sh -c 'ffmpeg -i footage/a.mp4 build/a.mp4'"],
        parameters: "",
        environment: [(name: "LANG", value: "C")],
        outputs: ["build/a.mp4"],
        inputs: [(path: "footage/a.mp4", digest: ContentDigest(high: 1, low: 2))],
        tools: ["ffmpeg version 5.1.9"])

    static func changed(_ edit: (inout ActionKeyMaterial) -> Void) -> ActionKeyMaterial {
        var m = base
        edit(&m)
        return m
    }

    /// One change of each field, named.
    static let variants: [(String, ActionKeyMaterial)] = [
        ("recipe kind", changed { $0.recipeKind = "trim" }),
        ("command", changed { $0.commands = ["/bin/sh -c 'ffmpeg -i footage/a.mp4 -an build/a.mp4'"] }),
        ("second command", changed { $0.commands.append("true") }),
        ("parameters", changed { $0.parameters = "crf=20" }),
        ("env value", changed { $0.environment = [(name: "LANG", value: "C.UTF-8")] }),
        ("env name", changed { $0.environment = [(name: "LC_ALL", value: "C")] }),
        ("env added", changed { $0.environment.append((name: "TZ", value: "UTC")) }),
        ("output path", changed { $0.outputs = ["build/b.mp4"] }),
        ("output added", changed { $0.outputs.append("build/a.wav") }),
        ("input digest", changed { $0.inputs = [(path: "footage/a.mp4", digest: ContentDigest(high: 1, low: 3))] }),
        ("input path", changed { $0.inputs = [(path: "footage/b.mp4", digest: ContentDigest(high: 1, low: 2))] }),
        ("input added", changed { $0.inputs.append((path: "music.mp3", digest: ContentDigest(high: 9, low: 9))) }),
        ("tool", changed { $0.tools = ["ffmpeg version 6.0"] }),
        ("tool added", changed { $0.tools.append("espeak-ng 1.51") }),
    ]

    @Test func theSameMaterialGivesTheSameKey() {
        let again = ActionKeyMaterial(
            recipeKind: "run",
            commands: ["/bin/sh -c 'ffmpeg -i footage/a.mp4 build/a.mp4'"],
            parameters: "",
            environment: [(name: "LANG", value: "C")],
            outputs: ["build/a.mp4"],
            inputs: [(path: "footage/a.mp4", digest: ContentDigest(high: 1, low: 2))],
            tools: ["ffmpeg version 5.1.9"])
        #expect(again.key == Self.base.key)
        #expect(again.recipeDigest == Self.base.recipeDigest)
        #expect(again == Self.base)
        #expect(Self.base.key != Self.base.recipeDigest)
    }

    @Test func anyChangedFieldChangesTheKey() {
        var seen: [ContentDigest: String] = [Self.base.key: "base"]
        for (what, m) in Self.variants {
            #expect(m.key != Self.base.key, "changing the \(what) kept the key")
            if let other = seen[m.key] { Issue.record("\(what) and \(other) share a key") }
            seen[m.key] = what
            #expect(m != Self.base)
        }
    }

    @Test func recipeDigestIgnoresInputsOnly() {
        for (what, m) in Self.variants {
            let isInputChange = what.hasPrefix("input")
            if isInputChange {
                #expect(m.recipeDigest == Self.base.recipeDigest, "\(what) changed the recipe digest")
            } else {
                #expect(m.recipeDigest != Self.base.recipeDigest, "\(what) kept the recipe digest")
            }
        }
    }

    @Test func fieldBoundariesMatter() {
        let ab = Self.changed { $0.commands = ["ab", "c"] }
        let a_bc = Self.changed { $0.commands = ["a", "bc"] }
        #expect(ab.key != a_bc.key)
        let envSplit1 = Self.changed { $0.environment = [(name: "AB", value: "C")] }
        let envSplit2 = Self.changed { $0.environment = [(name: "A", value: "BC")] }
        #expect(envSplit1.key != envSplit2.key)
        // A command moved into the parameters is another action.
        let inCommand = Self.changed { $0.commands = ["x"]; $0.parameters = "" }
        let inParameters = Self.changed { $0.commands = []; $0.parameters = "x" }
        #expect(inCommand.key != inParameters.key)
        // Order of inputs is part of the key (they are given in declaration order).
        let two = Self.changed { $0.inputs.append((path: "b", digest: ContentDigest(high: 5, low: 5))) }
        let swapped = Self.changed { $0.inputs.insert((path: "b", digest: ContentDigest(high: 5, low: 5)), at: 0) }
        #expect(two.key != swapped.key)
    }
}
