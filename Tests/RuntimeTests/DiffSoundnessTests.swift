import BundleFormat
import Compiler
import Diagnostics
import Runtime
import TestSupport
import XCTest

/// `gatepass diff` checked against the runtime, not against the walk that produces it:
/// random policy sets and a mutation of each are compiled, loaded and asked the same
/// requests. Whenever a request's class changes (public, protected, or by which entries),
/// the report must name that change; whenever a protecting entry's attributes change, the
/// report must name that class; and every witness the report prints must show its change
/// when the runtime decides it.
final class DiffSoundnessTests: XCTestCase {
    static let pairs = 2_500
    static let requestsPerPair = 160

    func testEveryChangeOfClassIsReportedAndEveryWitnessShowsItsChange() throws {
        var failures: [String] = []
        var changedPairs = 0
        for seed in 0..<UInt64(Self.pairs) {
            var generator = MutatedPolicyPairs(seed: 0x50DD_0000 &+ seed)
            let old = generator.policySet()
            let (new, mutation) = generator.mutate(old)
            let pair = try Pair(old: old, new: new)
            let report = PolicyDiff.compare(old: pair.old.program, new: pair.new.program)
            if !report.changes.isEmpty { changedPairs += 1 }
            let context = { "pair \(seed) (\(mutation)):\nOLD\n\(old.yaml)\nNEW\n\(new.yaml)" }

            for request in generator.requests(old, new, count: Self.requestsPerPair) {
                let before = pair.protecting(pair.old, request), after = pair.protecting(pair.new, request)
                for expected in Self.expectedChanges(before: before, after: after, old: old, new: new)
                where !report.changes.contains(where: { expected.matches($0) }) {
                    failures.append("\(request): \(expected) is not reported; \(report.changes.map(\.changeClass))\n\(context())")
                }
            }
            for change in report.changes {
                for witness in change.witnesses {
                    // A witness's methods are requests of that region as written (`other` is itself a method outside the nine).
                    let request = MutatedPolicyPairs.Request(host: witness.host, path: witness.path, method: witness.methods?.first ?? "GET",
                                                             preflight: witness.corsPreflight)
                    let before = pair.protecting(pair.old, request), after = pair.protecting(pair.new, request)
                    let shows = change.changeClass.isRegionClass
                        ? before == change.before && after == change.after
                        : before.contains(change.before[0]) && after.contains(change.after[0])
                    if !shows {
                        failures.append("witness \(witness) of \(change.changeClass) \(change.before) -> \(change.after) decides \(before) -> \(after)\n\(context())")
                    }
                }
            }
            if failures.count >= 5 { break }
        }
        XCTAssertEqual(failures, [], failures.prefix(3).joined(separator: "\n\n"))
        // The generator must produce real changes, or the test proves nothing.
        if failures.isEmpty { XCTAssertGreaterThan(changedPairs, Self.pairs / 2) }
    }

    /// The region classes a request implies, and the attribute classes of the entries
    /// that protect it on both sides.
    static func expectedChanges(before: [String], after: [String], old: MutatedPolicyPairs.PolicySet,
                                new: MutatedPolicyPairs.PolicySet) -> [ExpectedChange] {
        var expected: [ExpectedChange] = []
        switch (before.isEmpty, after.isEmpty) {
        case (false, true): expected.append(ExpectedChange(changeClass: .newlyPublic, before: before, after: after))
        case (true, false): expected.append(ExpectedChange(changeClass: .newlyProtected, before: before, after: after))
        case (false, false) where before != after: expected.append(ExpectedChange(changeClass: .moved, before: before, after: after))
        default: break
        }
        for name in Set(before).intersection(after).sorted() {
            guard let a = old.entries.first(where: { $0.name == name }), let b = new.entries.first(where: { $0.name == name }) else { continue }
            if a.audience != b.audience { expected.append(ExpectedChange(changeClass: .audiences, before: [name], after: [name])) }
            if a.scope != b.scope { expected.append(ExpectedChange(changeClass: .claims, before: [name], after: [name])) }
        }
        return expected
    }

    struct ExpectedChange: CustomStringConvertible {
        var changeClass: ChangeClass
        var before: [String]
        var after: [String]

        func matches(_ change: Change) -> Bool {
            change.changeClass == changeClass && change.before == before && change.after == after
        }

        var description: String { "\(changeClass) \(before) -> \(after)" }
    }

    /// Both sides compiled and loaded, with every HMAC secret taken from the environment.
    struct Pair {
        struct Side {
            let program: DecisionProgram
            let policy: LoadedPolicy
        }

        let old: Side
        let new: Side

        init(old: MutatedPolicyPairs.PolicySet, new: MutatedPolicyPairs.PolicySet) throws {
            self.old = try Self.side(old)
            self.new = try Self.side(new)
        }

        static func side(_ set: MutatedPolicyPairs.PolicySet) throws -> Side {
            let outcome = Pipeline().compile(files: [SourceFile(path: "set.yaml", text: set.yaml)])
            let program = try XCTUnwrap(outcome.program, TextRenderer().render(outcome.check.diagnostics.sorted) + "\n" + set.yaml)
            let policy = try PolicyLoader(environment: { _ in String(repeating: "s", count: 64) }).load(program: program)
            return Side(program: program, policy: policy)
        }

        /// The entries the runtime says protect a request (sorted by name, as the report's).
        func protecting(_ side: Side, _ request: MutatedPolicyPairs.Request) -> [String] {
            let headers = request.preflight
                ? [HTTPHeader("Origin", "https://app.example"), HTTPHeader("Access-Control-Request-Method", "POST")] : []
            let decision = side.policy.decide(HTTPRequest(method: request.method, host: request.host, target: request.path, headers: headers),
                                              now: 1_767_225_600, explain: true)
            return (decision.explanation?.protecting.map(\.name) ?? []).sorted()
        }
    }
}

/// Random policy sets as values (so they can be mutated one change at a time) with their
/// YAML, and requests built from both sides' labels and segments.
struct MutatedPolicyPairs {
    var random: SplitMix64

    static let labels = ["a", "b", "ai", "example", "com"]
    static let segments = ["v1", "chat", "admin", "Admin", "x"]

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    enum Domain: Hashable {
        case any, star, wildcard([String]), exact([String])

        var yaml: String? {
            switch self {
            case .any: nil
            case .star: "\"*\""
            case .wildcard(let labels): "\"*.\(labels.joined(separator: "."))\""
            case .exact(let labels): "\"\(labels.joined(separator: "."))\""
            }
        }

        var labels: [String] {
            switch self {
            case .any, .star: []
            case .wildcard(let labels), .exact(let labels): labels
            }
        }
    }

    struct RuleValue: Hashable {
        var domain: Domain
        /// Segments of the path pattern (`*`, `**` included); nil omits `path`.
        var path: [String]?
        var trailingSlash: Bool
        var ignoreCase: Bool?
        /// `methods`; nil omits it.
        var methods: [String]? = nil

        var yaml: String {
            var fields: [String] = []
            if let methods { fields.append("methods: [\(methods.joined(separator: ", "))]") }
            if let domain = domain.yaml { fields.append("domain: \(domain)") }
            if let path { fields.append("path: \"/\(path.joined(separator: "/"))\(trailingSlash && !path.isEmpty && path.last != "**" ? "/" : "")\"") }
            if let ignoreCase { fields.append("ignoreCase: \(ignoreCase)") }
            return "{ " + fields.joined(separator: ", ") + " }"
        }
    }

    struct EntryValue {
        var name: String
        var mode: String
        var enabled: Bool
        var audience: String?
        var scope: String?
        /// `hosts`: exact or wildcard patterns; nil applies everywhere.
        var hosts: [Domain]?
        var rules: [RuleValue]
        var allowCorsPreflight = false
    }

    struct PolicySet {
        var entries: [EntryValue]

        var yaml: String {
            entries.enumerated().map { index, entry in
                var lines = ["version: 1", "name: \(entry.name)", "issuer: https://issuer-\(index).example"]
                if !entry.enabled { lines.append("enabled: false") }
                if let audience = entry.audience { lines.append("audiences: [\(audience)]") }
                lines.append("jwks: { keys: [ { kty: oct, kid: k\(index), alg: HS256, kEnv: SECRET_\(index) } ] }")
                if let scope = entry.scope { lines.append("claims: { scope: { contains: \"\(scope)\" } }") }
                if let hosts = entry.hosts { lines.append("hosts: [\(hosts.compactMap(\.yaml).joined(separator: ", "))]") }
                if entry.allowCorsPreflight { lines.append("allowCorsPreflight: true") }
                lines += ["authorization:", "  mode: \(entry.mode)"]
                if entry.rules.isEmpty {
                    lines.append("  rules: []")
                } else {
                    lines.append("  rules:")
                    lines += entry.rules.map { "    - \($0.yaml)" }
                }
                return lines.joined(separator: "\n")
            }.joined(separator: "\n---\n") + "\n"
        }
    }

    struct Request: CustomStringConvertible {
        var host: String?
        var path: String
        var method = "GET"
        /// Sent with `Origin` and `Access-Control-Request-Method`.
        var preflight = false
        var description: String { "\(method)\(preflight ? " (preflight)" : "") \(host ?? "(no host)") \(path)" }
    }

    /// Methods requests use: standard ones, one outside the nine, and a lower-case spelling.
    static let requestMethods = ["GET", "HEAD", "POST", "OPTIONS", "DELETE", "PATCH", "PROPFIND", "get"]
    static let ruleMethods = ["GET", "HEAD", "POST", "OPTIONS", "DELETE"]

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &random)! }
    mutating func labels(_ range: ClosedRange<Int>) -> [String] { (0..<Int.random(in: range, using: &random)).map { _ in pick(Self.labels) } }

    mutating func domain() -> Domain {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: .any
        case 1: .star
        case 2, 3, 4, 5: .wildcard(labels(1...3))
        default: .exact(labels(1...3))
        }
    }

    mutating func path() -> [String]? {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return nil
        case 1: return []
        case 2: return ["**"]
        default:
            var segments = (0..<Int.random(in: 1...3, using: &random)).map { _ in chance(20) ? "*" : pick(Self.segments) }
            if chance(40) { segments.append("**") }
            return segments
        }
    }

    mutating func rule() -> RuleValue {
        RuleValue(domain: domain(), path: path(), trailingSlash: chance(15), ignoreCase: chance(40) ? chance(50) : nil,
                  methods: chance(30) ? methods() : nil)
    }

    /// One to three distinct methods, in a random order.
    mutating func methods() -> [String] {
        var result: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let method = pick(Self.ruleMethods)
            if !result.contains(method) { result.append(method) }
        }
        return result
    }

    mutating func entry(named name: String) -> EntryValue {
        let mode = chance(50) ? "whitelist" : "blacklist"
        let count = Int.random(in: mode == "blacklist" ? 1...4 : 0...4, using: &random)
        return EntryValue(name: name, mode: mode, enabled: !chance(10), audience: chance(30) ? pick(["chat", "api"]) : nil,
                          scope: chance(30) ? pick(["read", "write"]) : nil, hosts: chance(25) ? hosts() : nil,
                          rules: (0..<count).map { _ in rule() }, allowCorsPreflight: chance(25))
    }

    /// One or two distinct exact or wildcard host patterns.
    mutating func hosts() -> [Domain] {
        var result: [Domain] = []
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            let pattern: Domain = chance(40) ? .wildcard(labels(1...2)) : .exact(labels(1...3))
            if !result.contains(pattern) { result.append(pattern) }
        }
        return result
    }

    mutating func policySet() -> PolicySet {
        PolicySet(entries: (0..<Int.random(in: 1...3, using: &random)).map { entry(named: "entry-\($0)") })
    }

    /// One change of the kinds a pull request makes, described for failure messages.
    mutating func mutate(_ set: PolicySet) -> (PolicySet, String) {
        var result = set
        let index = Int.random(in: 0..<set.entries.count, using: &random)
        var entry = result.entries[index]
        let description: String
        switch Int.random(in: 0..<14, using: &random) {
        case 0 where !entry.rules.isEmpty:
            let rule = Int.random(in: 0..<entry.rules.count, using: &random)
            entry.rules[rule].domain = domain()
            description = "domain of rule \(rule) of \(entry.name)"
        case 1 where !entry.rules.isEmpty:
            let rule = Int.random(in: 0..<entry.rules.count, using: &random)
            entry.rules[rule].path = path()
            description = "path of rule \(rule) of \(entry.name)"
        case 2:
            entry.rules.append(rule())
            description = "rule added to \(entry.name)"
        case 3 where entry.rules.count > (entry.mode == "blacklist" ? 1 : 0):
            entry.rules.remove(at: Int.random(in: 0..<entry.rules.count, using: &random))
            description = "rule removed from \(entry.name)"
        case 4 where !entry.rules.isEmpty:
            entry.mode = entry.mode == "blacklist" ? "whitelist" : "blacklist"
            description = "mode of \(entry.name)"
        case 5 where !entry.rules.isEmpty:
            let rule = Int.random(in: 0..<entry.rules.count, using: &random)
            entry.rules[rule].ignoreCase = !(entry.rules[rule].ignoreCase ?? (entry.mode == "blacklist"))
            description = "ignoreCase of rule \(rule) of \(entry.name)"
        case 6:
            entry.enabled.toggle()
            description = "enabled of \(entry.name)"
        case 7 where set.entries.count > 1:
            result.entries.remove(at: index)
            return (result, "\(entry.name) removed")
        case 8:
            entry.audience = entry.audience == nil ? "chat" : nil
            description = "audience of \(entry.name)"
        case 9:
            entry.scope = entry.scope == "write" ? "read" : "write"
            description = "scope of \(entry.name)"
        case 10:
            entry.hosts = entry.hosts == nil || chance(30) ? hosts() : nil
            description = "hosts of \(entry.name)"
        case 11 where !entry.rules.isEmpty:
            let rule = Int.random(in: 0..<entry.rules.count, using: &random)
            entry.rules[rule].methods = entry.rules[rule].methods == nil || chance(40) ? methods() : nil
            description = "methods of rule \(rule) of \(entry.name)"
        case 12:
            entry.allowCorsPreflight.toggle()
            description = "allowCorsPreflight of \(entry.name)"
        default:
            result.entries.append(self.entry(named: "entry-\(set.entries.count)"))
            return (result, "entry added")
        }
        result.entries[index] = entry
        return (result, description)
    }

    /// Requests near both sides' rules: their hosts, deeper subdomains and case variants,
    /// their paths with children, siblings and trailing slashes, and random ones.
    mutating func requests(_ old: PolicySet, _ new: PolicySet, count: Int) -> [Request] {
        let rules = (old.entries + new.entries).flatMap(\.rules)
        var hosts: [String?] = [nil]
        var paths: [String] = ["/"]
        let scopes = (old.entries + new.entries).flatMap { $0.hosts ?? [] }
        for domain in rules.map(\.domain) + scopes {
            let suffix = domain.labels
            if !suffix.isEmpty {
                hosts.append(suffix.joined(separator: "."))
                hosts.append((["x"] + suffix).joined(separator: "."))
                hosts.append((["a", "b"] + suffix).joined(separator: "."))
                hosts.append(suffix.joined(separator: ".").uppercased())
                if suffix.count > 1 { hosts.append(suffix.dropFirst().joined(separator: ".")) }
            }
        }
        for rule in rules {
            if let pattern = rule.path {
                let literal = pattern.map { $0 == "*" ? "seg" : $0 }.filter { $0 != "**" }
                let base = "/" + literal.joined(separator: "/")
                paths += [base, base + "/", base + "/child", base + "/child/deeper", base.uppercased(), base.lowercased()]
                if !literal.isEmpty {
                    paths.append("/" + (literal.dropLast() + ["sibling"]).joined(separator: "/"))
                }
            }
        }
        var requests: [Request] = []
        for _ in 0..<count {
            let host: String? = chance(15) ? labels(1...5).joined(separator: ".") : pick(hosts)
            var path = chance(15) ? "/" + (0..<Int.random(in: 0...4, using: &random)).map { _ in pick(Self.segments) }.joined(separator: "/") : pick(paths)
            if path.isEmpty { path = "/" }
            let method = chance(40) ? "GET" : pick(Self.requestMethods)
            requests.append(Request(host: host, path: path, method: method, preflight: method == "OPTIONS" && chance(60)))
        }
        return requests
    }
}
