import BundleFormat
import JOSE

extension LoadedPolicy {
    /// Decides one request at time `now` (seconds since the epoch; read by the caller at
    /// decision time). The steps are those of docs/semantics.md: normalise, walk the
    /// tries, extract the token from the protecting entries' locations, select entries by
    /// the token's issuer, verify, check claims, and build the upstream mutations.
    public func decide(_ request: HTTPRequest, now: Double, explain: Bool = false) -> Decision {
        var context = DecisionContext(policy: self, explain: explain)
        context.spoofed = forwardedHeadersPresent(in: request.headers)
        switch RequestNormalizer.outcome(request) {
        case .refused(let problem):
            return context.deny(400, .badRequest, detail: .badRequest(problem))
        case .normalized(let normalized):
            // Passed on as the payload it is: copied out into a variable, the normalised
            // request would be retained field by field, and released again with the outcome.
            return decide(normalized, now: now, explain: explain, context: &context)
        }
    }

    /// The steps after normalisation.
    private func decide(_ normalized: NormalizedRequest, now: Double, explain: Bool, context: inout DecisionContext) -> Decision {
        let domainClass = self.domainClass(of: normalized.host)
        let nodeIndex = pathNode(from: classRoots[Int(domainClass)], segments: normalized.pathSegments)
        let methodBit = MethodMask.bit(of: normalized.method)
        unowned(unsafe) let node = pathTable.withUnsafeBufferPointer { $0[Int(nodeIndex)] }
        // The common case, a request no entry protects, decided without the outcome arrays.
        if !explain, !node.protects(methodBit: methodBit) { return context.allow(.noAuthRequired, entry: nil) }
        let outcome = node.outcome(methodBit: methodBit)
        var protecting = outcome.protecting
        // A CORS preflight passes the entries that allow it; the others still decide.
        var bypassed: [Int] = []
        if !corsPreflightEntries.isEmpty, !protecting.isEmpty, methodBit == MethodMask.optionsBit, Self.isCorsPreflight(normalized) {
            bypassed = protecting.filter { entries[$0].entry.allowCorsPreflight }
            if !bypassed.isEmpty { protecting = protecting.filter { !entries[$0].entry.allowCorsPreflight } }
        }
        if explain {
            context.startExplanation(normalized, domainClass: domainClass, node: nodeIndex, protecting: protecting,
                                     matchedRules: outcome.matchedRules, bypassed: bypassed)
        }
        guard !protecting.isEmpty else {
            if !bypassed.isEmpty { return context.allowPreflight(bypassing: bypassed, normalized) }
            return context.allow(.noAuthRequired, entry: nil)
        }

        // With one protecting entry, its own locations are read, and `onlyPlace` is the
        // index of the one where the token was (-1: several, or several entries).
        let (extraction, onlyPlace) = protecting.count == 1
            ? TokenExtractor.extractNoting(headers: normalized.headers, query: normalized.rawQuery,
                                           locations: entries[protecting[0]].entry.tokenLocations, singlePlaces: entries[protecting[0]].singlePlaces)
            : (TokenExtractor.extract(from: normalized, locations: tokenLocations(of: protecting)), -1)
        let token: Substring, foundAt: [FoundToken]
        switch extraction {
        case .none: return context.deny(401, .tokenMissing, presented: false)
        case .ambiguous: return context.deny(401, .tokenAmbiguous)
        case .empty: return context.deny(401, .tokenMalformed)
        case .token(let value, let places):
            token = value
            foundAt = places
        }
        // A token verified before under a protecting entry's current keys skips parsing
        // and, for that entry, the signature; every other step runs as for a new token.
        let cached = tokenCache?.lookup(token, policy: instanceID) { entry, generation in
            protecting.contains(entry) && entries[entry].keys.currentNumber() == generation
        }
        let parsed: JWSToken
        if let cached {
            parsed = cached.token
        } else {
            switch JWSToken.parse(token) {
            case .failure(let failure):
                return context.deny(401, Self.reason(for: failure.code), detail: .verification(failure))
            case .success(let value):
                parsed = value
            }
        }
        context.noteToken(parsed, foundAt: foundAt)

        var firstFailure: (entry: Int, status: Int, reason: Decision.Reason, detail: Decision.Detail)?
        // In place: building `iss` would allocate its text on every request.
        for index in protecting where parsed.hasIssuer(entries[index].entry.issuer) {
            // `unowned(unsafe)`: the policy's `entries` holds the entry for the whole decision.
            unowned(unsafe) let entry = entries[index]
            // One generation from start to end, even if the refresher installs another now.
            let keys = entry.keys.current()
            let failure: (Int, Decision.Reason, Decision.Detail)
            if onlyPlace < 0, !foundAt.contains(where: { place in entry.entry.tokenLocations.contains { place.isPlace(of: $0) } }) {
                failure = (401, .tokenMissing, .noTokenForEntry)
            } else if let usableUntil = keys.usableUntil, !(now <= usableUntil) {
                failure = (401, .unknownKey, .staleKeys(age: entry.keysConfirmedAt.map { now - $0 }))
            } else {
                let generation = keys.generation
                let hit = cached.map { $0.entry == index && $0.generation == generation.number } ?? false
                switch hit ? generation.recheckTime(parsed, now: now) : generation.verify(parsed, now: now) {
                case .invalid(let verification):
                    failure = (401, Self.reason(for: verification.code), .verification(verification))
                case .valid:
                    // Only successes are kept; the claim requirements run on every decision.
                    if !hit { tokenCache?.insert(parsed, policy: instanceID, entry: index, generation: generation.number) }
                    if let claim = ClaimEvaluation.firstFailure(entry.entry.claimChecks, paths: entry.claimCheckPaths, payload: parsed,
                                                                sourceMap: { program.sourceMap }) {
                        failure = (403, .claimRequirementFailed, .claim(claim))
                    } else {
                        if explain { context.check(entry.entry.name, "token verified and claims hold", passed: true) }
                        return context.allow(.authenticated, entry: index, token: parsed, foundAt: foundAt, onlyPlace: onlyPlace)
                    }
                }
            }
            let stage = failure.1 == .claimRequirementFailed ? "claim requirements" : "token verification"
            context.check(entry.entry.name, stage, passed: false, detail: failure.2.message(reason: failure.1, entry: entry.entry.name))
            if firstFailure == nil { firstFailure = (index, failure.0, failure.1, failure.2) }
        }
        guard let firstFailure else {
            return context.deny(401, .issuerMismatch, detail: .noIssuer(parsed.issuer))
        }
        return context.deny(firstFailure.status, firstFailure.reason, entry: firstFailure.entry, detail: firstFailure.detail)
    }

    /// A CORS preflight (Fetch standard §3.2.2): `OPTIONS` (checked by the caller) with
    /// non-empty `Origin` and `Access-Control-Request-Method` headers.
    static func isCorsPreflight(_ request: NormalizedRequest) -> Bool {
        HeaderLookup.values(named: "origin", in: request.headers).contains { !$0.isEmpty }
            && HeaderLookup.values(named: "access-control-request-method", in: request.headers).contains { !$0.isEmpty }
    }

    /// The domain class of a host: one table lookup per label, from the last label.
    func domainClass(of host: NormalizedHost) -> UInt32 {
        let labels: HostLabels
        switch host {
        case .missing: return program.missingHostClass
        case .name(let reversed): labels = reversed
        case .ipv4(let address): labels = HostLabels(name: address)
        case .ipv6: return domainTable[0].fallOffClass
        }
        // `unowned(unsafe)` and the table's buffer: the policy holds every node for the
        // whole decision, so the walk need not retain and release the table or a node per
        // label (likewise for paths); on a shared policy each of those is a write to a
        // cache line every thread reads.
        // Nodes are named by index and read in place, never held in a variable: a node
        // held is a node retained.
        return domainTable.withUnsafeBufferPointer { table in
            var current = 0
            var fellOff = false
            _ = labels.forEachLabelUTF8 { label in
                guard let next = table[current].edges.lookup(label) else {
                    fellOff = true
                    return false
                }
                current = Int(next)
                return true
            }
            return fellOff ? table[current].fallOffClass : table[current].endClass
        }
    }

    /// The path node reached by the segments: exact edge, else case-folded edge, else `other`.
    func pathNode(from root: UInt32, segments: PathSegments) -> UInt32 {
        var current = root
        pathTable.withUnsafeBufferPointer { table in
            _ = segments.forEachSegmentUTF8 { segment in
                let index = Int(current)
                if table[index].isSink { return false }
                if let next = table[index].exact.lookup(segment) {
                    current = next
                } else if let next = table[index].folded.lookupFoldingASCII(segment) {
                    current = next
                } else {
                    current = table[index].other
                }
                return true
            }
        }
        return current
    }

    /// The protecting entries' token locations, each place once, in entry order.
    func tokenLocations(of entryIndices: [Int]) -> [TokenLocation] {
        if entryIndices.count == 1 { return entries[entryIndices[0]].entry.tokenLocations }
        var locations: [TokenLocation] = []
        for index in entryIndices {
            for location in entries[index].entry.tokenLocations
            where !locations.contains(where: { $0.source == location.source && $0.name == location.name && FoundToken.samePrefix($0.prefix, location.prefix) }) {
                locations.append(location)
            }
        }
        return locations
    }

    /// Forwarded-claim headers the client sent: removed on every path so they cannot be
    /// spoofed. Every punctuation character counts as `-` (CGI-style backends read
    /// `X_User_Id` and `x.user.id` as `X-User-Id`), and each is listed lowercased as the
    /// client spelled it.
    func forwardedHeadersPresent(in headers: [HTTPHeader]) -> [String] {
        guard !forwardedHeaders.isEmpty else { return [] }
        var present: [String] = []
        // By index: a copied header would retain both of its strings, on every request.
        for index in headers.indices where forwardedHeaderLengths & Self.lengthBit(headers[index].name.utf8.count) != 0
            && forwardedHeaders.contains(where: { headers[index].isAlias(of: $0) }) {
            let spelled = headers[index].name.lowercased()
            if !present.contains(spelled) { present.append(spelled) }
        }
        if present.count > 1 { present.sort() }
        return present
    }

    static func reason(for code: VerificationFailure.Code) -> Decision.Reason {
        switch code {
        case .malformed: .tokenMalformed
        case .tooLarge: .tokenTooLarge
        case .unsupportedAlgorithm: .unsupportedAlgorithm
        case .unknownKey: .unknownKey
        case .badSignature: .badSignature
        case .expired: .tokenExpired
        case .notYetValid: .tokenNotYetValid
        case .issuedInFuture: .tokenIssuedInFuture
        case .lifetimeExceeded: .lifetimeExceeded
        case .issuerMismatch: .issuerMismatch
        case .subjectMismatch: .subjectMismatch
        case .audienceMismatch: .audienceMismatch
        }
    }
}
