public import BundleFormat
import JOSE

/// A key set URL of the bundle and the entries that use it: what the decision service's
/// refresher fetches. Entries that share a URL share one source.
public struct RemoteKeySource: Sendable, Equatable {
    /// The URL in the policy: the `jwksUri`, or the discovery document's URL.
    public let url: String
    /// `url` is an OpenID discovery document; its `issuer` must equal `issuer`.
    public let discovery: Bool
    /// The entries' issuer (entries sharing a discovery URL share the issuer it derives from).
    public let issuer: String
    /// Plain http to a loopback address is allowed (every sharing entry allows it).
    public let allowInsecure: Bool
    /// The sharing entries' settings combined: the shortest intervals (the freshest
    /// wins) and the longest cooldown (the fewest attacker-triggered fetches).
    public let refresh: RemoteKeys.Refresh
    /// The entries, by name.
    public let entries: [String]
    /// When the bundle's bootstrap set was fetched, nil without one.
    public let bootstrapFetchedAt: UInt64?
}

/// Why a fetched key set was not installed. The set in use stays.
public struct KeySetRejection: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// What installing a fetched set did.
public enum KeySetInstall: Sendable, Equatable {
    /// A new generation is in use (the keys changed).
    case installed(keys: Int)
    /// The same keys as before: only their age was reset.
    case unchanged(keys: Int)
}

extension LoadedPolicy {
    /// The distinct key set URLs of the bundle, in entry order.
    public var remoteKeySources: [RemoteKeySource] { remoteSources }

    /// The key set URL an entry's keys come from, nil for keys held in the bundle.
    public func remoteKeySource(ofEntry name: String) -> RemoteKeySource? {
        remoteSources.first { $0.entries.contains(name) }
    }

    /// Validates a fetched JWKS as the compiler validates one (the whole set, every key;
    /// no private members, weak keys, HMAC secrets or duplicate kids; at least one key an
    /// entry's algorithms can use) and installs it as a new generation for every entry of
    /// `url`, all or none. A rejected set changes nothing.
    @discardableResult
    public func installKeys(url: String, jwks body: [UInt8], fetchedAt: Double) throws(KeySetRejection) -> KeySetInstall {
        let indices = remoteEntryIndices(url)
        guard !indices.isEmpty else { throw KeySetRejection(description: "no entry uses `\(url)`") }
        let keys = try Self.validatedKeys(body)
        let thumbprints = keys.keys.map(\.jwk.thumbprint).sorted()
        var generations: [(RemoteEntryKeys, KeySetGeneration?)] = []
        for index in indices {
            guard case .remote(let slot) = entries[index].keys else { continue }
            let verifier = entries[index].verifierTemplate
            let algorithms = verifier.policy.allowedAlgorithms ?? Set(JWSAlgorithm.allCases)
            guard keys.keys.contains(where: { key in algorithms.contains { key.allows($0) } }) else {
                throw KeySetRejection(description: "no key can verify the algorithms of entry `\(entries[index].entry.name)` ("
                                      + algorithms.map(\.rawValue).sorted().joined(separator: ", ") + ")")
            }
            let same = slot.generation.load(ordering: .acquiring).thumbprints == thumbprints
            generations.append((slot, same ? nil : KeySetGeneration(verifier: JWTVerifier(keys: keys, policy: verifier.policy))))
        }
        var changed = false
        for (slot, generation) in generations {
            if let generation {
                slot.install(generation, confirmedAt: fetchedAt)
                changed = true
            } else {
                slot.confirm(at: fetchedAt)
            }
        }
        return changed ? .installed(keys: keys.keys.count) : .unchanged(keys: keys.keys.count)
    }

    /// A fetch confirmed the set in use without a body (a 304): its age starts again.
    public func confirmKeys(url: String, at time: Double) {
        for index in remoteEntryIndices(url) {
            if case .remote(let slot) = entries[index].keys, slot.confirmedAt != nil { slot.confirm(at: time) }
        }
    }

    /// The set in use for `url`: how many keys, and when a fetch (or the bundle's
    /// bootstrap) last confirmed it; nil when no entry of `url` has keys yet.
    public func keyState(url: String) -> (keys: Int, confirmedAt: Double)? {
        for index in remoteEntryIndices(url) {
            guard case .remote(let slot) = entries[index].keys, let confirmed = slot.confirmedAt else { continue }
            return (slot.generation.load(ordering: .acquiring).verifier.keys.keys.count, confirmed)
        }
        return nil
    }

    /// Whether every entry of `url` has keys that are not past `maxStale` at `now`.
    public func hasUsableKeys(url: String, now: Double) -> Bool {
        remoteEntryIndices(url).allSatisfy { index in
            if case .remote(let slot) = entries[index].keys { return now <= slot.usableUntil }
            return true
        }
    }

    func remoteEntryIndices(_ url: String) -> [Int] {
        entries.indices.filter { entries[$0].entry.remoteKeys?.url == url }
    }

    /// The whole-JWKS validation of JOSE, plus what only a published set can get wrong.
    static func validatedKeys(_ body: [UInt8]) throws(KeySetRejection) -> KeySet {
        let result = JWKSValidation.validate(json: body)
        if let error = result.issues.first(where: { $0.severity == .error }) {
            let more = result.issues.filter { $0.severity == .error }.count - 1
            throw KeySetRejection(description: error.message + (more > 0 ? " (and \(more) more problems)" : ""))
        }
        if let secret = result.keys.first(where: { if case .oct = $0.kind { true } else { false } }) {
            throw KeySetRejection(description: "key \(secret.kid.map { "`\($0)`" } ?? "without kid") is an HMAC secret published in a JWKS, so anyone who fetches it can sign tokens")
        }
        do {
            return try KeySet(jwks: result.keys)
        } catch {
            throw KeySetRejection(description: error.message)
        }
    }

    /// The bundle's key set URLs, grouped.
    static func sources(of entries: [RuntimeEntry]) -> [RemoteKeySource] {
        var order: [String] = []
        var grouped: [String: [RuntimeEntry]] = [:]
        for entry in entries {
            guard let remote = entry.entry.remoteKeys else { continue }
            if grouped[remote.url] == nil { order.append(remote.url) }
            grouped[remote.url, default: []].append(entry)
        }
        return order.map { url in
            let group = grouped[url]!
            let settings = group.compactMap(\.entry.remoteKeys)
            let refresh = RemoteKeys.Refresh(
                defaultInterval: settings.map(\.refresh.defaultInterval).min()!, minInterval: settings.map(\.refresh.minInterval).min()!,
                maxInterval: settings.map(\.refresh.maxInterval).min()!, maxStale: settings.map(\.refresh.maxStale).min()!,
                cooldown: settings.map(\.refresh.cooldown).max()!)
            return RemoteKeySource(url: url, discovery: settings[0].discovery, issuer: group[0].entry.issuer,
                                   allowInsecure: settings.allSatisfy(\.allowInsecure), refresh: refresh,
                                   entries: group.map(\.entry.name), bootstrapFetchedAt: settings.compactMap(\.bootstrapFetchedAt).min())
        }
    }
}
