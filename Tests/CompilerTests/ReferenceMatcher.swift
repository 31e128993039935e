import FrontEnd

/// A request as the matcher sees it: an optional host and a path.
struct Request: CustomStringConvertible {
    var host: String?
    var path: String
    /// Compared case-sensitively with rules' `methods`.
    var method = "GET"

    /// Host labels, lowercased (hosts compare case-insensitively).
    var labels: [String]? {
        host.map { $0.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Path segments; empty segments (a trailing slash, `/` itself) are dropped.
    var segments: [String] {
        path.split(separator: "/").map(String.init)
    }

    var description: String { "\(method) \(host ?? "(no host)")\(path)" }
}

/// The rule semantics written directly from the specification, with no tries: the
/// oracle the compiled program is compared with.
enum ReferenceMatcher {
    /// Names of the enabled entries that protect `request`.
    static func protecting(_ entries: [AuthenticationEntry], _ request: Request) -> Set<String> {
        var names: Set<String> = []
        for entry in entries where entry.enabled.value {
            // `hosts` scope the entry in either mode; without a host every entry applies.
            if let hosts = entry.hosts, request.labels != nil, !hosts.contains(where: { domainMatches($0.value, request.labels) }) { continue }
            let matched = entry.authorization.rules.contains { matches($0, request) }
            switch entry.authorization.mode.value {
            case .blacklist: if matched { names.insert(entry.name.value) }
            case .whitelist: if !matched { names.insert(entry.name.value) }
            }
        }
        return names
    }

    static func matches(_ rule: Rule, _ request: Request) -> Bool {
        domainMatches(rule.domain.value, request.labels)
            && (rule.methods.map { methods in methods.contains { $0.value == request.method } } ?? true)
            && pathMatches(rule.path.value, ignoreCase: rule.ignoreCase.value, request.segments)
    }

    /// Exact: equal labels. `*.suffix`: more labels than the suffix, ending in all of its
    /// labels. Any: every host, and the only pattern that matches no host.
    static func domainMatches(_ pattern: DomainPattern, _ labels: [String]?) -> Bool {
        switch pattern {
        case .any:
            return true
        case .exact(let host):
            guard let labels else { return false }
            return labels == host.lowercased().split(separator: ".").map(String.init)
        case .wildcard(let suffix):
            guard let labels else { return false }
            let suffixLabels = suffix.lowercased().split(separator: ".").map(String.init)
            return labels.count > suffixLabels.count && Array(labels.suffix(suffixLabels.count)) == suffixLabels
        }
    }

    /// Literal segments compare exactly (or folded), `*` takes one non-empty segment, a
    /// trailing `/**` also takes the path itself and anything below, no path takes all.
    static func pathMatches(_ pattern: PathPattern, ignoreCase: Bool, _ segments: [String]) -> Bool {
        guard let patternSegments = pattern.segments else { return true }
        if pattern.matchesSubtree {
            guard segments.count >= patternSegments.count else { return false }
        } else {
            guard segments.count == patternSegments.count else { return false }
        }
        for (expected, actual) in zip(patternSegments, segments) {
            switch expected {
            case .anySegment:
                if actual.isEmpty { return false }
            case .literal(let literal):
                if ignoreCase ? literal.lowercased() != actual.lowercased() : literal != actual { return false }
            }
        }
        return true
    }
}
