import BundleFormat

/// What a gateway configuration needs to know about a compiled policy set: where tokens
/// are read, whether they may reach the upstream, and which headers carry claims.
/// Read from the `DecisionProgram`, so a bundle and the policies it came from agree.
struct GatewayFacts {
    /// A token location of one entry.
    struct Token: Hashable {
        var entry: String
        var location: TokenLocation
    }

    var tokens: [Token]
    /// Every header the decision service sets upstream on an allow: each forwarded-claim
    /// header of every enabled entry and `x-gatepass-revision` (the deciding bundle's
    /// revision), lowercased, sorted, unique. A client's copy must never reach the upstream.
    var claimHeaders: [String]

    /// The header naming the revision that decided (set by gatepassd on every allow).
    static let revisionHeader = "x-gatepass-revision"

    init(program: DecisionProgram) {
        tokens = program.entries.flatMap { entry in entry.tokenLocations.map { Token(entry: entry.name, location: $0) } }
        claimHeaders = Array(Set(program.entries.flatMap { $0.forwardedClaims.map(\.header) } + [Self.revisionHeader])).sorted()
    }

    func tokens(from source: TokenLocation.Source) -> [Token] {
        tokens.filter { $0.location.source == source }
    }

    /// Token header names, lowercased, sorted, unique.
    var tokenHeaders: [String] {
        Array(Set(tokens(from: .header).map(\.location.name))).sorted()
    }

    /// Token headers every entry removes (passthrough off everywhere): a gateway without
    /// per-decision removal clears them on every request it forwards.
    var removedTokenHeaders: [String] {
        tokenHeaders.filter { name in tokens(from: .header).filter { $0.location.name == name }.allSatisfy { !$0.location.passthrough } }
    }

    /// Token headers some entries pass through and others remove: only a gateway that
    /// applies the service's per-decision removal can honour both.
    var mixedTokenHeaders: [(header: String, removing: [String], keeping: [String])] {
        tokenHeaders.compactMap { name in
            let uses = tokens(from: .header).filter { $0.location.name == name }
            let removing = uses.filter { !$0.location.passthrough }.map(\.entry)
            let keeping = uses.filter { $0.location.passthrough }.map(\.entry)
            return removing.isEmpty || keeping.isEmpty ? nil : (name, removing, keeping)
        }
    }

    /// Every spelling of a header name with `-` and `_` exchanged (`x-user-id`, `x_user_id`,
    /// `x-user_id`, …), which CGI-style backends read as the same header. Bounded: names
    /// with more than six separators list only the two uniform spellings.
    static func spellings(of header: String) -> [String] {
        let separators = header.indices.filter { header[$0] == "-" || header[$0] == "_" }
        guard separators.count <= 6 else {
            return Array(Set([header.replacingAll("_", with: "-"), header.replacingAll("-", with: "_")])).sorted()
        }
        var result: [String] = []
        for mask in 0..<(1 << separators.count) {
            var characters = Array(header)
            for (bit, index) in separators.enumerated() {
                characters[header.distance(from: header.startIndex, to: index)] = mask & (1 << bit) == 0 ? "-" : "_"
            }
            result.append(String(characters))
        }
        return result
    }

    /// An RE2 pattern matching every alias of a lowercased header name that a CGI-style
    /// backend reads as the same header: each punctuation character (`-`, `_`, `.`, …)
    /// stands for any of them (`x-user-id`, `x_user_id`, `x.user.id`, …).
    static func spellingPattern(of header: String) -> String {
        var pattern = ""
        for character in header {
            if character.isASCII && (character.isLetter || character.isNumber) {
                pattern.append(character)
            } else {
                pattern += punctuationClass
            }
        }
        return pattern
    }

    /// RFC 9110 `tchar` punctuation as an RE2 class (`-` first, so it is literal).
    static let punctuationClass = "[-!#$%&'*+.^_`|~]"
}

extension String {
    func replacingAll(_ old: Character, with new: Character) -> String {
        String(map { $0 == old ? new : $0 })
    }
}
