import Diagnostics
import FrontEnd

/// Rules within one entry: exact duplicates, rules shadowed by a broader rule, a
/// blacklist that protects nothing, and a whitelist rule that exempts everything.
enum RuleCheck {
    static func check(_ entry: AuthenticationEntry, into diagnostics: inout DiagnosticBag) {
        let rules = entry.authorization.rules
        let mode = entry.authorization.mode
        if mode.value == .blacklist && rules.isEmpty {
            diagnostics.warning(.blacklistWithoutRules, "blacklist entry `\(entry.name.value)` has no rules, so it protects nothing",
                                at: mode.span, hint: "add the domain and path rules that need a token, or use `mode: whitelist`")
        }
        var reported = Set<Int>()
        for (index, rule) in rules.enumerated() {
            if mode.value == .whitelist && rule.domain.value == .any && rule.path.value.segments == nil {
                diagnostics.warning(.whitelistMatchesEverything, "this whitelist rule matches every request, so entry `\(entry.name.value)` protects nothing",
                                    at: rule.span, hint: "give the rule a domain or a path, or disable the entry")
            }
            for (otherIndex, other) in rules.enumerated() where otherIndex < index {
                guard !reported.contains(index) else { break }
                if rule.isSame(as: other) {
                    diagnostics.warning(.duplicateRule, "this rule repeats an earlier rule of `\(entry.name.value)`", at: rule.span,
                                        notes: [DiagnosticNote("the earlier rule is here", at: other.span)], hint: "remove one of them")
                    reported.insert(index)
                }
            }
        }
        for (index, rule) in rules.enumerated() where !reported.contains(index) {
            for (otherIndex, other) in rules.enumerated() where otherIndex != index && !reported.contains(otherIndex) {
                if !rule.isSame(as: other), rule.isCovered(by: other) {
                    diagnostics.warning(.shadowedRule, "this rule is redundant: a broader rule of `\(entry.name.value)` already matches every request it matches",
                                        at: rule.span, notes: [DiagnosticNote("the broader rule is here", at: other.span)],
                                        hint: "remove it, or narrow the broader rule")
                    reported.insert(index)
                    break
                }
            }
        }
    }
}

extension Rule {
    func isSame(as other: Rule) -> Bool {
        domain.value == other.domain.value && path.value == other.path.value && ignoreCase.value == other.ignoreCase.value
    }

    /// Every request this rule matches is matched by `other`.
    func isCovered(by other: Rule) -> Bool {
        domain.value.isCovered(by: other.domain.value)
            && path.value.isCovered(by: other.path.value, ignoreCase: ignoreCase.value, otherIgnoresCase: other.ignoreCase.value)
    }

    /// Some request matches both rules.
    func intersects(_ other: Rule) -> Bool {
        domain.value.intersects(other.domain.value)
            && path.value.intersects(other.path.value, ignoreCase: ignoreCase.value, otherIgnoresCase: other.ignoreCase.value)
    }
}

extension PathPattern {
    var allSegments: [Segment] { segments ?? [] }
    var isSubtree: Bool { segments == nil || matchesSubtree }

    /// Every path this pattern matches is matched by `other`.
    func isCovered(by other: PathPattern, ignoreCase: Bool, otherIgnoresCase: Bool) -> Bool {
        let mine = allSegments, theirs = other.allSegments
        if other.isSubtree {
            guard mine.count >= theirs.count else { return false }
        } else {
            guard !isSubtree, mine.count == theirs.count else { return false }
        }
        for (segment, pattern) in zip(mine, theirs) {
            switch (segment, pattern) {
            case (_, .anySegment): continue
            case (.anySegment, .literal): return false
            case (.literal(let a), .literal(let b)):
                if otherIgnoresCase {
                    if a.lowercased() != b.lowercased() { return false }
                } else {
                    // A case-insensitive literal also matches other spellings, which `other` does not.
                    if a != b || (ignoreCase && a.lowercased() != a.uppercased()) { return false }
                }
            }
        }
        return true
    }

    /// Some path matches both patterns.
    func intersects(_ other: PathPattern, ignoreCase: Bool, otherIgnoresCase: Bool) -> Bool {
        let mine = allSegments, theirs = other.allSegments
        if mine.count != theirs.count {
            let shorter = mine.count < theirs.count ? self : other
            guard shorter.isSubtree else { return false }
        }
        for (a, b) in zip(mine, theirs) {
            if case .literal(let x) = a, case .literal(let y) = b {
                // When either side folds, the case-sensitive side's spelling (or any) is shared.
                let folded = ignoreCase || otherIgnoresCase
                if folded ? x.lowercased() != y.lowercased() : x != y { return false }
            }
        }
        return true
    }
}
