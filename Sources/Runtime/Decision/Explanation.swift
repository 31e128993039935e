/// How a decision was reached, for `--explain` and test failures.
public struct Explanation: Sendable, Hashable {
    /// The normalised host (nil when missing) and path.
    public var host: String?
    public var path: String
    /// The request method, as sent (methods are case-sensitive).
    public var method: String
    /// The entries a CORS preflight passed without a token (`allowCorsPreflight`).
    public var corsPreflightBypassed: [String]
    /// The trie walk: the domain class and the path node that decided.
    public var domainClass: String
    public var domainClassIndex: Int
    public var pathNode: Int
    /// The entries that protect the request, with the rules that decided it.
    public var protecting: [ProtectingEntry]
    /// The token: where it was found and what its header says.
    public var token: TokenSummary?
    /// Every check made, in order, with its outcome.
    public var checks: [Check]

    public struct ProtectingEntry: Sendable, Hashable {
        public var name: String
        public var mode: String
        /// For blacklist entries, the matching rules (with their `methods`); for whitelist
        /// entries, the entry itself (no rule exempts the request).
        public var because: [String]
    }

    public struct TokenSummary: Sendable, Hashable {
        public var foundAt: [String]
        public var issuer: String?
        public var algorithm: String?
        public var kid: String?
    }

    public struct Check: Sendable, Hashable {
        public var entry: String?
        public var name: String
        public var passed: Bool
        public var detail: String
    }
}
