import Diagnostics
import FrontEnd

/// Checks across the whole set: entries sharing an issuer, and exemptions that another
/// entry overrides.
enum SetCheck {
    static func check(_ entries: [AuthenticationEntry], into diagnostics: inout DiagnosticBag) {
        let enabled = entries.filter(\.enabled.value)
        checkSharedIssuers(enabled, into: &diagnostics)
        checkOverriddenExemptions(enabled, into: &diagnostics)
        checkUnscopedWhitelists(enabled, into: &diagnostics)
    }

    /// A whitelist entry without `hosts` protects every host of the gateway, as the
    /// console's global authentication does: also the hosts other entries were written
    /// for, which then need this entry's token too.
    static func checkUnscopedWhitelists(_ entries: [AuthenticationEntry], into diagnostics: inout DiagnosticBag) {
        for entry in entries where entry.hosts == nil && entry.authorization.mode.value == .whitelist {
            let own = Set(entry.authorization.rules.map(\.domain.value))
            var named: [String: Set<String>] = [:]
            for other in entries where other.name.value != entry.name.value {
                let scope = other.hosts?.map(\.value) ?? other.authorization.rules.map(\.domain.value)
                for pattern in scope where pattern != .any && !own.contains(pattern) {
                    named[pattern.description, default: []].insert(other.name.value)
                }
            }
            guard !named.isEmpty else { continue }
            let listed = named.keys.sorted().prefix(4).map { "`\($0)` (\(named[$0]!.sorted().joined(separator: ", ")))" }
            let more = named.count > 4 ? " and \(named.count - 4) more" : ""
            let ownHosts = own.filter { $0 != .any }.map(\.description).sorted()
            let hint = ownHosts.isEmpty
                ? "add `hosts:` with the hosts this entry protects, so it applies there only"
                : "add `hosts: [\(ownHosts.joined(separator: ", "))]` if it protects only the hosts its rules name"
            diagnostics.warning(.unscopedWhitelist,
                                "whitelist entry `\(entry.name.value)` has no `hosts`, so it also protects hosts other entries target: \(listed.joined(separator: ", "))\(more)",
                                at: entry.authorization.mode.span, hint: hint)
        }
    }

    /// Whether an entry applies on some host of `domain` (always, without `hosts`).
    static func applies(_ entry: AuthenticationEntry, on domain: DomainPattern) -> Bool {
        entry.hosts?.contains { $0.value.intersects(domain) } ?? true
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
        let index = BlacklistIndex(entries)
        let whitelists = entries.indices.filter { entries[$0].authorization.mode.value == .whitelist }
        let whitelistShapes = whitelists.map { entries[$0].authorization.rules.map(RuleShape.init) }
        for (position, entryIndex) in whitelists.enumerated() {
            let entry = entries[entryIndex]
            for (ruleIndex, rule) in entry.authorization.rules.enumerated() {
                let shape = whitelistShapes[position][ruleIndex]
                var witnesses: [Int: (String, SourceSpan?)] = [:]
                for (otherEntry, otherRule) in index.candidates(for: shape.domain)
                where otherEntry != entryIndex && witnesses[otherEntry] == nil && index.shapes[otherEntry]![otherRule].intersects(shape)
                    && applies(entries[otherEntry], on: shape.domain) {
                    let other = entries[otherEntry]
                    witnesses[otherEntry] = ("`\(other.name.value)` protects them with this rule", other.authorization.rules[otherRule].span)
                }
                for (otherPosition, otherIndex) in whitelists.enumerated() where otherIndex != entryIndex && applies(entries[otherIndex], on: shape.domain) {
                    if whitelistShapes[otherPosition].contains(where: { shape.isCovered(by: $0) }) { continue }
                    let other = entries[otherIndex]
                    witnesses[otherIndex] = ("`\(other.name.value)` is a whitelist entry that does not exempt all of them", other.authorization.mode.span)
                }
                for otherIndex in witnesses.keys.sorted(by: { entries[$0].name.value < entries[$1].name.value }) {
                    let other = entries[otherIndex], witness = witnesses[otherIndex]!
                    diagnostics.warning(.exemptionOverridden,
                                        "requests this rule exempts from `\(entry.name.value)` are still protected by `\(other.name.value)`, so they are not public",
                                        at: rule.span, notes: [DiagnosticNote(witness.0, at: witness.1)],
                                        hint: other.authorization.mode.value == .whitelist
                                            ? "if they should be public, add the same whitelist rule to `\(other.name.value)` too"
                                            : "if they should be public, narrow or remove the blacklist rule of `\(other.name.value)` that matches them")
                }
            }
        }
    }
}

/// Blacklist rules by domain pattern, so a rule finds the rules whose domains can meet
/// its own without comparing every pair.
struct BlacklistIndex {
    var shapes: [Int: [RuleShape]] = [:]
    private var byDomain: [DomainPattern: [(entry: Int, rule: Int)]] = [:]

    init(_ entries: [AuthenticationEntry]) {
        for (entryIndex, entry) in entries.enumerated() where entry.authorization.mode.value == .blacklist {
            shapes[entryIndex] = entry.authorization.rules.map(RuleShape.init)
            for (ruleIndex, rule) in entry.authorization.rules.enumerated() {
                byDomain[rule.domain.value, default: []].append((entryIndex, ruleIndex))
            }
        }
    }

    /// Rules whose domain pattern intersects `domain`, in a stable order.
    func candidates(for domain: DomainPattern) -> [(entry: Int, rule: Int)] {
        var patterns: [DomainPattern] = [.any]
        switch domain {
        case .exact(let host):
            patterns.append(.exact(host))
            var labels = host.split(separator: ".").map(String.init)
            while labels.count > 1 {
                labels.removeFirst()
                patterns.append(.wildcard(suffix: labels.joined(separator: ".")))
            }
        case .wildcard, .any:
            patterns = byDomain.keys.filter { $0.intersects(domain) }.sorted { $0.sortKey < $1.sortKey }
        }
        return patterns.flatMap { byDomain[$0] ?? [] }
    }
}
