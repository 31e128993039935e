/// A request in the one canonical form that rules are matched against.
///
/// Built by `RequestNormalizer`; two requests that any common backend would route the
/// same way either normalise to the same value or are refused.
public struct NormalizedRequest: Sendable {
    public var method: String
    public var host: NormalizedHost
    /// The path and the query, as `PathNormalizer` found them.
    public var target: NormalizedPath
    /// The headers as received, for token extraction and forwarding.
    public var headers: [HTTPHeader]

    public init(method: String, host: NormalizedHost, target: NormalizedPath, headers: [HTTPHeader]) {
        self.method = method
        self.host = host
        self.target = target
        self.headers = headers
    }

    /// The normalised path: starts with `/`, no empty, `.` or `..` segments, no trailing
    /// slash (except `/` itself), unreserved escapes decoded, other escapes uppercased.
    public var path: String { target.path }
    /// The segments of `path`, as slices of it. `/` has none.
    public var pathSegments: PathSegments { target.segments }
    /// What follows the first `?` up to the fragment, as a slice of the request-target;
    /// `nil` when there is no `?`. Used only to find query-parameter tokens.
    public var rawQuery: Substring? { target.rawQuery }
}

/// The host of a request, classified and in canonical form.
public enum NormalizedHost: Sendable, Hashable {
    /// No host at all (or an empty one): only rules for any domain apply.
    case missing
    /// A DNS-style name: lowercased, without port or trailing dot, as its labels: slices
    /// of the name from the last label to the first (`["com", "example", "api"]`), the
    /// order the domain trie is walked in; `labels.name` is the name.
    case name(HostLabels)
    /// A dotted-quad IPv4 address (`192.0.2.1`).
    case ipv4(String)
    /// An IPv6 literal with its brackets, in RFC 5952 canonical form (`[2001:db8::1]`).
    case ipv6(String)

    /// The name `text`, whose labels are `labelsReversed` (they must agree).
    public static func name(_ text: String, labelsReversed: HostLabels) -> NormalizedHost {
        precondition(labelsReversed.name == text, "the labels of `\(text)` are not \(labelsReversed)")
        return .name(labelsReversed)
    }

    /// The host as text (`nil` when missing): what rules' domains are compared with.
    public var text: String? {
        switch self {
        case .missing: return nil
        case .name(let labels): return labels.name
        case .ipv4(let address): return address
        case .ipv6(let literal): return literal
        }
    }
}
