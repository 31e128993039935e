/// Decodes the sections once the string table is known. Indices are checked against
/// what they index, here or in `CrossReferences` when the target is another section.
struct ReadContext {
    let strings: [String]
    /// The bundle's format version: version 2 entries have no key source.
    let version: UInt16

    func string(_ reader: inout ByteReader) throws(BundleError) -> String {
        let id = Int(try reader.u32())
        guard id < strings.count else { throw reader.failure("string \(id) of \(strings.count)") }
        return strings[id]
    }

    func optionalString(_ reader: inout ByteReader) throws(BundleError) -> String? {
        let id = try reader.u32()
        if id == BundleLayout.none { return nil }
        guard Int(id) < strings.count else { throw reader.failure("string \(id) of \(strings.count)") }
        return strings[Int(id)]
    }

    func stringList(_ reader: inout ByteReader) throws(BundleError) -> [String] {
        let count = try reader.count(minimumItemSize: 4)
        var list: [String] = []
        list.reserveCapacity(count)
        for _ in 0..<count { list.append(try string(&reader)) }
        return list
    }

    func u32List(_ reader: inout ByteReader) throws(BundleError) -> [UInt32] {
        let count = try reader.count(minimumItemSize: 4)
        var list: [UInt32] = []
        list.reserveCapacity(count)
        for _ in 0..<count { list.append(try reader.u32()) }
        return list
    }

    func manifest(_ reader: inout ByteReader) throws(BundleError) -> Manifest {
        let version = try string(&reader)
        let revision = try string(&reader)
        let count = try reader.count(minimumItemSize: 8)
        var sources: [SourceDigest] = []
        for _ in 0..<count { sources.append(SourceDigest(path: try string(&reader), sha256: try string(&reader))) }
        return Manifest(compilerVersion: version, revision: revision, sources: sources)
    }

    func sourceMap(_ reader: inout ByteReader) throws(BundleError) -> [SourceLocation] {
        let count = try reader.count(minimumItemSize: 12)
        var locations: [SourceLocation] = []
        locations.reserveCapacity(count)
        for _ in 0..<count {
            locations.append(SourceLocation(file: try string(&reader), line: try reader.u32(), column: try reader.u32()))
        }
        return locations
    }

    func keys(_ reader: inout ByteReader) throws(BundleError) -> [Key] {
        let count = try reader.count(minimumItemSize: 17)
        var keys: [Key] = []
        keys.reserveCapacity(count)
        for _ in 0..<count {
            let kid = try optionalString(&reader)
            let algorithm = try optionalString(&reader)
            let thumbprint = try string(&reader)
            let material: Key.Material
            switch try reader.u8() {
            case 0: material = .spki(try reader.blob())
            case 1: material = .secret(try reader.blob())
            case 2: material = .secretFromEnvironment(try string(&reader))
            case let other: throw reader.failure("unknown key material kind \(other)")
            }
            keys.append(Key(kid: kid, algorithm: algorithm, thumbprint: thumbprint, material: material, source: try reader.u32()))
        }
        return keys
    }

    func entries(_ reader: inout ByteReader) throws(BundleError) -> [Entry] {
        let count = try reader.count(minimumItemSize: version >= 3 ? 42 : 41)
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let name = try string(&reader)
            guard let mode = Entry.Mode(rawValue: try reader.u8()) else { throw reader.failure("unknown entry mode") }
            let issuer = try string(&reader)
            let subject = try optionalString(&reader)
            let audiences = try stringList(&reader)
            let algorithms = try stringList(&reader)
            let skew = try reader.u32()
            let requireExpiration = try reader.bool()
            let hasLifetime = try reader.bool()
            let lifetime = try reader.u32()
            let keyIndices = try u32List(&reader)
            let locationCount = try reader.count(minimumItemSize: 10)
            var locations: [TokenLocation] = []
            for _ in 0..<locationCount {
                guard let source = TokenLocation.Source(rawValue: try reader.u8()) else { throw reader.failure("unknown token source") }
                locations.append(TokenLocation(source: source, name: try string(&reader), prefix: try string(&reader), passthrough: try reader.bool()))
            }
            let checkCount = try reader.count(minimumItemSize: 9)
            var checks: [ClaimCheck] = []
            for _ in 0..<checkCount { checks.append(try claimCheck(&reader)) }
            let forwardCount = try reader.count(minimumItemSize: 8)
            var forwarded: [ForwardedClaim] = []
            for _ in 0..<forwardCount { forwarded.append(ForwardedClaim(path: try stringList(&reader), header: try string(&reader))) }
            let source = try reader.u32()
            let allowCorsPreflight = try entryFlags(&reader)
            let remote = version >= 3 ? try remoteKeys(&reader, keyCount: keyIndices.count) : nil
            entries.append(Entry(
                name: name, mode: mode, issuer: issuer, subject: subject, audiences: audiences, algorithms: algorithms,
                clockSkew: skew, requireExpiration: requireExpiration, maxLifetime: hasLifetime ? lifetime : nil,
                keyIndices: keyIndices, tokenLocations: locations, claimChecks: checks, forwardedClaims: forwarded,
                source: source, allowCorsPreflight: allowCorsPreflight, remoteKeys: remote))
        }
        return entries
    }

    /// An entry's key source (version 3). Refused: an unknown source, an empty URL, refresh
    /// bounds out of order or zero, a fetch time without bootstrap, bootstrap keys without
    /// a fetch time.
    func remoteKeys(_ reader: inout ByteReader, keyCount: Int) throws(BundleError) -> RemoteKeys? {
        guard let kind = BundleLayout.KeySource(rawValue: try reader.u8()) else { throw reader.failure("unknown key source") }
        if kind == .bundled { return nil }
        let url = try string(&reader)
        guard !url.isEmpty else { throw reader.failure("an empty key URL") }
        let allowInsecure = try reader.bool()
        let refresh = RemoteKeys.Refresh(defaultInterval: try reader.u32(), minInterval: try reader.u32(), maxInterval: try reader.u32(),
                                         maxStale: try reader.u32(), cooldown: try reader.u32())
        guard refresh.minInterval >= 1, refresh.minInterval <= refresh.defaultInterval, refresh.defaultInterval <= refresh.maxInterval,
              refresh.maxStale >= 1, refresh.cooldown >= 1 else {
            throw reader.failure("key refresh intervals out of order or zero")
        }
        let hasBootstrap = try reader.bool()
        let fetchedAt = try reader.u64()
        guard hasBootstrap || fetchedAt == 0 else { throw reader.failure("a bootstrap fetch time without bootstrap keys") }
        guard hasBootstrap || keyCount == 0 else { throw reader.failure("bootstrap keys without a fetch time") }
        return RemoteKeys(url: url, discovery: kind == .discovery, allowInsecure: allowInsecure, refresh: refresh,
                          bootstrapFetchedAt: hasBootstrap ? fetchedAt : nil)
    }

    /// The entry flags byte; unknown bits are refused.
    func entryFlags(_ reader: inout ByteReader) throws(BundleError) -> Bool {
        let flags = try reader.u8()
        guard flags & ~BundleLayout.corsPreflightFlag == 0 else { throw reader.failure("unknown entry flags \(flags)") }
        return flags & BundleLayout.corsPreflightFlag != 0
    }

    /// A rule's method mask: 0 is any method; bits outside the known methods are refused.
    func methodMask(_ reader: inout ByteReader, allowZero: Bool) throws(BundleError) -> UInt16 {
        let mask = try reader.u16()
        guard mask & ~MethodMask.all == 0 else { throw reader.failure("unknown method bits \(mask)") }
        guard allowZero || mask != 0 else { throw reader.failure("an empty method mask") }
        return mask
    }

    func claimCheck(_ reader: inout ByteReader) throws(BundleError) -> ClaimCheck {
        let path = try stringList(&reader)
        let operation: ClaimCheck.Operation
        switch try reader.u8() {
        case 0: operation = .equals(try literal(&reader))
        case 1: operation = .oneOf(try literals(&reader))
        case 2: operation = .contains(try literal(&reader))
        case 3: operation = .containsAll(try literals(&reader))
        case 4: operation = .containsAny(try literals(&reader))
        case 5: operation = .atLeast(try reader.f64())
        case 6: operation = .atMost(try reader.f64())
        case 7: operation = .present
        case 8: operation = .absent
        case 9:
            guard let type = ClaimValueType(rawValue: try reader.u8()) else { throw reader.failure("unknown claim type") }
            operation = .hasType(type)
        case let other: throw reader.failure("unknown claim operation \(other)")
        }
        return ClaimCheck(path: path, operation: operation, source: try reader.u32())
    }

    func literal(_ reader: inout ByteReader) throws(BundleError) -> ClaimLiteral {
        switch try reader.u8() {
        case 0: return .string(try string(&reader))
        case 1: return .number(try reader.f64())
        case 2: return .boolean(try reader.bool())
        case let other: throw reader.failure("unknown literal kind \(other)")
        }
    }

    func literals(_ reader: inout ByteReader) throws(BundleError) -> [ClaimLiteral] {
        let count = try reader.count(minimumItemSize: 2)
        var list: [ClaimLiteral] = []
        for _ in 0..<count { list.append(try literal(&reader)) }
        return list
    }

    func rules(_ reader: inout ByteReader) throws(BundleError) -> [RuleInfo] {
        let count = try reader.count(minimumItemSize: 19)
        var rules: [RuleInfo] = []
        rules.reserveCapacity(count)
        for _ in 0..<count {
            let entry = try reader.u32(), domain = try string(&reader), path = try string(&reader)
            let ignoreCase = try reader.bool(), source = try reader.u32()
            let methods = try methodMask(&reader, allowZero: true)
            rules.append(RuleInfo(entry: entry, domain: domain, path: path, ignoreCase: ignoreCase, source: source,
                                  methods: methods == 0 ? nil : methods))
        }
        return rules
    }

    func domainTrie(_ reader: inout ByteReader) throws(BundleError) -> (UInt32, [DomainNode]) {
        let missing = try reader.u32()
        let count = try reader.count(minimumItemSize: 12)
        var nodes: [DomainNode] = []
        nodes.reserveCapacity(count)
        for _ in 0..<count {
            let end = try reader.u32(), fallOff = try reader.u32()
            let edgeCount = try reader.count(minimumItemSize: 8)
            var edges: [DomainEdge] = []
            edges.reserveCapacity(edgeCount)
            for _ in 0..<edgeCount {
                let label = try string(&reader)
                if let last = edges.last, !(last.label < label) { throw reader.failure("domain edges not strictly sorted") }
                edges.append(DomainEdge(label: label, node: try reader.u32()))
            }
            nodes.append(DomainNode(edges: edges, endClass: end, fallOffClass: fallOff))
        }
        return (missing, nodes)
    }

    func domainClasses(_ reader: inout ByteReader) throws(BundleError) -> [DomainClass] {
        let count = try reader.count(minimumItemSize: 8)
        var classes: [DomainClass] = []
        for _ in 0..<count { classes.append(DomainClass(pathRoot: try reader.u32(), description: try string(&reader))) }
        return classes
    }

    func pathTrie(_ reader: inout ByteReader) throws(BundleError) -> [PathNode] {
        let setCount = try reader.count(minimumItemSize: 4)
        var sets: [EntrySet] = []
        sets.reserveCapacity(setCount)
        for _ in 0..<setCount {
            let wordCount = try reader.count(minimumItemSize: 8)
            var words: [UInt64] = []
            words.reserveCapacity(wordCount)
            for _ in 0..<wordCount { words.append(try reader.u64()) }
            sets.append(EntrySet(words: words))
        }
        let listCount = try reader.count(minimumItemSize: 4)
        var lists: [[UInt32]] = []
        lists.reserveCapacity(listCount)
        for _ in 0..<listCount { lists.append(try u32List(&reader)) }
        let count = try reader.count(minimumItemSize: 24)
        var nodes: [PathNode] = []
        nodes.reserveCapacity(count)
        for _ in 0..<count {
            let other = try reader.u32()
            var edgeLists: [[PathEdge]] = []
            for _ in 0..<2 {
                let edgeCount = try reader.count(minimumItemSize: 8)
                var edges: [PathEdge] = []
                edges.reserveCapacity(edgeCount)
                for _ in 0..<edgeCount {
                    let segment = try string(&reader)
                    if let last = edges.last, !(last.segment < segment) { throw reader.failure("path edges not strictly sorted") }
                    edges.append(PathEdge(segment: segment, node: try reader.u32()))
                }
                edgeLists.append(edges)
            }
            let setIndex = Int(try reader.u32()), listIndex = Int(try reader.u32())
            guard setIndex < sets.count, listIndex < lists.count else { throw reader.failure("a path node refers to a set or rule list that does not exist") }
            let splitCount = try reader.count(minimumItemSize: 10)
            guard splitCount <= MethodMask.known.count else { throw reader.failure("\(splitCount) method splits in one path node") }
            var splits: [MethodSplit] = []
            var seen: UInt16 = 0
            for _ in 0..<splitCount {
                let mask = try methodMask(&reader, allowZero: false)
                // Disjoint and in increasing order: one canonical encoding per node.
                guard mask & seen == 0, splits.last.map({ $0.methods < mask }) ?? true else {
                    throw reader.failure("method splits overlap or are not sorted")
                }
                seen |= mask
                let splitSet = Int(try reader.u32()), splitList = Int(try reader.u32())
                guard splitSet < sets.count, splitList < lists.count else { throw reader.failure("a method split refers to a set or rule list that does not exist") }
                splits.append(MethodSplit(methods: mask, protecting: sets[splitSet], matchedRules: lists[splitList]))
            }
            nodes.append(PathNode(exact: edgeLists[0], folded: edgeLists[1], other: other, protecting: sets[setIndex], matchedRules: lists[listIndex],
                                  methodSplits: splits))
        }
        return nodes
    }
}

/// Checks that every index of one section into another is in range.
enum CrossReferences {
    static func validate(_ program: DecisionProgram) throws(BundleError) {
        func check(_ value: UInt32, _ count: Int, _ what: String) throws(BundleError) {
            guard Int(value) < count else { throw .malformed("\(what) \(value) out of range (\(count))") }
        }
        let sources = program.sourceMap.count
        for key in program.keys { try check(key.source, sources, "key source") }
        let entryWords = (program.entries.count + 63) / 64
        for entry in program.entries {
            try check(entry.source, sources, "entry source")
            for index in entry.keyIndices { try check(index, program.keys.count, "key index") }
            for claim in entry.claimChecks { try check(claim.source, sources, "claim source") }
        }
        for rule in program.rules {
            try check(rule.entry, program.entries.count, "rule entry")
            try check(rule.source, sources, "rule source")
        }
        try check(program.missingHostClass, program.domainClasses.count, "missing-host class")
        for node in program.domainNodes {
            try check(node.endClass, program.domainClasses.count, "domain class")
            try check(node.fallOffClass, program.domainClasses.count, "domain class")
            for edge in node.edges { try check(edge.node, program.domainNodes.count, "domain node") }
        }
        if program.domainNodes.isEmpty { throw .malformed("the domain trie has no root") }
        for domainClass in program.domainClasses { try check(domainClass.pathRoot, program.pathNodes.count, "path root") }
        for node in program.pathNodes {
            try check(node.other, program.pathNodes.count, "path node")
            for edge in node.exact + node.folded { try check(edge.node, program.pathNodes.count, "path node") }
            for outcome in [(node.protecting, node.matchedRules)] + node.methodSplits.map({ ($0.protecting, $0.matchedRules) }) {
                guard outcome.0.words.count <= entryWords,
                      outcome.0.members.allSatisfy({ $0 < program.entries.count }) else {
                    throw .malformed("an entry set names entries that do not exist")
                }
                for rule in outcome.1 { try check(rule, program.rules.count, "rule") }
            }
        }
    }
}
