import BundleFormat

/// Hand-built programs that exercise every field of the format. Each one passes the
/// reader's cross-reference checks, so a test can break exactly one thing at a time.
enum SamplePrograms {
    static let manifest = Manifest(
        compilerVersion: "gatepass test",
        revision: "sha256:0123456789abcdef",
        sources: [
            SourceDigest(path: "policies/a.yaml", sha256: String(repeating: "a", count: 64)),
            SourceDigest(path: "policies/keys/b.json", sha256: String(repeating: "b", count: 64)),
        ])

    /// The smallest program the reader accepts: no entries, a root, one class, one node.
    static func minimal() -> DecisionProgram {
        DecisionProgram(
            manifest: Manifest(compilerVersion: "", revision: "", sources: []),
            entries: [], keys: [],
            domainNodes: [DomainNode(edges: [], endClass: 0, fallOffClass: 0)],
            missingHostClass: 0,
            domainClasses: [DomainClass(pathRoot: 0, description: "")],
            pathNodes: [PathNode(exact: [], folded: [], other: 0, protecting: EntrySet(words: []), matchedRules: [])],
            rules: [], sourceMap: [])
    }

    /// Every claim operation, literal kind, key material, token source and optional field.
    static func full() -> DecisionProgram {
        let sourceMap = [
            SourceLocation(file: "policies/a.yaml", line: 1, column: 1),
            SourceLocation(file: "policies/a.yaml", line: 20, column: 7),
            SourceLocation(file: "policies/keys/b.json", line: 3, column: 5),
            SourceLocation(file: "policies/ü-ß.yaml", line: UInt32.max - 1, column: 0),
        ]
        let keys = [
            Key(kid: "rsa-1", algorithm: "RS256", thumbprint: "thumb-rsa", material: .spki([0x30, 0x82, 0x01, 0x22, 0x00, 0xFF]), source: 2),
            Key(kid: nil, algorithm: nil, thumbprint: "thumb-oct", material: .secret(Array(repeating: 0xA5, count: 32)), source: 1),
            Key(kid: "env", algorithm: "HS512", thumbprint: "", material: .secretFromEnvironment("TEST_SECRET"), source: 0),
            Key(kid: "", algorithm: "EdDSA", thumbprint: "empty-der", material: .spki([]), source: 3),
        ]
        let operations: [ClaimCheck.Operation] = [
            .equals(.string("admin")), .equals(.number(-0.5)), .equals(.boolean(true)), .equals(.string("")),
            .oneOf([.string("a"), .number(1e300), .boolean(false)]), .oneOf([]),
            .contains(.string("chat:write")), .contains(.number(42)),
            .containsAll([.string("x"), .string("y")]), .containsAll([]),
            .containsAny([.number(-1), .string("z")]),
            .atLeast(-Double.greatestFiniteMagnitude), .atLeast(0), .atMost(Double.infinity), .atMost(3.25),
            .present, .absent,
        ] + ClaimValueType.allKnown.map { ClaimCheck.Operation.hasType($0) }
        let checks = operations.enumerated().map { index, operation in
            ClaimCheck(path: index % 3 == 0 ? ["realm_access", "roles"] : ["scope"], operation: operation, source: UInt32(index % 4))
        }
        let alpha = Entry(
            name: "alpha", mode: .blacklist, issuer: "https://a.example.com", subject: nil, audiences: [],
            algorithms: ["RS256"], clockSkew: 0, requireExpiration: false, maxLifetime: nil, keyIndices: [0],
            tokenLocations: [], claimChecks: [], forwardedClaims: [], source: 0)
        var beta = Entry(
            name: "beta", mode: .whitelist, issuer: "https://b.example.com", subject: "service-ü",
            audiences: ["gw", "tools", "日本"], algorithms: ["HS256", "HS512", "EdDSA"], clockSkew: UInt32.max,
            requireExpiration: true, maxLifetime: 0, keyIndices: [1, 2, 3, 1],
            tokenLocations: [
                TokenLocation(source: .header, name: "authorization", prefix: "Bearer ", passthrough: false),
                TokenLocation(source: .query, name: "access_token", prefix: "", passthrough: true),
                TokenLocation(source: .cookie, name: "Session", prefix: "v1.", passthrough: false),
            ],
            claimChecks: checks,
            forwardedClaims: [ForwardedClaim(path: ["sub"], header: "x-user"), ForwardedClaim(path: ["a", "b.c"], header: "x-ab")],
            source: 1)
        let rules = [
            RuleInfo(entry: 0, domain: "*.example.com", path: "/admin/**", ignoreCase: true, source: 1),
            RuleInfo(entry: 1, domain: "*", path: "**", ignoreCase: false, source: 2),
            RuleInfo(entry: 1, domain: "api.example.com", path: "/", ignoreCase: false, source: 3, methods: 0b11),
        ]
        // com <- example <- {api, *}: root 0, com 1, example 2, api 3.
        let domainNodes = [
            DomainNode(edges: [DomainEdge(label: "com", node: 1)], endClass: 0, fallOffClass: 0),
            DomainNode(edges: [DomainEdge(label: "example", node: 2)], endClass: 0, fallOffClass: 0),
            DomainNode(edges: [DomainEdge(label: "api", node: 3), DomainEdge(label: "www", node: 3)], endClass: 0, fallOffClass: 1),
            DomainNode(edges: [], endClass: 2, fallOffClass: 1),
        ]
        let domainClasses = [
            DomainClass(pathRoot: 0, description: "*"),
            DomainClass(pathRoot: 1, description: "*, *.example.com"),
            DomainClass(pathRoot: 1, description: "*, api.example.com, *.example.com"),
        ]
        var both = EntrySet(count: 2)
        both.insert(0)
        both.insert(1)
        var whitelistOnly = EntrySet(count: 2)
        whitelistOnly.insert(1)
        let pathNodes = [
            PathNode(exact: [], folded: [], other: 0, protecting: EntrySet(count: 2), matchedRules: [1]),
            PathNode(exact: [PathEdge(segment: "Admin", node: 2), PathEdge(segment: "b", node: 0)],
                     folded: [PathEdge(segment: "admin", node: 2)], other: 0, protecting: whitelistOnly, matchedRules: []),
            PathNode(exact: [], folded: [], other: 2, protecting: both, matchedRules: [0, 1],
                     methodSplits: [MethodSplit(methods: 0b101, protecting: whitelistOnly, matchedRules: [0, 1, 2]),
                                    MethodSplit(methods: 0b1_0000_0000, protecting: EntrySet(count: 2), matchedRules: [])]),
        ]
        beta.allowCorsPreflight = true
        return DecisionProgram(
            manifest: manifest, entries: [alpha, beta], keys: keys, domainNodes: domainNodes, missingHostClass: 0,
            domainClasses: domainClasses, pathNodes: pathNodes, rules: rules, sourceMap: sourceMap)
    }

    /// A program with `count` blacklist entries, so entry sets span several 64-bit words.
    static func wide(entries count: Int) -> DecisionProgram {
        var program = minimal()
        program.sourceMap = [SourceLocation(file: "wide.yaml", line: 1, column: 1)]
        program.entries = (0..<count).map { index in
            Entry(name: "entry-\(index)", mode: index % 2 == 0 ? .blacklist : .whitelist, issuer: "https://\(index).example",
                  subject: nil, audiences: [], algorithms: ["HS256"], clockSkew: 60, requireExpiration: true, maxLifetime: nil,
                  keyIndices: [], tokenLocations: [], claimChecks: [], forwardedClaims: [], source: 0)
        }
        var all = EntrySet(count: count)
        for index in 0..<count { all.insert(index) }
        program.pathNodes = [PathNode(exact: [], folded: [], other: 0, protecting: all, matchedRules: [])]
        return program
    }
}

extension ClaimValueType {
    /// Every claim type (the enum has no `CaseIterable`).
    static let allKnown: [ClaimValueType] = [.string, .number, .integer, .boolean, .stringArray]
}
