/// The lowered, optimised policy set: exactly what a bundle holds and what the runtime
/// evaluates. The compiler builds it; `BundleWriter` serialises it; `BundleReader`
/// validates and rebuilds it. It holds no YAML and no source text, only a source map.
public struct DecisionProgram: Sendable, Hashable {
    public var manifest: Manifest
    /// Enabled entries, sorted by name. An entry's index is its bit in every `EntrySet`.
    public var entries: [Entry]
    /// Every verification key of every entry.
    public var keys: [Key]
    /// The domain trie over reversed host labels. Node 0 is the root.
    public var domainNodes: [DomainNode]
    /// The domain class used when a request has no host: rules for any domain only.
    public var missingHostClass: UInt32
    /// Domain classes: each names the root node of the path trie for that class.
    public var domainClasses: [DomainClass]
    /// All path-trie nodes of all classes.
    public var pathNodes: [PathNode]
    /// Every rule, for explanations and the source map.
    public var rules: [RuleInfo]
    /// Locations in the policy sources, referenced by index.
    public var sourceMap: [SourceLocation]

    public init(manifest: Manifest, entries: [Entry], keys: [Key], domainNodes: [DomainNode], missingHostClass: UInt32,
                domainClasses: [DomainClass], pathNodes: [PathNode], rules: [RuleInfo], sourceMap: [SourceLocation]) {
        self.manifest = manifest
        self.entries = entries
        self.keys = keys
        self.domainNodes = domainNodes
        self.missingHostClass = missingHostClass
        self.domainClasses = domainClasses
        self.pathNodes = pathNodes
        self.rules = rules
        self.sourceMap = sourceMap
    }
}

/// What the bundle says about where it came from.
public struct Manifest: Sendable, Hashable {
    public var compilerVersion: String
    /// The revision: the content hash by default, or `--revision`.
    public var revision: String
    /// SHA-256 (lowercase hex) of each source file, by relative path, sorted by path.
    public var sources: [SourceDigest]

    public init(compilerVersion: String, revision: String, sources: [SourceDigest]) {
        self.compilerVersion = compilerVersion
        self.revision = revision
        self.sources = sources
    }
}

public struct SourceDigest: Sendable, Hashable {
    public var path: String
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}

/// A file, line and column in the policy sources.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: UInt32
    public var column: UInt32

    public init(file: String, line: UInt32, column: UInt32) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A set of entries as a bitset; bit `i` is `DecisionProgram.entries[i]`.
public struct EntrySet: Sendable, Hashable {
    public var words: [UInt64]

    public init(words: [UInt64]) {
        self.words = words
    }

    public init(count: Int) {
        words = [UInt64](repeating: 0, count: (count + 63) / 64)
    }

    public func contains(_ index: Int) -> Bool {
        let word = index / 64
        return word < words.count && words[word] & (1 << UInt64(index % 64)) != 0
    }

    public mutating func insert(_ index: Int) {
        let word = index / 64
        while words.count <= word { words.append(0) }
        words[word] |= 1 << UInt64(index % 64)
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// Member indices in increasing order.
    public var members: [Int] {
        var result: [Int] = []
        for (w, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                result.append(w * 64 + bit)
                bits &= bits - 1
            }
        }
        return result
    }
}

/// An enabled authentication entry, lowered.
public struct Entry: Sendable, Hashable {
    public enum Mode: UInt8, Sendable, Hashable {
        case whitelist = 0, blacklist = 1
    }

    public var name: String
    public var mode: Mode
    public var issuer: String
    public var subject: String?
    public var audiences: [String]
    /// The JWS algorithm names allowed; never empty after lowering.
    public var algorithms: [String]
    public var clockSkew: UInt32
    public var requireExpiration: Bool
    public var maxLifetime: UInt32?
    /// Indices into `DecisionProgram.keys`.
    public var keyIndices: [UInt32]
    public var tokenLocations: [TokenLocation]
    public var claimChecks: [ClaimCheck]
    public var forwardedClaims: [ForwardedClaim]
    /// Where the entry is declared (its `name`), an index into the source map.
    public var source: UInt32
    /// A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is
    /// not protected by this entry.
    public var allowCorsPreflight: Bool
    /// Keys fetched at run time from an identity provider (`jwksUri` or `discovery`); nil
    /// when the entry's keys are all in the bundle. With remote keys, `keyIndices` are the
    /// bootstrap set embedded by `compile --fetch-jwks` (possibly none).
    public var remoteKeys: RemoteKeys?

    public init(name: String, mode: Mode, issuer: String, subject: String?, audiences: [String], algorithms: [String],
                clockSkew: UInt32, requireExpiration: Bool, maxLifetime: UInt32?, keyIndices: [UInt32],
                tokenLocations: [TokenLocation], claimChecks: [ClaimCheck], forwardedClaims: [ForwardedClaim], source: UInt32,
                allowCorsPreflight: Bool = false, remoteKeys: RemoteKeys? = nil) {
        self.allowCorsPreflight = allowCorsPreflight
        self.remoteKeys = remoteKeys
        self.name = name
        self.mode = mode
        self.issuer = issuer
        self.subject = subject
        self.audiences = audiences
        self.algorithms = algorithms
        self.clockSkew = clockSkew
        self.requireExpiration = requireExpiration
        self.maxLifetime = maxLifetime
        self.keyIndices = keyIndices
        self.tokenLocations = tokenLocations
        self.claimChecks = claimChecks
        self.forwardedClaims = forwardedClaims
        self.source = source
    }
}

/// Where an entry's keys are fetched from at run time, and how often.
public struct RemoteKeys: Sendable, Hashable {
    /// The URL fetched: the `jwksUri`, or with `discovery` the issuer's
    /// `/.well-known/openid-configuration` document (whose `jwks_uri` is then fetched).
    public var url: String
    /// Whether `url` is an OpenID discovery document rather than a JWKS.
    public var discovery: Bool
    /// `allowInsecureJwksUri`: `http` is accepted (loopback addresses only).
    public var allowInsecure: Bool
    /// `jwksRefresh`, in seconds.
    public var refresh: Refresh
    /// When the bootstrap keys were fetched (seconds since the epoch), nil without them.
    public var bootstrapFetchedAt: UInt64?

    /// `jwksRefresh`: the interval without caching headers, its bounds, how long the last
    /// good set serves while fetches fail, and the least time between unknown-kid refetches.
    public struct Refresh: Sendable, Hashable {
        public var defaultInterval: UInt32
        public var minInterval: UInt32
        public var maxInterval: UInt32
        public var maxStale: UInt32
        public var cooldown: UInt32

        /// 10 min, 1 min, 1 h, 24 h, 30 s.
        public static let defaults = Refresh(defaultInterval: 600, minInterval: 60, maxInterval: 3600, maxStale: 86_400, cooldown: 30)

        public init(defaultInterval: UInt32, minInterval: UInt32, maxInterval: UInt32, maxStale: UInt32, cooldown: UInt32) {
            self.defaultInterval = defaultInterval
            self.minInterval = minInterval
            self.maxInterval = maxInterval
            self.maxStale = maxStale
            self.cooldown = cooldown
        }
    }

    public init(url: String, discovery: Bool, allowInsecure: Bool, refresh: Refresh = .defaults, bootstrapFetchedAt: UInt64? = nil) {
        self.url = url
        self.discovery = discovery
        self.allowInsecure = allowInsecure
        self.refresh = refresh
        self.bootstrapFetchedAt = bootstrapFetchedAt
    }
}

/// Where a token is read from.
public struct TokenLocation: Sendable, Hashable {
    public enum Source: UInt8, Sendable, Hashable {
        case header = 0, query = 1, cookie = 2
    }

    public var source: Source
    /// Lowercased for headers; exact for query parameters and cookies.
    public var name: String
    public var prefix: String
    public var passthrough: Bool

    public init(source: Source, name: String, prefix: String, passthrough: Bool) {
        self.source = source
        self.name = name
        self.prefix = prefix
        self.passthrough = passthrough
    }
}

/// A verification key, pre-parsed: DER SubjectPublicKeyInfo, a raw HMAC secret, or the
/// name of an environment variable holding the secret (resolved at load time).
public struct Key: Sendable, Hashable {
    public enum Material: Sendable, Hashable {
        case spki([UInt8])
        case secret([UInt8])
        case secretFromEnvironment(String)
    }

    public var kid: String?
    public var algorithm: String?
    /// RFC 7638 thumbprint (base64url); for an environment secret, empty until loaded.
    public var thumbprint: String
    public var material: Material
    public var source: UInt32

    public init(kid: String?, algorithm: String?, thumbprint: String, material: Material, source: UInt32) {
        self.kid = kid
        self.algorithm = algorithm
        self.thumbprint = thumbprint
        self.material = material
        self.source = source
    }
}

/// One claim requirement, lowered to a small instruction.
public struct ClaimCheck: Sendable, Hashable {
    public enum Operation: Sendable, Hashable {
        case equals(ClaimLiteral)
        case oneOf([ClaimLiteral])
        case contains(ClaimLiteral)
        case containsAll([ClaimLiteral])
        case containsAny([ClaimLiteral])
        case atLeast(Double)
        case atMost(Double)
        case present
        case absent
        /// The claim must have this type when present (from `type:`).
        case hasType(ClaimValueType)
    }

    public var path: [String]
    public var operation: Operation
    public var source: UInt32

    public init(path: [String], operation: Operation, source: UInt32) {
        self.path = path
        self.operation = operation
        self.source = source
    }
}

public enum ClaimLiteral: Sendable, Hashable {
    case string(String)
    case number(Double)
    case boolean(Bool)
}

public enum ClaimValueType: UInt8, Sendable, Hashable {
    case string = 0, number = 1, integer = 2, boolean = 3, stringArray = 4
}

public struct ForwardedClaim: Sendable, Hashable {
    public var path: [String]
    /// Lowercased header name.
    public var header: String

    public init(path: [String], header: String) {
        self.path = path
        self.header = header
    }
}

/// A node of the domain trie. Edges are keyed by one lowercased host label, the trie is
/// walked from the last label (`com`) towards the first.
public struct DomainNode: Sendable, Hashable {
    /// Sorted by label, so the serialised form is deterministic.
    public var edges: [DomainEdge]
    /// The domain class when the host ends exactly at this node.
    public var endClass: UInt32
    /// The domain class when the host has more labels but no edge matches the next one.
    public var fallOffClass: UInt32

    public init(edges: [DomainEdge], endClass: UInt32, fallOffClass: UInt32) {
        self.edges = edges
        self.endClass = endClass
        self.fallOffClass = fallOffClass
    }
}

public struct DomainEdge: Sendable, Hashable {
    public var label: String
    public var node: UInt32

    public init(label: String, node: UInt32) {
        self.label = label
        self.node = node
    }
}

/// A set of domain patterns that matched; all requests in it share one path trie.
public struct DomainClass: Sendable, Hashable {
    public var pathRoot: UInt32
    /// Rule indices whose domain matched (for explanations).
    public var description: String

    public init(pathRoot: UInt32, description: String) {
        self.pathRoot = pathRoot
        self.description = description
    }
}

/// A node of a determinised path trie. A lookup tries `exact[segment]`, then
/// `folded[lowercased segment]`, then `other`: one step per segment, no backtracking.
public struct PathNode: Sendable, Hashable {
    public var exact: [PathEdge]
    public var folded: [PathEdge]
    public var other: UInt32
    /// The entries that protect a request whose path ends here.
    public var protecting: EntrySet
    /// The rules that match a path ending here (for explanations).
    public var matchedRules: [UInt32]
    /// Where rules with `methods` make the outcome depend on the request method: for the
    /// methods of a split, its protecting set and matched rules replace the node's own,
    /// which then hold for every other method. Masks are non-empty, disjoint, use only
    /// `MethodMask.known` bits, and are sorted; empty when no rule here names methods.
    public var methodSplits: [MethodSplit]

    public init(exact: [PathEdge], folded: [PathEdge], other: UInt32, protecting: EntrySet, matchedRules: [UInt32],
                methodSplits: [MethodSplit] = []) {
        self.exact = exact
        self.folded = folded
        self.other = other
        self.protecting = protecting
        self.matchedRules = matchedRules
        self.methodSplits = methodSplits
    }

    /// The protecting set and matched rules for a request method (its `MethodMask` bit,
    /// nil for a method outside the known set): at most nine splits, whatever the rules.
    public func outcome(methodBit: Int?) -> (protecting: EntrySet, matchedRules: [UInt32]) {
        if let methodBit {
            for split in methodSplits where split.methods & (1 << UInt16(methodBit)) != 0 {
                return (split.protecting, split.matchedRules)
            }
        }
        return (protecting, matchedRules)
    }
}

/// A path node's outcome for some request methods.
public struct MethodSplit: Sendable, Hashable {
    /// `MethodMask` bits.
    public var methods: UInt16
    public var protecting: EntrySet
    public var matchedRules: [UInt32]

    public init(methods: UInt16, protecting: EntrySet, matchedRules: [UInt32]) {
        self.methods = methods
        self.protecting = protecting
        self.matchedRules = matchedRules
    }
}

/// The HTTP methods a rule can name (RFC 9110 §9 and RFC 5789), one bit each in this
/// order. Method names are case-sensitive: `get` is not `GET`. Any other method matches
/// only rules without `methods`.
public enum MethodMask {
    public static let known = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"]
    /// Every known bit.
    public static let all: UInt16 = (1 << UInt16(known.count)) - 1
    /// The bit of `OPTIONS`.
    public static let optionsBit = 6

    /// The bit of a method, compared case-sensitively; nil outside the known set.
    public static func bit(of method: String) -> Int? {
        switch method {
        case "GET": 0
        case "HEAD": 1
        case "POST": 2
        case "PUT": 3
        case "DELETE": 4
        case "CONNECT": 5
        case "OPTIONS": 6
        case "TRACE": 7
        case "PATCH": 8
        default: nil
        }
    }

    public static func mask(_ methods: [String]) -> UInt16 {
        methods.reduce(0) { mask, method in mask | (bit(of: method).map { 1 << UInt16($0) } ?? 0) }
    }

    /// The method names of a mask, in the known order.
    public static func names(_ mask: UInt16) -> [String] {
        known.indices.filter { mask & (1 << UInt16($0)) != 0 }.map { known[$0] }
    }
}

public struct PathEdge: Sendable, Hashable {
    public var segment: String
    public var node: UInt32

    public init(segment: String, node: UInt32) {
        self.segment = segment
        self.node = node
    }
}

/// A rule as written, for explanations: its entry, its patterns and where it is.
public struct RuleInfo: Sendable, Hashable {
    public var entry: UInt32
    public var domain: String
    public var path: String
    public var ignoreCase: Bool
    public var source: UInt32
    /// The rule's `methods` as `MethodMask` bits; nil: any method.
    public var methods: UInt16?

    public init(entry: UInt32, domain: String, path: String, ignoreCase: Bool, source: UInt32, methods: UInt16? = nil) {
        self.methods = methods
        self.entry = entry
        self.domain = domain
        self.path = path
        self.ignoreCase = ignoreCase
        self.source = source
    }
}
