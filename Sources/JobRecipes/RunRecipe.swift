import JobBasics

/// `run:`: a string for `/bin/sh -c`, or a list run as argv without a shell.
public enum RunRecipe: Recipe {
    public static let name = "run"

    public static func invocation(_ request: RecipeRequest, diagnostics: inout DiagnosticBag) -> RecipeInvocation? {
        switch request.parameters {
        case .scalar(let template, let location):
            if template.parts.isEmpty || template.plainText?.trimmingSpaces().isEmpty == true {
                diagnostics.error("'run' is empty", at: location)
                return nil
            }
            return RecipeInvocation(kind: name, commands: [.shell(template)])
        case .list(let items, let location):
            var argv: [CommandTemplate] = []
            for item in items {
                guard case .scalar(let t, _) = item else {
                    diagnostics.error("each item of a 'run' list must be a string", at: item.location)
                    return nil
                }
                argv.append(t)
            }
            if argv.isEmpty {
                diagnostics.error("'run' is an empty list", at: location)
                return nil
            }
            return RecipeInvocation(kind: name, commands: [.argv(argv)])
        case .map(_, let location):
            diagnostics.error("'run' must be a string or a list of strings", at: location)
            return nil
        }
    }
}
