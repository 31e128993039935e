import Diagnostics
import FrontEnd

/// Rules within one entry: exact duplicates, rules shadowed by a broader rule, a
/// blacklist that protects nothing, and a whitelist rule that exempts everything.
enum RuleCheck {
    static func check(_ entry: EntryParts, into diagnostics: inout DiagnosticBag) {
        guard let authorization = entry.authorization else { return }
        let rules = authorization.rules
        let mode = authorization.mode
        if mode.value == .blacklist && rules.isEmpty {
            diagnostics.warning(.blacklistWithoutRules, "blacklist entry \(entry.displayName) has no rules, so it protects nothing",
                                at: mode.span, hint: "add the domain and path rules that need a token, or use `mode: whitelist`")
        }
        let shapes = rules.map(RuleShape.init)
        var reported = [Bool](repeating: false, count: rules.count)
        // Exact duplicates, found by hashing instead of comparing every pair.
        var firstOfShape: [RuleShape: Int] = [:]
        for index in shapes.indices {
            if mode.value == .whitelist && shapes[index].domain == .any && shapes[index].path.segments == nil && shapes[index].methods == nil {
                diagnostics.warning(.whitelistMatchesEverything, "this whitelist rule matches every request, so entry \(entry.displayName) protects nothing",
                                    at: rules[index].span, hint: "give the rule a domain or a path, or disable the entry")
            }
            if let first = firstOfShape[shapes[index]] {
                diagnostics.warning(.duplicateRule, "this rule repeats an earlier rule of \(entry.displayName)", at: rules[index].span,
                                    notes: [DiagnosticNote("the earlier rule is here", at: rules[first].span)], hint: "remove one of them")
                reported[index] = true
            } else {
                firstOfShape[shapes[index]] = index
            }
        }
        for index in shapes.indices where !reported[index] {
            for other in shapes.indices where other != index && !reported[other] {
                guard shapes[index] != shapes[other], shapes[index].isCovered(by: shapes[other]) else { continue }
                diagnostics.warning(.shadowedRule, "this rule is redundant: a broader rule of \(entry.displayName) already matches every request it matches",
                                    at: rules[index].span, notes: [DiagnosticNote("the broader rule is here", at: rules[other].span)],
                                    hint: "remove it, or narrow the broader rule")
                reported[index] = true
                break
            }
        }
    }
}

/// What a rule matches, without its source locations: cheap to copy, hash and compare.
struct RuleShape: Hashable {
    let domain: DomainPattern
    let path: PathPattern
    let ignoreCase: Bool
    /// Method bits; nil: any method.
    let methods: UInt16?
    /// The literal segments lowercased once, for case-insensitive comparisons.
    let folded: [String?]

    init(_ rule: Rule) {
        methods = rule.methodMask
        domain = rule.domain.value
        path = rule.path.value
        ignoreCase = rule.ignoreCase.value
        folded = (rule.path.value.segments ?? []).map { segment in
            if case .literal(let text) = segment { return text.lowercased() }
            return nil
        }
    }

    static func == (lhs: RuleShape, rhs: RuleShape) -> Bool {
        lhs.domain == rhs.domain && lhs.path == rhs.path && lhs.ignoreCase == rhs.ignoreCase && lhs.methods == rhs.methods
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(domain)
        hasher.combine(path)
        hasher.combine(ignoreCase)
        hasher.combine(methods)
    }

    /// Every request this rule matches is matched by `other`.
    func isCovered(by other: RuleShape) -> Bool {
        domain.isCovered(by: other.domain) && methodsAreCovered(by: other) && pathIsCovered(by: other)
    }

    func methodsAreCovered(by other: RuleShape) -> Bool {
        guard let theirs = other.methods else { return true }
        guard let mine = methods else { return false }
        return mine & ~theirs == 0
    }

    /// Some request matches both rules.
    func intersects(_ other: RuleShape) -> Bool {
        domain.intersects(other.domain) && (methods ?? ~0) & (other.methods ?? ~0) != 0 && pathIntersects(other)
    }

    func pathIsCovered(by other: RuleShape) -> Bool {
        let mine = path.allSegments, theirs = other.path.allSegments
        if other.path.isSubtree {
            guard mine.count >= theirs.count else { return false }
        } else {
            guard !path.isSubtree, mine.count == theirs.count else { return false }
        }
        for index in theirs.indices {
            switch (mine[index], theirs[index]) {
            case (_, .anySegment): continue
            case (.anySegment, .literal): return false
            case (.literal(let a), .literal(let b)):
                if other.ignoreCase {
                    if folded[index] != other.folded[index] { return false }
                } else {
                    // A case-insensitive literal also matches other spellings, which `other` does not.
                    if a != b { return false }
                    if ignoreCase && a.lowercased() != a.uppercased() { return false }
                }
            }
        }
        return true
    }

    func pathIntersects(_ other: RuleShape) -> Bool {
        let mine = path.allSegments, theirs = other.path.allSegments
        if mine.count != theirs.count {
            let shorterIsSubtree = mine.count < theirs.count ? path.isSubtree : other.path.isSubtree
            guard shorterIsSubtree else { return false }
        }
        for index in 0..<min(mine.count, theirs.count) {
            if case .literal(let x) = mine[index], case .literal(let y) = theirs[index] {
                // When either side folds, the case-sensitive side's spelling (or any) is shared.
                if ignoreCase || other.ignoreCase {
                    if folded[index] != other.folded[index] { return false }
                } else if x != y {
                    return false
                }
            }
        }
        return true
    }
}

extension Rule {
    /// Every request this rule matches is matched by `other`.
    func isCovered(by other: Rule) -> Bool {
        RuleShape(self).isCovered(by: RuleShape(other))
    }

    /// Some request matches both rules.
    func intersects(_ other: Rule) -> Bool {
        RuleShape(self).intersects(RuleShape(other))
    }
}

extension PathPattern {
    var allSegments: [Segment] { segments ?? [] }
    var isSubtree: Bool { segments == nil || matchesSubtree }
}
