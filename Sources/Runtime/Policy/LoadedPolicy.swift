public import Atomics
public import BundleFormat
import JOSE

/// An entry ready to verify tokens. A class, so a decision that reads an entry copies one
/// reference rather than every field of the entry.
final class RuntimeEntry: Sendable {
    let entry: Entry
    /// The keys: fixed, or replaced by the decision service's refresher.
    let keys: EntryKeys
    /// The entry's token rules with the keys it was loaded with (the bootstrap set for
    /// remote keys); a new generation reuses its `policy`.
    let verifierTemplate: JWTVerifier
    /// The claim paths of `entry.claimChecks` and of `entry.forwardedClaims`, in their
    /// order, with each name's lookup key made once.
    let claimCheckPaths: [[JSONMemberName]]
    let forwardedClaimPaths: [[JSONMemberName]]
    /// Per token location: the one-place `foundAt` of a token found only there, and the
    /// one-name removal list of its header, made once so a decision shares them instead of
    /// allocating an array for each.
    let singlePlaces: [[FoundToken]]
    let singleRemovals: [[String]]

    init(entry: Entry, keys: EntryKeys, verifierTemplate: JWTVerifier) {
        self.entry = entry
        self.keys = keys
        self.verifierTemplate = verifierTemplate
        claimCheckPaths = entry.claimChecks.map { $0.path.map(JSONMemberName.init) }
        forwardedClaimPaths = entry.forwardedClaims.map { $0.path.map(JSONMemberName.init) }
        singlePlaces = entry.tokenLocations.map { [FoundToken($0)] }
        singleRemovals = entry.tokenLocations.map { [$0.name] }
    }

    /// For remote keys: when a fetch (or the bootstrap) last confirmed the set in use.
    var keysConfirmedAt: Double? {
        if case .remote(let slot) = keys { return slot.confirmedAt }
        return nil
    }
}

/// A loaded bundle: immutable, `Sendable`, and shared by any number of threads with no
/// locks. The tries are turned into hash tables once, so a decision costs one lookup per
/// host label and per path segment.
public final class LoadedPolicy: Sendable, AtomicReference {
    public let program: DecisionProgram
    let entries: [RuntimeEntry]
    let domainTable: [DomainTableNode]
    let classRoots: [UInt32]
    let pathTable: [PathTableNode]
    /// Every forwarded-claim header of every entry, lowercased: removed from every request.
    let forwardedHeaders: [String]
    /// Bit n set when some forwarded-claim header is n bytes long (bit 63: 63 or more), so
    /// a request header of another length is passed over without comparing its name.
    let forwardedHeaderLengths: UInt64
    /// The entries with `allowCorsPreflight`, by index.
    let corsPreflightEntries: [Int]
    /// The distinct key set URLs and their entries.
    let remoteSources: [RemoteKeySource]
    /// Unique in the process: the verified-token cache, shared by the policies of one
    /// loader, keys on it so a result never crosses from one loaded bundle to another.
    let instanceID: UInt64
    /// Verified tokens, shared with the other policies of the loader; nil when off.
    let tokenCache: VerifiedTokenCache?

    /// The bundle's revision.
    public var revision: String { program.manifest.revision }

    /// What the verified-token cache has done (all zero when it is off). The cache is the
    /// loader's, so the counters go on across the policies it loads.
    public var tokenCacheStatistics: TokenCacheStatistics {
        tokenCache?.statistics ?? TokenCacheStatistics()
    }

    init(program: DecisionProgram, entries: [RuntimeEntry], tokenCache: VerifiedTokenCache? = nil) {
        self.program = program
        self.entries = entries
        self.tokenCache = tokenCache
        instanceID = LoadedPolicy.instances.wrappingIncrementThenLoad(ordering: .relaxed)
        domainTable = program.domainNodes.map { node in
            DomainTableNode(edges: ByteKeyTable(node.edges.map { ($0.label, $0.node) }),
                            endClass: node.endClass, fallOffClass: node.fallOffClass)
        }
        classRoots = program.domainClasses.map(\.pathRoot)
        pathTable = program.pathNodes.enumerated().map { index, node in
            // Folded keys that are not plain ASCII lowercase cannot be met by ASCII folding
            // of a normalised segment (which is ASCII); they stay in the table harmlessly.
            PathTableNode(exact: ByteKeyTable(node.exact.map { ($0.segment, $0.node) }),
                          folded: ByteKeyTable(node.folded.map { ($0.segment, $0.node) }),
                          other: node.other,
                          isSink: node.exact.isEmpty && node.folded.isEmpty && node.other == UInt32(index),
                          protecting: node.protecting.members, matchedRules: node.matchedRules,
                          splits: node.methodSplits.map { MethodOutcome(methods: $0.methods, protecting: $0.protecting.members, matchedRules: $0.matchedRules) })
        }
        corsPreflightEntries = program.entries.indices.filter { program.entries[$0].allowCorsPreflight }
        forwardedHeaders = Array(Set(program.entries.flatMap { $0.forwardedClaims.map(\.header) })).sorted()
        forwardedHeaderLengths = forwardedHeaders.reduce(0) { $0 | Self.lengthBit($1.utf8.count) }
        remoteSources = Self.sources(of: entries)
    }

    private static let instances = ManagedAtomic<UInt64>(0)

    /// The bit of ``forwardedHeaderLengths`` for a name of `count` bytes.
    @inline(__always)
    static func lengthBit(_ count: Int) -> UInt64 { 1 << UInt64(min(count, 63)) }
}

/// A domain trie node as the runtime walks it (a class, so walking copies one reference).
final class DomainTableNode: Sendable {
    let edges: ByteKeyTable
    let endClass: UInt32
    let fallOffClass: UInt32

    init(edges: ByteKeyTable, endClass: UInt32, fallOffClass: UInt32) {
        self.edges = edges
        self.endClass = endClass
        self.fallOffClass = fallOffClass
    }
}

/// A path trie node as the runtime walks it (a class, so walking copies one reference).
final class PathTableNode: Sendable {
    let exact: ByteKeyTable
    let folded: ByteKeyTable
    let other: UInt32
    /// No edges and `other` leads back here: the rest of the path cannot change anything.
    let isSink: Bool
    /// Indices of the entries that protect a path ending here, in name order.
    let protecting: [Int]
    let matchedRules: [UInt32]
    /// Outcomes for the methods rules with `methods` name (at most nine).
    let splits: [MethodOutcome]
    /// Bit `b` set when a request with `MethodMask` bit `b` ending here has a protecting
    /// entry; bit 15 for the methods no rule can name. Lets the decision of a request that
    /// needs no token skip the outcome arrays (and their reference counting) entirely.
    let protectedMethods: UInt16

    init(exact: ByteKeyTable, folded: ByteKeyTable, other: UInt32, isSink: Bool, protecting: [Int], matchedRules: [UInt32],
         splits: [MethodOutcome] = []) {
        self.splits = splits
        self.exact = exact
        self.folded = folded
        self.other = other
        self.isSink = isSink
        self.protecting = protecting
        self.matchedRules = matchedRules
        var protectedMethods: UInt16 = protecting.isEmpty ? 0 : 1 << 15
        for bit in 0..<15 {
            let outcome = splits.first { $0.methods & (1 << UInt16(bit)) != 0 }?.protecting ?? protecting
            if !outcome.isEmpty { protectedMethods |= 1 << UInt16(bit) }
        }
        self.protectedMethods = protectedMethods
    }
}

/// A path node's protecting entries and matched rules for some methods.
struct MethodOutcome: Sendable {
    let methods: UInt16
    let protecting: [Int]
    let matchedRules: [UInt32]
}

extension PathTableNode {
    /// Whether some entry protects a request with this method ending here.
    @inline(__always)
    func protects(methodBit: Int?) -> Bool {
        protectedMethods >> UInt16(methodBit ?? 15) & 1 == 1
    }

    /// The outcome for a method's `MethodMask` bit (nil: a method no rule can name).
    func outcome(methodBit: Int?) -> (protecting: [Int], matchedRules: [UInt32]) {
        if let methodBit {
            for split in splits where split.methods & (1 << UInt16(methodBit)) != 0 {
                return (split.protecting, split.matchedRules)
            }
        }
        return (protecting, matchedRules)
    }
}
