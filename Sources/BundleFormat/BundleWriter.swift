/// Serialises a `DecisionProgram` into bundle bytes.
///
/// The output depends only on the program: strings are interned in first-use order,
/// sections are written in a fixed order, and nothing time- or machine-dependent is
/// recorded, so the same sources always give the same bytes.
public struct BundleWriter: Sendable {
    public init() {}

    public func write(_ program: DecisionProgram, signingKey: BundleSigningKey? = nil) -> [UInt8] {
        var strings = StringTable()
        var bodies: [(BundleLayout.Section, [UInt8])] = []
        bodies.append((.manifest, manifest(program.manifest, &strings)))
        bodies.append((.sourceMap, sourceMap(program.sourceMap, &strings)))
        bodies.append((.keys, keys(program.keys, &strings)))
        bodies.append((.entries, entries(program.entries, &strings)))
        bodies.append((.rules, rules(program.rules, &strings)))
        bodies.append((.domainTrie, domainTrie(program, &strings)))
        bodies.append((.domainClasses, domainClasses(program.domainClasses, &strings)))
        bodies.append((.pathTrie, pathTrie(program.pathNodes, &strings)))
        bodies.insert((.strings, strings.serialized()), at: 0)

        var out = ByteWriter()
        out.raw(BundleLayout.magic)
        out.u16(BundleLayout.formatVersion)
        out.u16(signingKey == nil ? 0 : BundleLayout.signedFlag)
        out.count(bodies.count)
        var offset = BundleLayout.headerSize + bodies.count * BundleLayout.sectionEntrySize
        for (kind, body) in bodies {
            out.u32(kind.rawValue)
            out.u32(UInt32(offset))
            out.u32(UInt32(body.count))
            offset += body.count
        }
        for (_, body) in bodies { out.raw(body) }
        let digest = SHA256.digest(out.bytes)
        out.raw(digest)
        if let signingKey {
            out.raw(BundleLayout.signatureMagic)
            out.raw(signingKey.keyID)
            out.raw(signingKey.sign(digest))
        }
        return out.bytes
    }

    private func manifest(_ manifest: Manifest, _ strings: inout StringTable) -> [UInt8] {
        var w = ByteWriter()
        w.u32(strings.id(manifest.compilerVersion))
        w.u32(strings.id(manifest.revision))
        w.count(manifest.sources.count)
        for source in manifest.sources {
            w.u32(strings.id(source.path))
            w.u32(strings.id(source.sha256))
        }
        return w.bytes
    }

    private func sourceMap(_ locations: [SourceLocation], _ strings: inout StringTable) -> [UInt8] {
        var w = ByteWriter()
        w.count(locations.count)
        for location in locations {
            w.u32(strings.id(location.file))
            w.u32(location.line)
            w.u32(location.column)
        }
        return w.bytes
    }

    private func keys(_ keys: [Key], _ strings: inout StringTable) -> [UInt8] {
        var w = ByteWriter()
        w.count(keys.count)
        for key in keys {
            w.u32(strings.optionalID(key.kid))
            w.u32(strings.optionalID(key.algorithm))
            w.u32(strings.id(key.thumbprint))
            switch key.material {
            case .spki(let der):
                w.u8(0)
                w.blob(der)
            case .secret(let secret):
                w.u8(1)
                w.blob(secret)
            case .secretFromEnvironment(let name):
                w.u8(2)
                w.u32(strings.id(name))
            }
            w.u32(key.source)
        }
        return w.bytes
    }

    private func entries(_ entries: [Entry], _ strings: inout StringTable) -> [UInt8] {
        var w = ByteWriter()
        w.count(entries.count)
        for entry in entries {
            w.u32(strings.id(entry.name))
            w.u8(entry.mode.rawValue)
            w.u32(strings.id(entry.issuer))
            w.u32(strings.optionalID(entry.subject))
            stringList(entry.audiences, &w, &strings)
            stringList(entry.algorithms, &w, &strings)
            w.u32(entry.clockSkew)
            w.bool(entry.requireExpiration)
            w.bool(entry.maxLifetime != nil)
            w.u32(entry.maxLifetime ?? 0)
            w.count(entry.keyIndices.count)
            for index in entry.keyIndices { w.u32(index) }
            w.count(entry.tokenLocations.count)
            for location in entry.tokenLocations {
                w.u8(location.source.rawValue)
                w.u32(strings.id(location.name))
                w.u32(strings.id(location.prefix))
                w.bool(location.passthrough)
            }
            w.count(entry.claimChecks.count)
            for check in entry.claimChecks { claimCheck(check, &w, &strings) }
            w.count(entry.forwardedClaims.count)
            for claim in entry.forwardedClaims {
                stringList(claim.path, &w, &strings)
                w.u32(strings.id(claim.header))
            }
            w.u32(entry.source)
            w.u8(entry.allowCorsPreflight ? BundleLayout.corsPreflightFlag : 0)
            remoteKeys(entry.remoteKeys, &w, &strings)
        }
        return w.bytes
    }

    /// The key source byte, then for a remote source its URL, flag, refresh bounds and
    /// bootstrap time (0 without one).
    private func remoteKeys(_ remote: RemoteKeys?, _ w: inout ByteWriter, _ strings: inout StringTable) {
        guard let remote else {
            w.u8(BundleLayout.KeySource.bundled.rawValue)
            return
        }
        w.u8((remote.discovery ? BundleLayout.KeySource.discovery : .jwksUri).rawValue)
        w.u32(strings.id(remote.url))
        w.bool(remote.allowInsecure)
        for interval in [remote.refresh.defaultInterval, remote.refresh.minInterval, remote.refresh.maxInterval,
                         remote.refresh.maxStale, remote.refresh.cooldown] {
            w.u32(interval)
        }
        w.bool(remote.bootstrapFetchedAt != nil)
        w.u64(remote.bootstrapFetchedAt ?? 0)
    }

    private func claimCheck(_ check: ClaimCheck, _ w: inout ByteWriter, _ strings: inout StringTable) {
        stringList(check.path, &w, &strings)
        switch check.operation {
        case .equals(let literal): w.u8(0); self.literal(literal, &w, &strings)
        case .oneOf(let literals): w.u8(1); literalList(literals, &w, &strings)
        case .contains(let literal): w.u8(2); self.literal(literal, &w, &strings)
        case .containsAll(let literals): w.u8(3); literalList(literals, &w, &strings)
        case .containsAny(let literals): w.u8(4); literalList(literals, &w, &strings)
        case .atLeast(let bound): w.u8(5); w.f64(bound)
        case .atMost(let bound): w.u8(6); w.f64(bound)
        case .present: w.u8(7)
        case .absent: w.u8(8)
        case .hasType(let type): w.u8(9); w.u8(type.rawValue)
        }
        w.u32(check.source)
    }

    private func literal(_ literal: ClaimLiteral, _ w: inout ByteWriter, _ strings: inout StringTable) {
        switch literal {
        case .string(let text): w.u8(0); w.u32(strings.id(text))
        case .number(let number): w.u8(1); w.f64(number)
        case .boolean(let value): w.u8(2); w.bool(value)
        }
    }

    private func literalList(_ literals: [ClaimLiteral], _ w: inout ByteWriter, _ strings: inout StringTable) {
        w.count(literals.count)
        for item in literals { literal(item, &w, &strings) }
    }

    private func stringList(_ list: [String], _ w: inout ByteWriter, _ strings: inout StringTable) {
        w.count(list.count)
        for item in list { w.u32(strings.id(item)) }
    }

    private func rules(_ rules: [RuleInfo], _ strings: inout StringTable) -> [UInt8] {
        var w = ByteWriter()
        w.count(rules.count)
        for rule in rules {
            w.u32(rule.entry)
            w.u32(strings.id(rule.domain))
            w.u32(strings.id(rule.path))
            w.bool(rule.ignoreCase)
            w.u32(rule.source)
            // 0: any method (a rule never lists no method).
            w.u16(rule.methods ?? 0)
        }
        return w.bytes
    }

    private func domainTrie(_ program: DecisionProgram, _ strings: inout StringTable) -> [UInt8] {
        var w = ByteWriter()
        w.u32(program.missingHostClass)
        w.count(program.domainNodes.count)
        for node in program.domainNodes {
            w.u32(node.endClass)
            w.u32(node.fallOffClass)
            w.count(node.edges.count)
            for edge in node.edges {
                w.u32(strings.id(edge.label))
                w.u32(edge.node)
            }
        }
        return w.bytes
    }

    private func domainClasses(_ classes: [DomainClass], _ strings: inout StringTable) -> [UInt8] {
        var w = ByteWriter()
        w.count(classes.count)
        for domainClass in classes {
            w.u32(domainClass.pathRoot)
            w.u32(strings.id(domainClass.description))
        }
        return w.bytes
    }

    /// Protecting sets and matched-rule lists repeat across nodes (a whitelist entry
    /// protects almost every node), so each distinct one is stored once and nodes refer
    /// to it by index.
    private func pathTrie(_ nodes: [PathNode], _ strings: inout StringTable) -> [UInt8] {
        var setIDs: [[UInt64]: UInt32] = [:], sets: [[UInt64]] = []
        var listIDs: [[UInt32]: UInt32] = [:], lists: [[UInt32]] = []
        func setID(_ words: [UInt64]) -> UInt32 {
            if let id = setIDs[words] { return id }
            setIDs[words] = UInt32(sets.count)
            sets.append(words)
            return UInt32(sets.count - 1)
        }
        func listID(_ rules: [UInt32]) -> UInt32 {
            if let id = listIDs[rules] { return id }
            listIDs[rules] = UInt32(lists.count)
            lists.append(rules)
            return UInt32(lists.count - 1)
        }
        var body = ByteWriter()
        body.count(nodes.count)
        for node in nodes {
            body.u32(node.other)
            for edges in [node.exact, node.folded] {
                body.count(edges.count)
                for edge in edges {
                    body.u32(strings.id(edge.segment))
                    body.u32(edge.node)
                }
            }
            body.u32(setID(node.protecting.words))
            body.u32(listID(node.matchedRules))
            body.count(node.methodSplits.count)
            for split in node.methodSplits {
                body.u16(split.methods)
                body.u32(setID(split.protecting.words))
                body.u32(listID(split.matchedRules))
            }
        }
        var w = ByteWriter()
        w.count(sets.count)
        for set in sets {
            w.count(set.count)
            for word in set { w.u64(word) }
        }
        w.count(lists.count)
        for list in lists {
            w.count(list.count)
            for rule in list { w.u32(rule) }
        }
        w.raw(body.bytes)
        return w.bytes
    }
}

/// Interns strings in first-use order, keyed by their exact UTF-8 bytes: JWT claims are
/// compared without Unicode normalisation, so `é` and `e` + U+0301 must stay distinct.
struct StringTable {
    private var ids: [[UInt8]: UInt32] = [:]
    private var strings: [String] = []

    mutating func id(_ string: String) -> UInt32 {
        let bytes = Array(string.utf8)
        if let id = ids[bytes] { return id }
        let id = UInt32(strings.count)
        ids[bytes] = id
        strings.append(string)
        return id
    }

    mutating func optionalID(_ string: String?) -> UInt32 {
        string.map { id($0) } ?? BundleLayout.none
    }

    func serialized() -> [UInt8] {
        var w = ByteWriter()
        w.count(strings.count)
        for string in strings { w.blob(Array(string.utf8)) }
        return w.bytes
    }
}
