public import Diagnostics
public import FrontEnd

/// Runs every check beyond structure on a decoded policy set. Each check is a small
/// function in its own file; the checker composes them.
public struct Checker: Sendable {
    public init() {}

    public func check(_ policySet: PolicySet) -> DiagnosticBag {
        var diagnostics = DiagnosticBag()
        for entry in policySet.entries {
            KeyCheck.check(entry, into: &diagnostics)
            ClaimTypeCheck.check(entry, into: &diagnostics)
            RuleCheck.check(entry, into: &diagnostics)
        }
        SetCheck.check(policySet.entries, into: &diagnostics)
        return diagnostics
    }
}
