public import BundleFormat
import JOSE

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a bundle could not be loaded. `description` names what is wrong.
public struct PolicyLoadError: Error, Sendable, CustomStringConvertible {
    /// The class of a load failure: a small fixed set, safe as a metric label.
    public enum Kind: String, Sendable, CaseIterable {
        /// The bundle could not be read (file, network).
        case unreadable
        /// Not a bundle, an unsupported version, truncated or malformed.
        case format
        /// The digest does not match the content.
        case digest
        /// Unsigned while trusted keys are given, a bad signature, or an untrusted signer.
        case signature
        /// An environment-variable secret is missing or unusable.
        case environment
        /// A key or an entry cannot be loaded.
        case key
    }

    public let kind: Kind
    public let description: String

    public init(_ description: String, kind: Kind = .key) {
        self.description = description
        self.kind = kind
    }

    init(_ error: BundleError) {
        switch error {
        case .notABundle, .unsupportedVersion, .truncated, .malformed: kind = .format
        case .digestMismatch: kind = .digest
        case .unsigned, .signatureInvalid, .untrustedSigner: kind = .signature
        case .io: kind = .unreadable
        }
        description = error.description
    }
}

/// Loads bundles: checks the digest, the signature when trusted keys are given (fail
/// closed), resolves environment-variable HMAC secrets, and parses every key into an
/// OpenSSL key once.
public struct PolicyLoader: Sendable {
    public var trustedKeys: [BundleTrustedKey]
    /// Looks up environment variables; the process environment by default.
    public var environment: @Sendable (String) -> String?
    /// How many verified tokens to keep (docs/performance.md, "The verified-token cache");
    /// 0 turns the cache off. Every policy this loader (and its copies) loads shares one
    /// cache, so the bound holds for the process however many policies are loaded; setting
    /// it starts a new, empty cache.
    public var tokenCacheCapacity: Int {
        didSet { tokenCache = VerifiedTokenCache(capacity: tokenCacheCapacity) }
    }
    private var tokenCache: VerifiedTokenCache?

    /// The default `tokenCacheCapacity`.
    public static let defaultTokenCacheCapacity = VerifiedTokenCache.defaultCapacity

    public init(trustedKeys: [BundleTrustedKey] = [], environment: @escaping @Sendable (String) -> String? = PolicyLoader.processEnvironment,
                tokenCacheCapacity: Int = PolicyLoader.defaultTokenCacheCapacity) {
        self.trustedKeys = trustedKeys
        self.environment = environment
        self.tokenCacheCapacity = tokenCacheCapacity
        tokenCache = VerifiedTokenCache(capacity: tokenCacheCapacity)
    }

    public static let processEnvironment: @Sendable (String) -> String? = { name in
        getenv(name).map { String(cString: $0) }
    }

    public func load(bytes: [UInt8]) throws(PolicyLoadError) -> LoadedPolicy {
        let program: DecisionProgram
        do {
            program = try BundleReader(trustedKeys: trustedKeys).read(bytes)
        } catch {
            throw PolicyLoadError(error)
        }
        return try load(program: program)
    }

    /// Reads and loads a bundle file.
    public func load(path: String) throws(PolicyLoadError) -> LoadedPolicy {
        guard let bytes = FileBytes.read(path) else { throw PolicyLoadError("cannot read `\(path)`", kind: .unreadable) }
        return try load(bytes: bytes)
    }

    public func load(program: DecisionProgram) throws(PolicyLoadError) -> LoadedPolicy {
        var verificationKeys: [VerificationKey] = []
        for (index, key) in program.keys.enumerated() {
            verificationKeys.append(try loadKey(key, index: index))
        }
        var entries: [RuntimeEntry] = []
        for entry in program.entries {
            var algorithms: Set<JWSAlgorithm> = []
            for name in entry.algorithms {
                guard let algorithm = JWSAlgorithm(rawValue: name) else {
                    throw PolicyLoadError("entry `\(entry.name)`: unknown algorithm `\(name)`")
                }
                algorithms.insert(algorithm)
            }
            let keySet: KeySet
            do {
                keySet = try KeySet(entry.keyIndices.map { verificationKeys[Int($0)] })
            } catch {
                throw PolicyLoadError("entry `\(entry.name)`: \(error.message)")
            }
            let tokenPolicy = TokenPolicy(
                issuer: entry.issuer, subject: entry.subject, audiences: entry.audiences,
                allowedAlgorithms: algorithms, clockSkew: Double(entry.clockSkew),
                requireExpiration: entry.requireExpiration, maxLifetime: entry.maxLifetime.map { Double($0) })
            let verifier = JWTVerifier(keys: keySet, policy: tokenPolicy)
            let keys: EntryKeys
            if let remote = entry.remoteKeys {
                // The bootstrap set that `compile --fetch-jwks` embedded serves for
                // `maxStale` after its fetch, until the refresher installs fresher keys;
                // without one, the entry has no keys and fails closed.
                let fetchedAt = keySet.isEmpty ? nil : remote.bootstrapFetchedAt.map { Double($0) }
                keys = .remote(RemoteEntryKeys(initial: KeySetGeneration(verifier: verifier), fetchedAt: fetchedAt,
                                               maxStale: Double(remote.refresh.maxStale)))
            } else {
                keys = .fixed(KeySetGeneration(verifier: verifier))
            }
            entries.append(RuntimeEntry(entry: entry, keys: keys, verifierTemplate: verifier))
        }
        return LoadedPolicy(program: program, entries: entries, tokenCache: tokenCache)
    }

    func loadKey(_ key: Key, index: Int) throws(PolicyLoadError) -> VerificationKey {
        let alg = key.algorithm.flatMap { JWSAlgorithm(rawValue: $0) }
        let name = "key \(index)\(key.kid.map { " (kid `\($0)`)" } ?? "")"
        do {
            switch key.material {
            case .spki(let der):
                return try VerificationKey(derSPKI: der, kid: key.kid, alg: alg)
            case .secret(let secret):
                return try VerificationKey(JWK(hmacSecret: secret, kid: key.kid, alg: alg))
            case .secretFromEnvironment(let variable):
                guard let text = environment(variable), !text.isEmpty else {
                    throw PolicyLoadError("\(name): the environment variable `\(variable)` holding its HMAC secret is not set", kind: .environment)
                }
                guard case .success(let secret) = Base64URL.decode(text) else {
                    throw PolicyLoadError("\(name): the environment variable `\(variable)` is not base64url (unpadded, as a JWK `k`)", kind: .environment)
                }
                let needed = alg?.hashLength ?? 32
                guard secret.count >= needed else {
                    throw PolicyLoadError("\(name): the secret in `\(variable)` is \(secret.count) bytes; \(alg?.rawValue ?? "HS256") needs at least \(needed) (RFC 7518 §3.2)", kind: .environment)
                }
                return try VerificationKey(JWK(hmacSecret: secret, kid: key.kid, alg: alg))
            }
        } catch let error as PolicyLoadError {
            throw error
        } catch let error as KeyLoadError {
            throw PolicyLoadError("\(name): \(error.message)")
        } catch {
            throw PolicyLoadError("\(name): \(error)")
        }
    }
}

/// Whole-file reads without Foundation (bundles, and the decision service's bundle files).
public enum FileBytes {
    /// The file's bytes; nil when it cannot be read, or is larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 64 << 20) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if bytes.count > limit { return nil }
            if count < buffer.count { break }
        }
        return ferror(file) == 0 ? bytes : nil
    }
}
