public import BundleFormat

/// Which decision regions of the tries, and which claim requirements, the cases exercised.
///
/// A region is the set of requests that reach the same domain class and path nodes with
/// the same protecting entries and matching rules, so they are decided alike. Each region
/// comes with a witness request (a host and a path, shortest first) so an uncovered region
/// can be read and tested.
public struct Coverage: Sendable {
    /// Requests of one region also share their method's outcome: rules with `methods`
    /// split a path node's requests by method, and a CORS preflight that an entry lets
    /// through (`allowCorsPreflight`) is a region of its own.
    public struct Region: Sendable, Hashable {
        public var domainClass: Int
        public var protecting: [Int]
        public var matchedRules: [UInt32]
        public var corsPreflight: Bool = false
    }

    public struct Witness: Sendable {
        public var host: String?
        public var path: String
        public var protecting: [String]
        /// The methods of the region (`GET, HEAD`, `methods other than GET`, `OPTIONS (CORS
        /// preflight)`); nil when the region holds every method.
        public var methods: String? = nil
    }

    public private(set) var regions: [Region: Witness] = [:]
    /// Claim checks by (entry index, check index), with their descriptions.
    public private(set) var claims: [ClaimKey: String] = [:]
    public private(set) var coveredRegions: Set<Region> = []
    public private(set) var coveredClaims: Set<ClaimKey> = []

    public struct ClaimKey: Sendable, Hashable {
        public var entry: Int
        public var check: Int
    }

    public init(program: DecisionProgram) {
        let hosts = Self.classWitnesses(program)
        for (classIndex, host) in hosts {
            for (node, segments) in Self.pathWitnesses(program, root: program.domainClasses[classIndex].pathRoot) {
                for (region, methods) in Self.methodRegions(program, domainClass: classIndex, pathNode: Int(node)) where regions[region] == nil {
                    let protecting = region.protecting.map { program.entries[$0].name }
                    regions[region] = Witness(host: host, path: "/" + segments.joined(separator: "/"), protecting: protecting, methods: methods)
                }
            }
        }
        for (entryIndex, entry) in program.entries.enumerated() {
            for (checkIndex, check) in entry.claimChecks.enumerated() {
                let location = Int(check.source) < program.sourceMap.count ? program.sourceMap[Int(check.source)].description : "?"
                claims[ClaimKey(entry: entryIndex, check: checkIndex)] =
                    "\(location): `\(entry.name)` claim \(check.path.joined(separator: ".")) \(BundleDump.describe(check.operation))"
            }
        }
    }

    /// The region a request of `method` reaches at a path node; `bypassed` are the entries
    /// a CORS preflight passed.
    static func region(_ program: DecisionProgram, domainClass: Int, pathNode: Int, method: String = "GET", bypassed: Set<Int> = []) -> Region {
        let outcome = program.pathNodes[pathNode].outcome(methodBit: MethodMask.bit(of: method))
        return Region(domainClass: domainClass, protecting: outcome.protecting.members.filter { !bypassed.contains($0) },
                      matchedRules: outcome.matchedRules, corsPreflight: !bypassed.isEmpty)
    }

    /// The regions of a path node, one per method outcome (and one for CORS preflights an
    /// entry lets through), with their methods as text (nil: every method).
    static func methodRegions(_ program: DecisionProgram, domainClass: Int, pathNode: Int) -> [(Region, String?)] {
        let node = program.pathNodes[pathNode]
        var result: [(Region, String?)] = []
        let split = node.methodSplits.reduce(UInt16(0)) { $0 | $1.methods }
        let others = MethodMask.names(MethodMask.all & ~split)
        result.append((Region(domainClass: domainClass, protecting: node.protecting.members, matchedRules: node.matchedRules),
                       split == 0 ? nil : others.isEmpty ? "methods other than the standard nine" : others.joined(separator: ", ") + " and other methods"))
        for methodSplit in node.methodSplits {
            result.append((Region(domainClass: domainClass, protecting: methodSplit.protecting.members, matchedRules: methodSplit.matchedRules),
                           MethodMask.names(methodSplit.methods).joined(separator: ", ")))
        }
        let options = node.outcome(methodBit: MethodMask.optionsBit)
        let bypassed = Set(options.protecting.members.filter { program.entries[$0].allowCorsPreflight })
        if !bypassed.isEmpty {
            result.append((region(program, domainClass: domainClass, pathNode: pathNode, method: "OPTIONS", bypassed: bypassed), "OPTIONS (CORS preflight)"))
        }
        return result
    }

    mutating func cover(region: Region) { coveredRegions.insert(region) }
    mutating func cover(claim: ClaimKey) { coveredClaims.insert(claim) }

    public var total: Int { regions.count + claims.count }
    public var covered: Int { coveredRegions.intersection(regions.keys).count + coveredClaims.intersection(claims.keys).count }
    public var percent: Double { total == 0 ? 100 : Double(covered) * 100 / Double(total) }

    /// Uncovered regions, in a stable order, with their witnesses.
    public var uncoveredRegions: [(Region, Witness)] {
        regions.filter { !coveredRegions.contains($0.key) }
            .sorted { ($0.key.domainClass, $0.value.path, $0.value.methods ?? "") < ($1.key.domainClass, $1.value.path, $1.value.methods ?? "") }
    }

    public var uncoveredClaims: [String] {
        claims.filter { !coveredClaims.contains($0.key) }.map(\.value).sorted()
    }

    /// A host for every domain class (nil is the request without host), shortest first.
    static func classWitnesses(_ program: DecisionProgram) -> [(Int, String?)] {
        var found: [Int: String?] = [Int(program.missingHostClass): nil]
        var queue: [(UInt32, [String])] = [(0, [])]
        var cursor = 0
        while cursor < queue.count {
            let (nodeIndex, labels) = queue[cursor]
            cursor += 1
            let node = program.domainNodes[Int(nodeIndex)]
            if !labels.isEmpty, found[Int(node.endClass)] == nil {
                found[Int(node.endClass)] = labels.reversed().joined(separator: ".")
            }
            if found[Int(node.fallOffClass)] == nil {
                let unlisted = TrieWalk.unusedWord(avoiding: Set(node.edges.map(\.label)))
                found[Int(node.fallOffClass)] = ([unlisted] + labels.reversed()).joined(separator: ".")
            }
            for edge in node.edges { queue.append((edge.node, labels + [edge.label])) }
        }
        return found.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
    }

    /// Every path node reachable from a root, with the shortest segments reaching it.
    static func pathWitnesses(_ program: DecisionProgram, root: UInt32) -> [(UInt32, [String])] {
        var seen: [UInt32: [String]] = [root: []]
        var order: [UInt32] = [root]
        var cursor = 0
        while cursor < order.count {
            let index = order[cursor]
            cursor += 1
            let node = program.pathNodes[Int(index)]
            let path = seen[index]!
            // Each step is a segment that really takes that edge in `TrieWalk`'s order.
            let exactKeys = Set(node.exact.map(\.segment))
            var steps = node.exact.map { ($0.node, $0.segment) }
            for edge in node.folded {
                // A spelling of the folded key that is no exact key (one exists unless
                // the exact edges list every spelling tried).
                let capitalised = edge.segment.prefix(1).uppercased() + edge.segment.dropFirst()
                if let spelling = [edge.segment.uppercased(), capitalised, edge.segment].first(where: { !exactKeys.contains($0) }) {
                    steps.append((edge.node, spelling))
                }
            }
            let keys = exactKeys.union(node.folded.flatMap { [$0.segment, $0.segment.uppercased()] })
            steps.append((node.other, TrieWalk.unusedWord(avoiding: keys)))
            for (next, segment) in steps where seen[next] == nil {
                seen[next] = path + [segment]
                order.append(next)
            }
        }
        return order.map { ($0, seen[$0]!) }
    }
}
