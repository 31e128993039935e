import Diagnostics
import FrontEnd

/// Checks across the whole set: entries sharing an issuer, and exemptions that another
/// entry overrides.
enum SetCheck {
    static func check(_ entries: [AuthenticationEntry], into diagnostics: inout DiagnosticBag) {
        let enabled = entries.filter(\.enabled.value)
        checkSharedIssuers(enabled, into: &diagnostics)
        checkOverriddenExemptions(enabled, into: &diagnostics)
    }

    /// The token's `iss` selects the entry; two entries with one issuer need another way apart.
    static func checkSharedIssuers(_ entries: [AuthenticationEntry], into diagnostics: inout DiagnosticBag) {
        var seen: [String: AuthenticationEntry] = [:]
        for entry in entries.sorted(by: { $0.name.value < $1.name.value }) {
            guard let first = seen[entry.issuer.value] else {
                seen[entry.issuer.value] = entry
                continue
            }
            let notes = [DiagnosticNote("entry `\(first.name.value)` has the same issuer", at: first.issuer.span)]
            if distinguished(first, entry) {
                diagnostics.note(.sharedIssuerDistinguished,
                                 "entries `\(first.name.value)` and `\(entry.name.value)` share the issuer `\(entry.issuer.value)`; they are told apart by audience or subject and tried in name order",
                                 at: entry.issuer.span, notes: notes)
            } else {
                diagnostics.error(.sharedIssuer, "entries `\(first.name.value)` and `\(entry.name.value)` share the issuer `\(entry.issuer.value)`, so the token's issuer no longer selects one entry",
                                  at: entry.issuer.span, notes: notes,
                                  hint: "give them different `subject`s or disjoint `audiences`, merge them, or disable one")
            }
        }
    }

    static func distinguished(_ a: AuthenticationEntry, _ b: AuthenticationEntry) -> Bool {
        if let x = a.subject?.value, let y = b.subject?.value, x != y { return true }
        let audiencesA = Set(a.audiences.map(\.value)), audiencesB = Set(b.audiences.map(\.value))
        return !audiencesA.isEmpty && !audiencesB.isEmpty && audiencesA.isDisjoint(with: audiencesB)
    }

    /// A whitelist rule exempts requests from its own entry only: another enabled entry
    /// may still protect them, so they are not public after all.
    static func checkOverriddenExemptions(_ entries: [AuthenticationEntry], into diagnostics: inout DiagnosticBag) {
        for entry in entries where entry.authorization.mode.value == .whitelist {
            for rule in entry.authorization.rules {
                for other in entries where other.name.value != entry.name.value {
                    guard let witness = protection(of: rule, by: other) else { continue }
                    diagnostics.warning(.exemptionOverridden,
                                        "requests this rule exempts from `\(entry.name.value)` are still protected by `\(other.name.value)`, so they are not public",
                                        at: rule.span, notes: [DiagnosticNote(witness.0, at: witness.1)],
                                        hint: "if they should be public, exempt them in `\(other.name.value)` too")
                }
            }
        }
    }

    /// Where `other` protects some request that `rule` matches, with a note and its place.
    static func protection(of rule: Rule, by other: AuthenticationEntry) -> (String, SourceSpan?)? {
        switch other.authorization.mode.value {
        case .blacklist:
            guard let hit = other.authorization.rules.first(where: { $0.intersects(rule) }) else { return nil }
            return ("`\(other.name.value)` protects them with this rule", hit.span)
        case .whitelist:
            if other.authorization.rules.contains(where: { rule.isCovered(by: $0) }) { return nil }
            return ("`\(other.name.value)` is a whitelist entry that does not exempt all of them", other.authorization.mode.span)
        }
    }
}
