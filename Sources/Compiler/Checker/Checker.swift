public import Diagnostics
public import FrontEnd

/// Runs every check beyond structure on a decoded policy set. Each check is a small
/// function in its own file; the checker composes them.
public struct Checker: Sendable {
    public init() {}

    /// The diagnostics, and the verified keys of each entry by name (for lowering).
    public struct Result: Sendable {
        public var diagnostics: DiagnosticBag
        var keys: [String: [CheckedKey]]
    }

    public func check(_ policySet: PolicySet) -> Result {
        var diagnostics = DiagnosticBag()
        var keys: [String: [CheckedKey]] = [:]
        for entry in policySet.entries {
            let parts = entry.parts
            keys[entry.name.value] = KeyCheck.check(parts, into: &diagnostics)
            ClaimTypeCheck.check(parts, into: &diagnostics)
            RuleCheck.check(parts, into: &diagnostics)
        }
        // Entries with structural errors: every part that was read cleanly is still
        // checked, so one mistake never hides another (a leaked key behind a typo).
        for parts in policySet.incompleteEntries {
            _ = KeyCheck.check(parts, into: &diagnostics)
            ClaimTypeCheck.check(parts, into: &diagnostics)
            RuleCheck.check(parts, into: &diagnostics)
        }
        SetCheck.check(policySet.entries, into: &diagnostics)
        return Result(diagnostics: diagnostics, keys: keys)
    }
}
