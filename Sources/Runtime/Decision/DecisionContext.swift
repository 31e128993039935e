import BundleFormat
import JOSE

/// Builds the decision value: mutations, `WWW-Authenticate` and the explanation.
struct DecisionContext {
    /// `unowned(unsafe)`: a context lives only inside `decide`, a method of the policy, so
    /// the policy outlives it; a strong reference would make every decision write the
    /// shared policy object's reference count, a cache line all threads contend for.
    unowned(unsafe) let policy: LoadedPolicy
    let explain: Bool
    var spoofed: [String] = []
    /// The explanation being built, when asked for: boxed, so a context without one is a
    /// nil pointer to destroy, not an `Explanation?` value.
    var draft: ExplanationDraft?
    /// The parsed token, once there is one.
    var token: JWSToken?

    init(policy: LoadedPolicy, explain: Bool) {
        self.policy = policy
        self.explain = explain
    }

    /// The forwarded-claim headers the client sent, to remove; nil when there are none.
    var spoofedRemoval: HeaderMutations? { spoofed.isEmpty ? nil : HeaderMutations(remove: spoofed) }

    /// `onlyPlace`: the index among the entry's token locations of the one place the
    /// token was found (-1 when not known), so its removal needs no search.
    func allow(_ reason: Decision.Reason, entry: Int?, token: JWSToken? = nil, foundAt: [FoundToken] = [], onlyPlace: Int = -1) -> Decision {
        guard let entry else {
            return Decision(verdict: .allow, status: 200, reason: reason, authentication: nil, mutations: spoofedRemoval,
                            challenge: nil, explained: finished(), detail: .none, token: token ?? self.token)
        }
        // The entry object, and its fields read in place: a copy of the `Entry` value would
        // retain and release each of its strings and arrays.
        let winner = policy.entries[entry]
        var set: [HTTPHeader] = []
        if let token, !winner.forwardedClaimPaths.isEmpty {
            set.reserveCapacity(winner.forwardedClaimPaths.count)
            for index in winner.forwardedClaimPaths.indices {
                let path = winner.forwardedClaimPaths[index]
                // A plain top-level string is read in place; anything else is built.
                let value: String? = if let text = token.plainStringClaim(path) {
                    Self.isSafeHeaderValue(text) ? text : nil
                } else {
                    token.claim(path).flatMap(Self.headerValue)
                }
                if let value {
                    set.append(HTTPHeader(name: winner.entry.forwardedClaims[index].header, value: value))
                }
            }
        }
        let locations = winner.entry.tokenLocations
        // The common case, one place and nothing spoofed: the entry's own one-name
        // removal list for a header location, shared rather than made anew.
        if spoofed.isEmpty, foundAt.count == 1, foundAt[0].source == .header,
           let index = onlyPlace >= 0 ? onlyPlace : locations.firstIndex(where: { foundAt[0].isPlace(of: $0) }) {
            let remove = locations[index].passthrough ? [] : winner.singleRemovals[index]
            return Decision(verdict: .allow, status: 200, reason: reason, authentication: winner.entry.name,
                            mutations: HeaderMutations(set: set, remove: remove),
                            challenge: nil, explained: finished(), detail: .none, token: token ?? self.token)
        }
        var mutations = HeaderMutations(set: set, remove: spoofed)
        for place in foundAt {
            let own = locations.first { place.isPlace(of: $0) }
            guard !(own?.passthrough ?? false) else { continue }
            switch place.source {
            case .header: if !mutations.remove.contains(place.name) { mutations.remove.append(place.name) }
            case .query: if !mutations.removeQuery.contains(place.name) { mutations.removeQuery.append(place.name) }
            case .cookie: if !mutations.removeCookies.contains(place.name) { mutations.removeCookies.append(place.name) }
            }
        }
        return Decision(verdict: .allow, status: 200, reason: reason, authentication: winner.entry.name, mutations: mutations,
                        challenge: nil, explained: finished(), detail: .none, token: token ?? self.token)
    }

    func deny(_ status: Int, _ reason: Decision.Reason, entry: Int? = nil, detail: Decision.Detail = .none, presented: Bool = true) -> Decision {
        let name = entry.map { policy.entries[$0].entry.name }
        var challenge: Decision.Challenge?
        if status == 401 || status == 403 {
            let error: Decision.Challenge.Error? = status == 403 ? .insufficientScope
                : reason == .tokenAmbiguous ? .invalidRequest
                : presented ? .invalidToken : nil
            challenge = Decision.Challenge(error: error, describe: presented || status == 403)
        }
        return Decision(verdict: .deny, status: status, reason: reason, authentication: name,
                        mutations: spoofedRemoval, challenge: challenge, explained: finished(), detail: detail,
                        token: token)
    }

    /// A claim as a header value: a string as is, a number or boolean as its JSON text, an
    /// array of strings joined with `,`. Anything else, or a value with control characters
    /// (header injection), sets no header.
    static func headerValue(_ value: JSONValue) -> String? {
        let text: String
        switch value {
        case .string(let string, _):
            return Self.isSafeHeaderValue(string) ? string : nil
        case .number(let number, _): text = number.text
        case .bool(let flag, _): text = flag ? "true" : "false"
        case .array(let elements, _):
            var parts: [String] = []
            for element in elements {
                guard case .string(let string, _) = element else { return nil }
                parts.append(string)
            }
            text = parts.joined(separator: ",")
        default: return nil
        }
        return Self.isSafeHeaderValue(text) ? text : nil
    }

    /// No control character but tab (header injection).
    static func isSafeHeaderValue(_ text: String) -> Bool {
        ASCII.withBytes(text) { bytes in
            for index in 0..<bytes.count {
                let byte = bytes[index]
                if (byte < 0x20 && byte != 0x09) || byte == 0x7F { return false }
            }
            return true
        }
    }

    // MARK: explanation

    /// A CORS preflight that every protecting entry lets through: allowed without a token.
    /// Tokens at the bypassed entries' own locations are still removed (unless passed
    /// through), so a preflight never carries one to the backend; nothing else is set.
    func allowPreflight(bypassing bypassed: [Int], _ request: NormalizedRequest) -> Decision {
        var mutations = HeaderMutations(remove: spoofed)
        for index in bypassed {
            for location in policy.entries[index].entry.tokenLocations where !location.passthrough {
                if case .none = TokenExtractor.extract(from: request, locations: [location]) { continue }
                switch location.source {
                case .header: if !mutations.remove.contains(location.name) { mutations.remove.append(location.name) }
                case .query: if !mutations.removeQuery.contains(location.name) { mutations.removeQuery.append(location.name) }
                case .cookie: if !mutations.removeCookies.contains(location.name) { mutations.removeCookies.append(location.name) }
                }
            }
        }
        return Decision(verdict: .allow, status: 200, reason: .corsPreflight, authentication: nil, mutations: mutations,
                        challenge: nil, explained: finished(), detail: .none, token: nil)
    }

    mutating func startExplanation(_ request: NormalizedRequest, domainClass: UInt32, node: UInt32, protecting entries: [Int],
                                   matchedRules: [UInt32], bypassed: [Int]) {
        let program = policy.program
        var protecting: [Explanation.ProtectingEntry] = []
        for index in entries {
            let entry = program.entries[index]
            var because: [String] = []
            if entry.mode == .blacklist {
                for rule in matchedRules where program.rules[Int(rule)].entry == UInt32(index) {
                    let info = program.rules[Int(rule)]
                    let methods = info.methods.map { " methods " + MethodMask.names($0).joined(separator: ",") } ?? ""
                    because.append("rule domain \(info.domain) path \(info.path)\(methods) at \(location(info.source))")
                }
            } else {
                because.append("no whitelist rule of the entry (\(location(entry.source))) exempts the request")
            }
            protecting.append(.init(name: entry.name, mode: entry.mode == .blacklist ? "blacklist" : "whitelist", because: because))
        }
        draft = ExplanationDraft(Explanation(
            host: request.host.text, path: request.path, method: request.method,
            corsPreflightBypassed: bypassed.map { program.entries[$0].name },
            domainClass: "c\(domainClass) [\(program.domainClasses[Int(domainClass)].description)]",
            domainClassIndex: Int(domainClass), pathNode: Int(node), protecting: protecting, token: nil, checks: []))
    }

    mutating func noteToken(_ token: JWSToken, foundAt: [FoundToken]) {
        self.token = token
        guard explain else { return }
        let places = foundAt.map { "\(["header", "query", "cookie"][Int($0.source.rawValue)]) \($0.name)" }
        draft?.value.token = .init(foundAt: places, issuer: token.issuer, algorithm: token.header.algName, kid: token.header.kid)
    }

    mutating func check(_ entry: String?, _ name: String, passed: Bool, detail: String = "") {
        guard explain else { return }
        draft?.value.checks.append(.init(entry: entry, name: name, passed: passed, detail: detail))
    }

    func location(_ index: UInt32) -> String {
        let map = policy.program.sourceMap
        return Int(index) < map.count ? map[Int(index)].description : "?"
    }

    /// The explanation, boxed, when one was asked for (nil without touching it otherwise).
    func finished() -> Decision.Explained? {
        guard explain, let draft else { return nil }
        return Decision.Explained(draft.value)
    }
}

/// An explanation under construction (see ``DecisionContext/draft``).
final class ExplanationDraft {
    var value: Explanation
    init(_ value: Explanation) { self.value = value }
}
