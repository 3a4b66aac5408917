import JobBasics
@testable import JobfileModel
import JobRecipes
import Testing

/// A rule's body is read in one pass (`RuleFields`), by a switch over the keys that
/// `RuleExpansion.ruleKeys` lists for suggestions: the two must name the same keys.
@Suite("Rule fields")
struct RuleFieldsTests {
    @Test func everyRuleKeyIsReadAndEveryRecipeIsARecipe() throws {
        for key in RuleExpansion.ruleKeys.sorted() + RecipeRegistry.allNames.sorted() {
            let document = try #require(try YAMLDocument.parse("\(key): x\n", expansionLimit: 1_000))
            var d = DiagnosticBag()
            let body = try #require(YAMLTree(file: "J", document: document).mapping(document.root, what: "r", diagnostics: &d))
            let fields = RuleExpansion.RuleFields(body)
            #expect(fields.unknown.isEmpty, "\(key)")
            #expect(fields.recipes.isEmpty == RuleExpansion.ruleKeys.contains(key), "\(key)")
        }
        let unknown = try #require(try YAMLDocument.parse("outptu: x\n", expansionLimit: 1_000))
        var d = DiagnosticBag()
        let body = try #require(YAMLTree(file: "J", document: unknown).mapping(unknown.root, what: "r", diagnostics: &d))
        #expect(RuleExpansion.RuleFields(body).unknown.map(\.key) == ["outptu"])
    }
}
