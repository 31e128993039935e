public import BundleFormat

/// Which decision regions of the tries, and which claim requirements, the cases exercised.
///
/// A region is the set of requests that reach the same domain class and path nodes with
/// the same protecting entries and matching rules, so they are decided alike. Each region
/// comes with a witness request (a host and a path, shortest first) so an uncovered region
/// can be read and tested.
public struct Coverage: Sendable {
    public struct Region: Sendable, Hashable {
        public var domainClass: Int
        public var protecting: [Int]
        public var matchedRules: [UInt32]
    }

    public struct Witness: Sendable {
        public var host: String?
        public var path: String
        public var protecting: [String]
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
                let region = Self.region(program, domainClass: classIndex, pathNode: Int(node))
                guard regions[region] == nil else { continue }
                let protecting = program.pathNodes[Int(node)].protecting.members.map { program.entries[$0].name }
                regions[region] = Witness(host: host, path: "/" + segments.joined(separator: "/"), protecting: protecting)
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

    static func region(_ program: DecisionProgram, domainClass: Int, pathNode: Int) -> Region {
        let node = program.pathNodes[pathNode]
        return Region(domainClass: domainClass, protecting: node.protecting.members, matchedRules: node.matchedRules)
    }

    mutating func cover(region: Region) { coveredRegions.insert(region) }
    mutating func cover(claim: ClaimKey) { coveredClaims.insert(claim) }

    public var total: Int { regions.count + claims.count }
    public var covered: Int { coveredRegions.intersection(regions.keys).count + coveredClaims.intersection(claims.keys).count }
    public var percent: Double { total == 0 ? 100 : Double(covered) * 100 / Double(total) }

    /// Uncovered regions, in a stable order, with their witnesses.
    public var uncoveredRegions: [(Region, Witness)] {
        regions.filter { !coveredRegions.contains($0.key) }
            .sorted { ($0.key.domainClass, $0.value.path) < ($1.key.domainClass, $1.value.path) }
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
