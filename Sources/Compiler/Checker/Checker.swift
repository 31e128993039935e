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
            keys[entry.name.value] = KeyCheck.check(entry, into: &diagnostics)
            ClaimTypeCheck.check(entry, into: &diagnostics)
            RuleCheck.check(entry, into: &diagnostics)
        }
        SetCheck.check(policySet.entries, into: &diagnostics)
        return Result(diagnostics: diagnostics, keys: keys)
    }
}
