/// A readable dump of a bundle for `gatepass inspect`: manifest, entries, keys, rules,
/// the tries with their protecting sets, and the source map.
public enum BundleDump {
    public static func render(_ program: DecisionProgram, bundle: [UInt8]) -> String {
        var out: [String] = []
        let signed = bundle.count > BundleLayout.headerSize && (UInt16(bundle[10]) | UInt16(bundle[11]) << 8) & BundleLayout.signedFlag != 0
        let digestEnd = bundle.count - (signed ? BundleLayout.signatureBlockSize : 0)
        out.append("bundle")
        let version = bundle.count >= 10 ? UInt16(bundle[8]) | UInt16(bundle[9]) << 8 : BundleLayout.formatVersion
        out.append("  format version: \(version)")
        out.append("  size: \(bundle.count) bytes")
        if digestEnd >= BundleLayout.digestSize {
            out.append("  digest: sha256:\(hexString(bundle[(digestEnd - BundleLayout.digestSize)..<digestEnd]))")
        }
        if signed {
            let block = digestEnd
            out.append("  signed: yes, by key \(hexString(bundle[(block + 8)..<(block + 16)]))")
        } else {
            out.append("  signed: no")
        }
        out.append("manifest")
        out.append("  compiler: \(program.manifest.compilerVersion)")
        out.append("  revision: \(program.manifest.revision)")
        out.append("  sources:")
        for source in program.manifest.sources { out.append("    \(source.path)  sha256:\(source.sha256)") }

        out.append("entries (\(program.entries.count))")
        for (index, entry) in program.entries.enumerated() {
            out.append("  e\(index) \(entry.name)  \(entry.mode == .whitelist ? "whitelist" : "blacklist")  \(location(entry.source, program))")
            out.append("      issuer: \(entry.issuer)")
            if let subject = entry.subject { out.append("      subject: \(subject)") }
            if !entry.audiences.isEmpty { out.append("      audiences: \(entry.audiences.joined(separator: ", "))") }
            out.append("      algorithms: \(entry.algorithms.joined(separator: ", "))")
            var time = "      clock skew: \(entry.clockSkew)s, expiration \(entry.requireExpiration ? "required" : "optional")"
            if let lifetime = entry.maxLifetime { time += ", max lifetime: \(lifetime)s" }
            out.append(time)
            out.append("      keys: " + (entry.keyIndices.isEmpty ? "(none in the bundle)" : entry.keyIndices.map { "k\($0)" }.joined(separator: ", ")))
            out += keySource(entry, program)
            for location in entry.tokenLocations {
                let source = ["header", "query", "cookie"][Int(location.source.rawValue)]
                let prefix = location.prefix.isEmpty ? "" : " prefix \"\(location.prefix)\""
                out.append("      token: \(source) \(location.name)\(prefix), \(location.passthrough ? "passed through" : "removed")")
            }
            for check in entry.claimChecks {
                out.append("      claim \(check.path.joined(separator: ".")) \(describe(check.operation))  \(location(check.source, program))")
            }
            for claim in entry.forwardedClaims {
                out.append("      forward \(claim.path.joined(separator: ".")) -> \(claim.header)")
            }
            if entry.allowCorsPreflight { out.append("      cors preflight: passes without a token") }
        }

        out.append("keys (\(program.keys.count))")
        for (index, key) in program.keys.enumerated() {
            let material = switch key.material {
            case .spki(let der): "public key, \(der.count) bytes DER"
            case .secret(let secret): "HMAC secret, \(secret.count) bytes"
            case .secretFromEnvironment(let name): "HMAC secret from $\(name)"
            }
            let thumbprint = key.thumbprint.isEmpty ? "(at load)" : key.thumbprint
            out.append("  k\(index) kid=\(key.kid ?? "-") alg=\(key.algorithm ?? "-") thumbprint=\(thumbprint) \(material)  \(location(key.source, program))")
        }

        out.append("rules (\(program.rules.count))")
        for (index, rule) in program.rules.enumerated() {
            let entry = Int(rule.entry) < program.entries.count ? program.entries[Int(rule.entry)].name : "?"
            out.append("  r\(index) \(entry)  domain \(rule.domain)  path \(rule.path)\(rule.ignoreCase ? "  ignoreCase" : "")\(rule.methods.map { "  methods " + MethodMask.names($0).joined(separator: ",") } ?? "")  \(location(rule.source, program))")
        }

        out.append("domain trie (\(program.domainNodes.count) nodes; labels from the last)")
        out.append("  no host: class c\(program.missingHostClass)")
        for (index, node) in program.domainNodes.enumerated() {
            out.append("  d\(index) ends: c\(node.endClass)  continues: c\(node.fallOffClass)")
            for edge in node.edges { out.append("      \(edge.label) -> d\(edge.node)") }
        }
        out.append("domain classes (\(program.domainClasses.count))")
        for (index, domainClass) in program.domainClasses.enumerated() {
            out.append("  c\(index) [\(domainClass.description)] -> p\(domainClass.pathRoot)")
        }
        out.append("path trie (\(program.pathNodes.count) nodes)")
        for (index, node) in program.pathNodes.enumerated() {
            let protecting = node.protecting.members.map { $0 < program.entries.count ? program.entries[$0].name : "?" }
            let matched = node.matchedRules.map { "r\($0)" }.joined(separator: ", ")
            out.append("  p\(index) protects {\(protecting.joined(separator: ", "))}" + (matched.isEmpty ? "" : "  matches \(matched)")
                       + (node.methodSplits.isEmpty ? "" : "  (other methods)"))
            for split in node.methodSplits {
                let names = split.protecting.members.map { $0 < program.entries.count ? program.entries[$0].name : "?" }
                let rules = split.matchedRules.map { "r\($0)" }.joined(separator: ", ")
                out.append("      methods \(MethodMask.names(split.methods).joined(separator: ",")): protects {\(names.joined(separator: ", "))}"
                           + (rules.isEmpty ? "" : "  matches \(rules)"))
            }
            for edge in node.exact { out.append("      \"\(edge.segment)\" -> p\(edge.node)") }
            for edge in node.folded { out.append("      any case \"\(edge.segment)\" -> p\(edge.node)") }
            out.append("      other -> p\(node.other)")
        }
        out.append("source map (\(program.sourceMap.count))")
        for (index, location) in program.sourceMap.enumerated() { out.append("  s\(index) \(location)") }
        return out.joined(separator: "\n") + "\n"
    }

    /// Where an entry's keys come from: the bundle, or a URL with its refresh bounds and
    /// the bootstrap set (its fetch time and thumbprints).
    static func keySource(_ entry: Entry, _ program: DecisionProgram) -> [String] {
        guard let remote = entry.remoteKeys else { return ["      key source: inline"] }
        var lines = [
            "      key source: \(describeSource(entry.remoteKeys))",
            "      key refresh: \(describe(remote.refresh))",
        ]
        if remote.allowInsecure { lines.append("      insecure http: allowed (loopback only)") }
        if let fetchedAt = remote.bootstrapFetchedAt {
            let thumbprints = entry.keyIndices.map { Int($0) < program.keys.count ? program.keys[Int($0)].thumbprint : "?" }
            lines.append("      bootstrap: fetched \(timestamp(fetchedAt)) (\(fetchedAt)), thumbprints \(thumbprints.joined(separator: ", "))")
        } else {
            lines.append("      bootstrap: none (the keys are fetched at run time)")
        }
        return lines
    }

    /// `inline`, `jwksUri URL` or `discovery URL`.
    public static func describeSource(_ remote: RemoteKeys?) -> String {
        guard let remote else { return "inline" }
        return "\(remote.discovery ? "discovery" : "jwksUri") \(remote.url)"
    }

    /// `default 10m, min 1m, max 1h, max stale 1d, cooldown 30s`.
    public static func describe(_ refresh: RemoteKeys.Refresh) -> String {
        "default \(duration(refresh.defaultInterval)), min \(duration(refresh.minInterval)), max \(duration(refresh.maxInterval)), "
            + "max stale \(duration(refresh.maxStale)), cooldown \(duration(refresh.cooldown))"
    }

    /// `3600` as `1h`, `5400` as `1h30m`, as the policy language writes durations.
    public static func duration(_ seconds: UInt32) -> String {
        if seconds == 0 { return "0s" }
        var rest = seconds
        var text = ""
        for (unit, size) in [("d", UInt32(86_400)), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text
    }

    /// Seconds since the epoch as an RFC 3339 UTC time (proleptic Gregorian calendar).
    static func timestamp(_ seconds: UInt64) -> String {
        let days = Int64(seconds / 86_400), rest = Int(seconds % 86_400)
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(Int64(rest / 3600))):\(two(Int64(rest % 3600 / 60))):\(two(Int64(rest % 60)))Z"
    }

    static func location(_ index: UInt32, _ program: DecisionProgram) -> String {
        Int(index) < program.sourceMap.count ? program.sourceMap[Int(index)].description : "?"
    }

    /// A claim operation as policy authors write it (`contains "chat:write"`).
    public static func describe(_ operation: ClaimCheck.Operation) -> String {
        switch operation {
        case .equals(let literal): "equals \(describe(literal))"
        case .oneOf(let literals): "oneOf [\(literals.map(describe).joined(separator: ", "))]"
        case .contains(let literal): "contains \(describe(literal))"
        case .containsAll(let literals): "containsAll [\(literals.map(describe).joined(separator: ", "))]"
        case .containsAny(let literals): "containsAny [\(literals.map(describe).joined(separator: ", "))]"
        case .atLeast(let bound): "atLeast \(bound)"
        case .atMost(let bound): "atMost \(bound)"
        case .present: "present"
        case .absent: "absent"
        case .hasType(let type): "type \(["string", "number", "integer", "boolean", "string[]"][Int(type.rawValue)])"
        }
    }

    static func describe(_ literal: ClaimLiteral) -> String {
        switch literal {
        case .string(let text): "\"\(text)\""
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .boolean(let flag): flag ? "true" : "false"
        }
    }
}
