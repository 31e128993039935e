public import BundleFormat

/// What changed in one entry that both sides have (matched by name), class by class.
/// Only meaningful where the entry protects a region on both sides; `PolicyDiff` asks
/// for it there.
public struct EntryChange: Sendable, Hashable {
    public var changeClass: ChangeClass
    public var details: [String]
    public var oldLocations: [SourceLocation]
    public var newLocations: [SourceLocation]
}

public enum EntryComparison {
    /// Every attribute change of the entry between the two programs, in class order.
    public static func changes(old: DecisionProgram, _ oldEntry: Entry, new: DecisionProgram, _ newEntry: Entry) -> [EntryChange] {
        let oldHome = [old.sourceMap[Int(oldEntry.source)]]
        let newHome = [new.sourceMap[Int(newEntry.source)]]
        var result: [EntryChange] = []
        func add(_ changeClass: ChangeClass, _ details: [String], old oldLocations: [SourceLocation]? = nil, new newLocations: [SourceLocation]? = nil) {
            guard !details.isEmpty else { return }
            result.append(EntryChange(changeClass: changeClass, details: details,
                                      oldLocations: Self.sorted(oldLocations ?? oldHome), newLocations: Self.sorted(newLocations ?? newHome)))
        }

        if oldEntry.issuer != newEntry.issuer {
            add(.issuer, ["issuer \(oldEntry.issuer) -> \(newEntry.issuer)"])
        }
        if oldEntry.subject != newEntry.subject {
            add(.subject, ["subject \(oldEntry.subject ?? "(any)") -> \(newEntry.subject ?? "(any)")"])
        }

        let oldKeys = keys(old, oldEntry), newKeys = keys(new, newEntry)
        let keyDetails = setDetails("key", old: Array(oldKeys.keys), new: Array(newKeys.keys)) { identity in
            (oldKeys[identity] ?? newKeys[identity]).map(describe) ?? identity
        } + Set(oldKeys.keys).intersection(newKeys.keys).sorted().compactMap { identity -> String? in
            let before = oldKeys[identity]!, after = newKeys[identity]!
            guard before.kid != after.kid || before.algorithm != after.algorithm else { return nil }
            return "~ key \(identity): \(describe(before)) -> \(describe(after))"
        }
        let unchangedKeys = Set(oldKeys.keys).intersection(newKeys.keys).filter { identity in
            oldKeys[identity]!.kid == newKeys[identity]!.kid && oldKeys[identity]!.algorithm == newKeys[identity]!.algorithm
        }
        add(.keys, remoteKeyDetails(oldEntry.remoteKeys, newEntry.remoteKeys) + keyDetails,
            old: oldKeys.filter { !unchangedKeys.contains($0.key) }.values.map { old.sourceMap[Int($0.source)] } + oldHome,
            new: newKeys.filter { !unchangedKeys.contains($0.key) }.values.map { new.sourceMap[Int($0.source)] } + newHome)

        add(.audiences, setDetails("audience", old: oldEntry.audiences, new: newEntry.audiences) { $0 })
        add(.algorithms, setDetails("algorithm", old: oldEntry.algorithms, new: newEntry.algorithms) { $0 })

        let oldClaims = claims(old, oldEntry), newClaims = claims(new, newEntry)
        var claimDetails = setDetails("claim", old: Array(oldClaims.keys), new: Array(newClaims.keys)) { $0 }
        if oldEntry.requireExpiration != newEntry.requireExpiration {
            claimDetails.append("~ exp \(oldEntry.requireExpiration ? "required" : "optional") -> \(newEntry.requireExpiration ? "required" : "optional")")
        }
        if oldEntry.clockSkew != newEntry.clockSkew {
            claimDetails.append("~ clock skew \(oldEntry.clockSkew)s -> \(newEntry.clockSkew)s")
        }
        if oldEntry.maxLifetime != newEntry.maxLifetime {
            claimDetails.append("~ max lifetime \(oldEntry.maxLifetime.map { "\($0)s" } ?? "(none)") -> \(newEntry.maxLifetime.map { "\($0)s" } ?? "(none)")")
        }
        let changedClaims = Set(oldClaims.keys).symmetricDifference(newClaims.keys)
        add(.claims, claimDetails,
            old: changedClaims.compactMap { oldClaims[$0].map { old.sourceMap[Int($0)] } } + oldHome,
            new: changedClaims.compactMap { newClaims[$0].map { new.sourceMap[Int($0)] } } + newHome)

        add(.passthrough, tokenDetails(oldEntry.tokenLocations, newEntry.tokenLocations))

        let forwarded = { (entry: Entry) in entry.forwardedClaims.map { "\(claimPath($0.path)) -> \($0.header)" } }
        add(.forwardedClaims, setDetails("forward", old: forwarded(oldEntry), new: forwarded(newEntry)) { $0 })
        return result
    }

    /// Where the keys come from: a changed source or URL (a new URL trusts whatever that
    /// server serves), the http allowance and the refresh bounds. The bootstrap fetch time
    /// is not a change; the bootstrap keys are compared as keys.
    static func remoteKeyDetails(_ old: RemoteKeys?, _ new: RemoteKeys?) -> [String] {
        var details: [String] = []
        let before = BundleDump.describeSource(old), after = BundleDump.describeSource(new)
        if before != after { details.append("~ key source \(before) -> \(after)") }
        if let old, let new {
            if old.allowInsecure != new.allowInsecure {
                let word = { (allowed: Bool) in allowed ? "allowed" : "refused" }
                details.append("~ insecure http (loopback) \(word(old.allowInsecure)) -> \(word(new.allowInsecure))")
            }
            if old.refresh != new.refresh {
                details.append("~ key refresh \(BundleDump.describe(old.refresh)) -> \(BundleDump.describe(new.refresh))")
            }
        }
        return details
    }

    /// `- kind x` for each item only in `old`, `+ kind x` for each only in `new`, sorted.
    static func setDetails(_ kind: String, old: [String], new: [String], describe: (String) -> String) -> [String] {
        let before = Set(old), after = Set(new)
        return before.subtracting(after).sorted().map { "- \(kind) \(describe($0))" }
            + after.subtracting(before).sorted().map { "+ \(kind) \(describe($0))" }
    }

    /// Keys by identity: the RFC 7638 thumbprint, or `$VARIABLE` for an environment secret.
    static func keys(_ program: DecisionProgram, _ entry: Entry) -> [String: Key] {
        var result: [String: Key] = [:]
        for index in entry.keyIndices {
            let key = program.keys[Int(index)]
            if case .secretFromEnvironment(let variable) = key.material {
                result["$" + variable] = key
            } else {
                result[key.thumbprint] = key
            }
        }
        return result
    }

    static func describe(_ key: Key) -> String {
        let identity: String
        if case .secretFromEnvironment(let variable) = key.material { identity = "$" + variable } else { identity = key.thumbprint }
        return "\(identity) (kid \(key.kid ?? "-"), alg \(key.algorithm ?? "-"))"
    }

    /// Claim checks as text, with the source index of each.
    static func claims(_ program: DecisionProgram, _ entry: Entry) -> [String: UInt32] {
        var result: [String: UInt32] = [:]
        for check in entry.claimChecks {
            result["\(claimPath(check.path)) \(BundleDump.describe(check.operation))"] = check.source
        }
        return result
    }

    /// A claim path as written in YAML: dots between names, `\.` for a dot inside one.
    static func claimPath(_ path: [String]) -> String {
        path.map { $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ".", with: "\\.") }
            .joined(separator: ".")
    }

    static func tokenDetails(_ old: [TokenLocation], _ new: [TokenLocation]) -> [String] {
        func place(_ location: TokenLocation) -> String {
            let source = switch location.source {
            case .header: "header"
            case .query: "query"
            case .cookie: "cookie"
            }
            return location.prefix.isEmpty ? "\(source) \(location.name)" : "\(source) \(location.name) prefix \"\(location.prefix)\""
        }
        func handling(_ location: TokenLocation) -> String { location.passthrough ? "passed through" : "removed" }
        var before: [String: TokenLocation] = [:], after: [String: TokenLocation] = [:]
        for location in old { before[place(location)] = location }
        for location in new { after[place(location)] = location }
        var details = setDetails("token", old: Array(before.keys), new: Array(after.keys)) { place in
            "\(place), \(handling((before[place] ?? after[place])!))"
        }
        for place in Set(before.keys).intersection(after.keys).sorted() where before[place]!.passthrough != after[place]!.passthrough {
            details.append("~ token \(place): \(handling(before[place]!)) -> \(handling(after[place]!))")
        }
        return details
    }

    static func sorted(_ locations: [SourceLocation]) -> [SourceLocation] {
        Array(Set(locations)).sorted(by: precedes)
    }

    /// File, then line, then column: the order a reader scans a diff in.
    static func precedes(_ a: SourceLocation, _ b: SourceLocation) -> Bool {
        if a.file != b.file { return a.file < b.file }
        if a.line != b.line { return a.line < b.line }
        return a.column < b.column
    }
}
