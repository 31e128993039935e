import BundleFormat
import Diagnostics
import FrontEnd
import JOSE

/// Lowers a checked policy set into the `DecisionProgram` a bundle holds: enabled entries
/// sorted by name, one determinised domain trie, shared path tries, pre-parsed keys,
/// claim requirements as small instructions, and a source map.
struct Lowering {
    /// The verification keys of each entry, by entry name, from the key check.
    let keys: [String: [CheckedKey]]
    var sourceMap: SourceMapBuilder

    /// `root` gives each file its bundle name; nil keeps paths as they are.
    init(keys: [String: [CheckedKey]], root: PolicyRoot?) {
        self.keys = keys
        sourceMap = SourceMapBuilder(root: root)
    }

    mutating func lower(_ policySet: PolicySet, manifest: Manifest) -> DecisionProgram {
        let enabled = policySet.entries.filter(\.enabled.value).sorted { $0.name.value < $1.name.value }
        var program = DecisionProgram(
            manifest: manifest, entries: [], keys: [], domainNodes: [], missingHostClass: 0,
            domainClasses: [], pathNodes: [], rules: [], sourceMap: [])
        var pathRules: [PathRule] = []
        var ruleDomains: [DomainPattern] = []
        for (index, entry) in enabled.enumerated() {
            var keyIndices: [UInt32] = []
            for key in keys[entry.name.value] ?? [] {
                keyIndices.append(UInt32(program.keys.count))
                program.keys.append(Key(kid: key.kid, algorithm: key.algorithm?.rawValue, thumbprint: key.thumbprint,
                                        material: key.material, source: sourceMap.index(of: key.span)))
            }
            program.entries.append(lowerEntry(entry, keyIndices: keyIndices))
            for rule in entry.authorization.rules {
                program.rules.append(RuleInfo(
                    entry: UInt32(index), domain: rule.domain.value.description, path: rule.path.value.description,
                    ignoreCase: rule.ignoreCase.value, source: sourceMap.index(of: rule.span), methods: rule.methodMask))
                pathRules.append(PathRule(entry: index, pattern: rule.path.value, ignoreCase: rule.ignoreCase.value, methods: rule.methodMask))
                ruleDomains.append(rule.domain.value)
            }
        }

        // `hosts` patterns go into the same domain trie, so a class knows which entries
        // apply to it: scoping costs nothing at decision time.
        let scopes = enabled.map { entry in entry.hosts.map { $0.map(\.value) } }
        let domains = DomainTrieBuilder(patterns: Set(ruleDomains + scopes.compactMap { $0 }.flatMap { $0 }))
        let scopeIDs = scopes.map { patterns in patterns.map { Set($0.map(domains.id(of:))) } }
        let ruleIDsByPattern = Dictionary(grouping: ruleDomains.indices) { domains.id(of: ruleDomains[$0]) }
        var classIDs: [[Int]: UInt32] = [:]
        var classSets: [[Int]] = []
        var (domainNodes, missingHostClass) = domains.build { set in
            let key = set.sorted()
            if let id = classIDs[key] { return id }
            let id = UInt32(classSets.count)
            classIDs[key] = id
            classSets.append(key)
            return id
        }
        // With scoped entries the missing host gets a class of its own (in which every
        // entry applies), never shared with hosts that match no pattern.
        if scopes.contains(where: { $0 != nil }) {
            classSets.append(classSets[Int(missingHostClass)])
            missingHostClass = UInt32(classSets.count - 1)
        }
        var paths = PathTrieBuilder(rules: pathRules, modes: program.entries.map(\.mode))
        for (classIndex, patternIDs) in classSets.enumerated() {
            let inClass = Set(patternIDs)
            // A request without a host may reach any backend's default host: every entry
            // applies to it, scoped or not (fail closed).
            let outOfScope = classIndex == Int(missingHostClass) ? []
                : scopeIDs.indices.filter { entry in scopeIDs[entry].map { $0.isDisjoint(with: inClass) } ?? false }
            let ruleIDs = patternIDs.flatMap { ruleIDsByPattern[$0] ?? [] }.filter { !outOfScope.contains(pathRules[$0].entry) }
            var description = patternIDs.isEmpty ? "(no domain rule)" : patternIDs.map { domains.patterns[$0].description }.joined(separator: ", ")
            if classIndex == Int(missingHostClass) && scopes.contains(where: { $0 != nil }) {
                description = "(no host: every entry applies)"
            } else if !outOfScope.isEmpty {
                description += "; outside the hosts of " + outOfScope.map { program.entries[$0].name }.joined(separator: ", ")
            }
            program.domainClasses.append(DomainClass(pathRoot: paths.root(for: ruleIDs, outOfScope: outOfScope), description: description))
        }
        program.domainNodes = domainNodes
        program.missingHostClass = missingHostClass
        program.pathNodes = paths.nodes
        program.sourceMap = sourceMap.locations
        return program
    }

    mutating func lowerEntry(_ entry: AuthenticationEntry, keyIndices: [UInt32]) -> Entry {
        let entryKeys = keys[entry.name.value] ?? []
        // Without an allow-list, what the keys allow, in a fixed order.
        let allowed = Set(entryKeys.flatMap(\.allowed))
        let algorithms = entry.algorithms.map { $0.map(\.value) } ?? JWSAlgorithm.allCases.filter(allowed.contains).map(\.rawValue)
        return Entry(
            name: entry.name.value,
            mode: entry.authorization.mode.value == .whitelist ? .whitelist : .blacklist,
            issuer: entry.issuer.value,
            subject: entry.subject?.value,
            audiences: entry.audiences.map(\.value),
            algorithms: algorithms,
            clockSkew: UInt32(entry.clockSkew.value),
            requireExpiration: entry.requireExpiration.value,
            maxLifetime: entry.maxLifetime.map { UInt32($0.value) },
            keyIndices: keyIndices,
            tokenLocations: entry.tokenLocations.map { location -> BundleFormat.TokenLocation in
                BundleFormat.TokenLocation(
                    source: BundleFormat.TokenLocation.Source(location.source),
                    name: location.source == .header ? location.name.lowercased() : location.name,
                    prefix: location.prefix, passthrough: location.passthrough)
            },
            claimChecks: entry.claims.flatMap { lowerClaim($0) },
            forwardedClaims: entry.forwardClaims.map { BundleFormat.ForwardedClaim(path: $0.claim.value, header: $0.header.value) },
            source: sourceMap.index(of: entry.name.span ?? entry.span),
            allowCorsPreflight: entry.allowCorsPreflight.value,
            remoteKeys: entry.remoteKeys.map(Self.lowerRemoteKeys))
    }

    /// `jwksUri` or `discovery` with its settings; the bootstrap keys are the entry's keys.
    static func lowerRemoteKeys(_ remote: RemoteKeySource) -> RemoteKeys {
        let refresh = remote.refresh
        return RemoteKeys(
            url: remote.url.text, discovery: remote.kind == .discovery, allowInsecure: remote.allowInsecure.value,
            refresh: RemoteKeys.Refresh(
                defaultInterval: UInt32(refresh.defaultInterval.value), minInterval: UInt32(refresh.minInterval.value),
                maxInterval: UInt32(refresh.maxInterval.value), maxStale: UInt32(refresh.maxStale.value),
                cooldown: UInt32(refresh.cooldown.value)),
            bootstrapFetchedAt: remote.fetchedAt)
    }

    mutating func lowerClaim(_ declaration: ClaimDeclaration) -> [ClaimCheck] {
        let path = declaration.path.value
        var checks: [ClaimCheck] = []
        if let type = declaration.declaredType, let span = type.span {
            checks.append(ClaimCheck(path: path, operation: .hasType(ClaimValueType(type.value)), source: sourceMap.index(of: span)))
        }
        for requirement in declaration.requirements {
            let operation: ClaimCheck.Operation = switch requirement.kind {
            case .equals(let value): .equals(ClaimLiteral(value))
            case .oneOf(let values): .oneOf(values.map(ClaimLiteral.init))
            case .contains(let value): .contains(ClaimLiteral(value))
            case .containsAll(let values): .containsAll(values.map(ClaimLiteral.init))
            case .containsAny(let values): .containsAny(values.map(ClaimLiteral.init))
            case .atLeast(let bound): .atLeast(bound)
            case .atMost(let bound): .atMost(bound)
            case .present: .present
            case .absent: .absent
            }
            checks.append(ClaimCheck(path: path, operation: operation, source: sourceMap.index(of: requirement.span)))
        }
        return checks
    }
}

/// Interns source locations; each distinct file:line:column gets one index.
struct SourceMapBuilder {
    let root: PolicyRoot?
    private(set) var locations: [BundleFormat.SourceLocation] = []
    private var ids: [BundleFormat.SourceLocation: UInt32] = [:]

    init(root: PolicyRoot?) {
        self.root = root
    }

    mutating func index(of span: SourceSpan) -> UInt32 {
        let start = span.startLocation
        let location = BundleFormat.SourceLocation(file: root?.bundleName(of: span.file.path) ?? span.file.path, line: UInt32(start.line), column: UInt32(start.column))
        if let id = ids[location] { return id }
        let id = UInt32(locations.count)
        ids[location] = id
        locations.append(location)
        return id
    }
}

extension BundleFormat.TokenLocation.Source {
    init(_ source: FrontEnd.TokenLocation.Source) {
        switch source {
        case .header: self = .header
        case .query: self = .query
        case .cookie: self = .cookie
        }
    }
}

extension ClaimValueType {
    init(_ type: ClaimType) {
        switch type {
        case .string: self = .string
        case .number: self = .number
        case .integer: self = .integer
        case .boolean: self = .boolean
        case .stringArray: self = .stringArray
        }
    }
}

extension ClaimLiteral {
    init(_ value: ClaimValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .number(let number, _): self = .number(number)
        case .boolean(let flag): self = .boolean(flag)
        }
    }
}
