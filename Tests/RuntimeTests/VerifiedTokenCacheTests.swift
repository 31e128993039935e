import BundleFormat
import Compiler
import Diagnostics
import JOSE
@testable import Runtime
import TestSupport
import TokenSigning
import XCTest

/// The verified-token cache (docs/performance.md, "The verified-token cache"): a hit skips
/// parsing and the signature only, so every decision equals the one an uncached policy
/// makes; a result stands only for the same bytes, policy, entry and key-set generation.
final class VerifiedTokenCacheTests: XCTestCase {
    let now = DecisionFixture.now

    /// The fixture's program loaded twice: with a cache of `capacity`, and without one.
    func policies(capacity: Int = 100, program: DecisionProgram? = nil) throws -> (cached: LoadedPolicy, uncached: LoadedPolicy, fixture: DecisionFixture) {
        let fixture = try DecisionFixture()
        let program = program ?? fixture.program
        let cached = try PolicyLoader(environment: { _ in nil }, tokenCacheCapacity: capacity).load(program: program)
        let uncached = try PolicyLoader(environment: { _ in nil }, tokenCacheCapacity: 0).load(program: program)
        return (cached, uncached, fixture)
    }

    static func request(_ token: String, host: String = "api.example.com", header: String = "Authorization") -> HTTPRequest {
        HTTPRequest(method: "GET", host: host, target: "/v1/items", headers: [HTTPHeader(header, (header == "Authorization" ? "Bearer " : "") + token)])
    }

    /// Whether two decisions are the same to every caller: verdict, status, reason, entry,
    /// mutations, challenge, messages, token facts and the explanation.
    static func same(_ a: Decision, _ b: Decision) -> Bool {
        a.verdict == b.verdict && a.status == b.status && a.reason == b.reason && a.authentication == b.authentication
            && a.mutations == b.mutations && a.wwwAuthenticate == b.wwwAuthenticate && a.message == b.message
            && a.explanation == b.explanation && a.tokenIssuer == b.tokenIssuer && a.tokenKeyID == b.tokenKeyID
            && a.tokenSubject == b.tokenSubject && a.claimFailure == b.claimFailure
    }

    /// Decides on both policies (explained), asserts the decisions are the same, and returns the cached one.
    @discardableResult
    func decide(_ policies: (cached: LoadedPolicy, uncached: LoadedPolicy, fixture: DecisionFixture), _ request: HTTPRequest,
                at time: Double? = nil, file: StaticString = #filePath, line: UInt = #line) -> Decision {
        let cached = policies.cached.decide(request, now: time ?? now, explain: true)
        let uncached = policies.uncached.decide(request, now: time ?? now, explain: true)
        XCTAssertTrue(Self.same(cached, uncached), "cached \(cached.reason) (\(cached.message)) vs uncached \(uncached.reason) (\(uncached.message))",
                      file: file, line: line)
        return cached
    }

    func testARepeatedTokenHitsAndDecidesAsUncached() throws {
        let policies = try policies()
        let token = policies.fixture.apiToken()
        let request = Self.request(token)
        XCTAssertEqual(decide(policies, request).reason, .authenticated)
        XCTAssertEqual(policies.cached.tokenCacheStatistics, TokenCacheStatistics(hits: 0, misses: 1, evictions: 0, entries: 1, capacity: 100))
        for _ in 0..<3 { XCTAssertEqual(decide(policies, request).reason, .authenticated) }
        XCTAssertEqual(policies.cached.tokenCacheStatistics, TokenCacheStatistics(hits: 3, misses: 1, evictions: 0, entries: 1, capacity: 100))
        // The request's own steps still run on a hit: another location, another path.
        let query = HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/items?access_token=" + token, headers: [])
        XCTAssertEqual(decide(policies, query).mutations.removeQuery, ["access_token"])
        XCTAssertEqual(decide(policies, HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/items?access_token=" + token,
                                                    headers: request.headers)).reason, .authenticated, "the same token twice is one token")
        let unprotected = HTTPRequest(method: "GET", host: "www.example.com", target: "/", headers: request.headers)
        XCTAssertEqual(decide(policies, unprotected).reason, .noAuthRequired)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 5, "a request that needs no token does not look")
    }

    func testExpiryAtTheExactSecondWithClockSkew() throws {
        let policies = try policies()
        // exp = now + 600, iat = now − 60, the entry's clock skew is 60 s and its maxLifetime 2 h.
        let request = Self.request(policies.fixture.apiToken())
        let exp = now + 600, skew = 60.0
        XCTAssertEqual(decide(policies, request).reason, .authenticated)
        XCTAssertEqual(decide(policies, request, at: exp + skew - 0.001).reason, .authenticated)
        XCTAssertEqual(decide(policies, request, at: exp + skew - 1).reason, .authenticated)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 2)
        XCTAssertEqual(decide(policies, request, at: exp + skew).reason, .tokenExpired, "never served past exp + skew")
        XCTAssertEqual(decide(policies, request, at: exp + skew + 3600).reason, .tokenExpired)
        // iat = now − 60: before iat − skew the token is issued in the future, even when cached.
        XCTAssertEqual(decide(policies, request, at: now - 60 - skew).reason, .authenticated)
        XCTAssertEqual(decide(policies, request, at: now - 60 - skew - 0.5).reason, .tokenIssuedInFuture)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 6, "a hit that fails its time claims is still a hit")

        // nbf, cached while valid, checked again on every hit.
        let notBefore = Self.request(policies.fixture.apiToken(["nbf": "\(Int(now) + 30)"]))
        XCTAssertEqual(decide(policies, notBefore).reason, .authenticated)
        XCTAssertEqual(decide(policies, notBefore, at: now + 30 - skew - 0.001).reason, .tokenNotYetValid)
        XCTAssertEqual(decide(policies, notBefore, at: now + 30 - skew).reason, .authenticated)
    }

    func testRotationInvalidatesCachedResults() throws {
        let fixture = try DecisionFixture()
        var program = fixture.program
        let index = try XCTUnwrap(program.entries.firstIndex { $0.name == "api" })
        let url = "https://issuer.example.com/jwks.json"
        program.entries[index].remoteKeys = RemoteKeys(url: url, discovery: false, allowInsecure: false, refresh: .defaults)
        program.entries[index].keyIndices = []
        let policies = try policies(program: program)
        let old = KeySetGenerationTests.set([KeySetGenerationTests.jwk(fixture.api, kid: "api-1")])
        let other = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "api-2")
        let new = KeySetGenerationTests.set([KeySetGenerationTests.jwk(other, kid: "api-2")])
        for policy in [policies.cached, policies.uncached] { try policy.installKeys(url: url, jwks: old, fetchedAt: now) }
        let request = Self.request(fixture.apiToken())
        XCTAssertEqual(decide(policies, request).reason, .authenticated)
        XCTAssertEqual(decide(policies, request).reason, .authenticated)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1)

        // The key is removed: the token's verified result belongs to the old generation.
        for policy in [policies.cached, policies.uncached] { try policy.installKeys(url: url, jwks: new, fetchedAt: now + 1) }
        XCTAssertEqual(decide(policies, request).reason, .unknownKey)
        XCTAssertEqual(decide(policies, request).reason, .unknownKey)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1, "a new generation never hits the old result")

        // The old key comes back: a third generation, which verifies the token afresh.
        for policy in [policies.cached, policies.uncached] { try policy.installKeys(url: url, jwks: old, fetchedAt: now + 2) }
        let misses = policies.cached.tokenCacheStatistics.misses
        XCTAssertEqual(decide(policies, request).reason, .authenticated)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.misses, misses + 1)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1)
        XCTAssertEqual(decide(policies, request).reason, .authenticated)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 2)

        // Stale keys fail closed even for a cached token.
        XCTAssertEqual(decide(policies, request, at: now + 2 + Double(RemoteKeys.Refresh.defaults.maxStale) + 1).reason, .unknownKey)
    }

    /// Two entries with one issuer and one kid but different secrets: `alpha` alone on
    /// alpha.example.com, `beta` alone on beta.example.com, both on both.example.com.
    static let sharedIssuer = """
    version: 1
    name: alpha
    issuer: https://shared.example.com
    audiences: [alpha]
    algorithms: [HS256]
    jwks: { keys: [ { kty: oct, kid: k, alg: HS256, kEnv: PLACEHOLDER } ] }
    authorization:
      mode: blacklist
      rules: [ { domain: alpha.example.com }, { domain: both.example.com } ]
    ---
    version: 1
    name: beta
    issuer: https://shared.example.com
    audiences: [beta]
    algorithms: [HS256]
    jwks: { keys: [ { kty: oct, kid: k, alg: HS256, kEnv: PLACEHOLDER } ] }
    forwardClaims:
      sub: x-user
    authorization:
      mode: blacklist
      rules: [ { domain: beta.example.com }, { domain: both.example.com } ]
    """

    func testADifferentEntryNeverReusesAnothersResult() throws {
        let outcome = Pipeline().compile(files: [SourceFile(path: "shared.yaml", text: Self.sharedIssuer)])
        var program = try XCTUnwrap(outcome.program, TextRenderer().render(outcome.check.diagnostics.sorted))
        let alpha = TestSigner(algorithm: .HS256, keyType: .hmac(bytes: 32), kid: "k")
        let beta = TestSigner(algorithm: .HS256, keyType: .hmac(bytes: 32), kid: "k")
        program.keys = [alpha, beta].map {
            Key(kid: "k", algorithm: "HS256", thumbprint: $0.jwk.thumbprint, material: .secret($0.jwk.keyMaterial), source: 0)
        }
        program.entries[try XCTUnwrap(program.entries.firstIndex { $0.name == "alpha" })].keyIndices = [0]
        program.entries[try XCTUnwrap(program.entries.firstIndex { $0.name == "beta" })].keyIndices = [1]
        let policies = try policies(program: program)
        let payload = #"{"iss":"https://shared.example.com","aud":["alpha","beta"],"sub":"u","exp":\#(Int(now) + 600)}"#
        let byAlpha = alpha.sign(header: #"{"alg":"HS256","kid":"k"}"#, payload: payload)
        let byBeta = beta.sign(header: #"{"alg":"HS256","kid":"k"}"#, payload: payload)

        XCTAssertEqual(decide(policies, Self.request(byAlpha, host: "alpha.example.com")).reason, .authenticated)
        XCTAssertEqual(decide(policies, Self.request(byAlpha, host: "alpha.example.com")).reason, .authenticated)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1)
        // alpha's verification of the token means nothing to beta, whose secret differs.
        XCTAssertEqual(decide(policies, Self.request(byAlpha, host: "beta.example.com")).reason, .badSignature)
        XCTAssertEqual(decide(policies, Self.request(byAlpha, host: "beta.example.com")).reason, .badSignature)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1)
        // Where both protect, beta's token fails alpha first (explained), then passes beta;
        // on a hit for beta, alpha is still tried in full and fails the same way.
        for _ in 0..<3 {
            let decision = decide(policies, Self.request(byBeta, host: "both.example.com"))
            XCTAssertEqual(decision.authentication, "beta")
            XCTAssertEqual(decision.explanation?.checks.map(\.passed), [false, true])
        }
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 3)
        XCTAssertEqual(decide(policies, Self.request(byBeta, host: "alpha.example.com")).reason, .badSignature)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 3)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.entries, 2)
    }

    func testAPolicyNeverReusesAnotherPolicysResult() throws {
        let fixture = try DecisionFixture()
        let loader = PolicyLoader(environment: { _ in nil }, tokenCacheCapacity: 100)
        let first = try loader.load(program: fixture.program)
        var program = fixture.program
        let other = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "api-1")
        program.keys[0] = Key(kid: "api-1", algorithm: "ES256", thumbprint: other.jwk.thumbprint, material: .spki(other.jwk.keyMaterial), source: 0)
        let second = try loader.load(program: program)
        let request = Self.request(fixture.apiToken())
        XCTAssertEqual(first.decide(request, now: now).reason, .authenticated)
        XCTAssertEqual(second.decide(request, now: now).reason, .badSignature, "the loader's cache is shared, its results are not")
        XCTAssertEqual(second.tokenCacheStatistics, TokenCacheStatistics(hits: 0, misses: 2, evictions: 0, entries: 1, capacity: 100))
    }

    func testAPayloadOrSignatureChangedByOneByteNeverHits() throws {
        let policies = try policies()
        let token = policies.fixture.hookToken()
        let request = { (token: String) in Self.request(token, host: "hooks.example.com", header: "X-Hook-Token") }
        XCTAssertEqual(decide(policies, request(token)).reason, .authenticated)
        let bytes = Array(token.utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let firstDot = try XCTUnwrap(bytes.firstIndex(of: UInt8(ascii: ".")))
        for position in (firstDot + 1)..<bytes.count where bytes[position] != UInt8(ascii: ".") {
            var changed = bytes
            changed[position] = alphabet[(alphabet.firstIndex(of: bytes[position])! + 1) % alphabet.count]
            let decision = decide(policies, request(String(decoding: changed, as: UTF8.self)))
            // The last signature character may change only padding bits, which is still a different token.
            if position != bytes.count - 1 { XCTAssertNotEqual(decision.reason, .authenticated, "byte \(position)") }
        }
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 0)
        XCTAssertEqual(decide(policies, request(token)).reason, .authenticated)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1)
    }

    func testAFailureIsNeverCached() throws {
        let policies = try policies()
        let fixture = policies.fixture
        let failing = [
            fixture.apiToken(["exp": "\(Int(now) - 3600)"]),
            fixture.apiToken(signer: fixture.stranger),
            fixture.apiToken(["aud": #""other""#]),
            fixture.apiToken(["iss": #""https://unknown.example.com""#]),
            fixture.apiToken(["exp": "\(Int(now) + 86_400)"]),
            "not.a.token",
        ]
        for token in failing {
            for _ in 0..<2 { XCTAssertNotEqual(decide(policies, Self.request(token)).reason, .authenticated) }
        }
        XCTAssertEqual(policies.cached.tokenCacheStatistics.entries, 0)
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 0)
        // A verified token that fails a claim requirement is a verification success:
        // kept, and its requirements are checked again on every hit.
        let request = Self.request(fixture.apiToken(["scope": #""api:read""#]))
        for _ in 0..<2 { XCTAssertEqual(decide(policies, request).reason, .claimRequirementFailed) }
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1)
    }

    func testAnOversizedTokenIsNeverCached() throws {
        let policies = try policies()
        // Pad a claim until the token is exactly 4 KiB, then one character longer (a
        // header member of 1 to 4 characters reaches every length).
        func token(length: Int) throws -> String {
            let fixture = policies.fixture
            let base = fixture.apiToken(["pad": #""""#]).utf8.count
            for extra in 1...4 {
                let header = #"{"alg":"ES256","kid":"api-1","x":""# + String(repeating: "y", count: extra) + #""}"#
                for pad in max(0, (length - base) * 3 / 4 - 12)...((length - base) * 3 / 4 + 4) {
                    let candidate = fixture.apiToken(["pad": "\"" + String(repeating: "x", count: pad) + "\""], header: header)
                    if candidate.utf8.count == length { return candidate }
                }
            }
            throw XCTSkip("no token of \(length) bytes")
        }
        let largest = try token(length: VerifiedTokenCache.maxTokenBytes)
        for _ in 0..<2 { XCTAssertEqual(decide(policies, Self.request(largest)).reason, .authenticated) }
        XCTAssertEqual(policies.cached.tokenCacheStatistics, TokenCacheStatistics(hits: 1, misses: 1, evictions: 0, entries: 1, capacity: 100))
        let oversized = try token(length: VerifiedTokenCache.maxTokenBytes + 1)
        for _ in 0..<2 { XCTAssertEqual(decide(policies, Self.request(oversized)).reason, .authenticated) }
        XCTAssertEqual(policies.cached.tokenCacheStatistics, TokenCacheStatistics(hits: 1, misses: 1, evictions: 0, entries: 1, capacity: 100),
                       "a token over 4 KiB is neither looked up nor kept")
    }

    func testATokenWithVeryManyClaimsIsNeverCached() throws {
        let policies = try policies()
        func claims(_ count: Int) -> [String: String?] {
            Dictionary(uniqueKeysWithValues: (0..<count).map { ("c\($0)", "0") })
        }
        let many = policies.fixture.apiToken(claims(VerifiedTokenCache.maxClaims))
        for _ in 0..<2 { XCTAssertEqual(decide(policies, Self.request(many)).reason, .authenticated) }
        XCTAssertEqual(policies.cached.tokenCacheStatistics, TokenCacheStatistics(hits: 0, misses: 2, evictions: 0, entries: 0, capacity: 100),
                       "256 claims and the registered ones: each kept claim costs ~80 bytes, more than the token's 4 KiB; verified every time")
        let some = policies.fixture.apiToken(claims(200))
        for _ in 0..<2 { XCTAssertEqual(decide(policies, Self.request(some)).reason, .authenticated) }
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 1)
        // Array elements and nested members are read in place, never kept: a long array
        // costs nothing beyond its bytes, so its token is cached.
        let array = policies.fixture.apiToken(["pad": "[" + Array(repeating: "0", count: 300).joined(separator: ",") + "]"])
        for _ in 0..<2 { XCTAssertEqual(decide(policies, Self.request(array)).reason, .authenticated) }
        XCTAssertEqual(policies.cached.tokenCacheStatistics.hits, 2)
    }

    func testSizeZeroDisablesTheCache() throws {
        let policies = try policies(capacity: 0)
        let request = Self.request(policies.fixture.apiToken())
        for _ in 0..<3 { XCTAssertEqual(decide(policies, request).reason, .authenticated) }
        XCTAssertNil(policies.cached.tokenCache)
        XCTAssertEqual(policies.cached.tokenCacheStatistics, TokenCacheStatistics())
        var loader = PolicyLoader(environment: { _ in nil })
        XCTAssertEqual(loader.tokenCacheCapacity, 10_000)
        XCTAssertEqual(try loader.load(program: policies.fixture.program).tokenCacheStatistics.capacity, 9_984, "10,000 rounded down to 64 shards of 39 sets of 4")
        loader.tokenCacheCapacity = 0
        XCTAssertNil(try loader.load(program: policies.fixture.program).tokenCache)
    }

    func testConcurrentHammeringAlwaysDecidesAsUncached() throws {
        // A small cache, so threads also evict each other's results while they decide.
        let policies = try policies(capacity: 8)
        let fixture = policies.fixture
        var tokens = (0..<12).map { fixture.apiToken(["sub": #""svc""#, "jti": "\"\($0)\""]) }
        tokens += [fixture.apiToken(signer: fixture.stranger), fixture.apiToken(["exp": "\(Int(now) + 5)"]), fixture.apiToken(["scope": #""none""#])]
        let hooks = (0..<4).map { fixture.hookToken(event: "e\($0)") }
        var requests = tokens.map { Self.request($0) }
        requests += hooks.map { Self.request($0, host: "hooks.example.com", header: "X-Hook-Token") }
        requests += tokens.prefix(3).map { Self.request($0, host: "hooks.example.com") }
        let times = [now, now + 64.5, now + 600 + 59.9, now + 660]
        // The uncached decisions, computed once: what every cached decision must equal.
        var expected: [[Decision]] = []
        for request in requests { expected.append(times.map { policies.uncached.decide(request, now: $0, explain: true) }) }
        let cached = policies.cached
        let mismatches = ManagedCounter()
        let snapshot = expected, allRequests = requests
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            var generator = SplitMix64(seed: UInt64(worker) &+ 1)
            for _ in 0..<1_500 {
                let r = Int(generator.next() % UInt64(allRequests.count)), t = Int(generator.next() % UInt64(times.count))
                let decision = cached.decide(allRequests[r], now: times[t], explain: generator.next() % 2 == 0)
                let reference = snapshot[r][t]
                let same = decision.explanation == nil
                    ? decision.reason == reference.reason && decision.status == reference.status && decision.mutations == reference.mutations
                        && decision.authentication == reference.authentication && decision.message == reference.message
                    : Self.same(decision, reference)
                if !same { mismatches.add() }
            }
        }
        XCTAssertEqual(mismatches.value, 0)
        let statistics = cached.tokenCacheStatistics
        XCTAssertGreaterThan(statistics.hits, 0)
        XCTAssertGreaterThan(statistics.evictions, 0)
        XCTAssertLessThanOrEqual(statistics.entries, 8)
    }

    // MARK: the structure itself

    func testASetEvictsItsLeastRecentlyUsedResult() throws {
        // Capacity 4: one set of 4 ways, so every token lands in it.
        let cache = try XCTUnwrap(VerifiedTokenCache(capacity: 4, seed: 1))
        let fixture = try DecisionFixture()
        let parsed = try (0..<5).map { try JWSToken.parse(fixture.apiToken(["jti": "\"\($0)\""])).get() }
        for token in parsed.prefix(4) { cache.insert(token, policy: 1, entry: 0, generation: 1) }
        XCTAssertNotNil(cache.lookup(parsed[0].compact, policy: 1) { _, _ in true })
        cache.insert(parsed[4], policy: 1, entry: 0, generation: 1)
        XCTAssertNotNil(cache.lookup(parsed[0].compact, policy: 1) { _, _ in true }, "used last, so kept")
        XCTAssertNil(cache.lookup(parsed[1].compact, policy: 1) { _, _ in true }, "the least recently used went")
        XCTAssertNil(cache.lookup(parsed[0].compact, policy: 2) { _, _ in true })
        XCTAssertNil(cache.lookup(parsed[0].compact, policy: 1) { _, generation in generation == 2 })
        // The same token, policy and entry under a new generation replaces the old result.
        cache.insert(parsed[0], policy: 1, entry: 0, generation: 2)
        XCTAssertEqual(cache.lookup(parsed[0].compact, policy: 1) { _, _ in true }?.generation, 2)
        XCTAssertEqual(cache.statistics, TokenCacheStatistics(hits: 3, misses: 3, evictions: 1, entries: 4, capacity: 4))
    }

    func testCapacityIsRoundedDownToWholeSets() {
        XCTAssertNil(VerifiedTokenCache(capacity: 0))
        XCTAssertNil(VerifiedTokenCache(capacity: -1))
        XCTAssertEqual(VerifiedTokenCache(capacity: 1)?.capacity, 1)
        XCTAssertEqual(VerifiedTokenCache(capacity: 3)?.capacity, 3)
        XCTAssertEqual(VerifiedTokenCache(capacity: 7)?.capacity, 4)
        XCTAssertEqual(VerifiedTokenCache(capacity: 256)?.capacity, 256)
        XCTAssertEqual(VerifiedTokenCache(capacity: 1_000_000)?.capacity, 1_000_000 / 256 * 256)
    }

    func testTheHashDependsOnEveryByteAndTheSeed() {
        for length in [0, 1, 7, 8, 15, 16, 17, 47, 48, 49, 95, 96, 97, 300] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let base = bytes.withUnsafeBytes { TokenHash.hash($0, seed: 42) }
            XCTAssertNotEqual(base, bytes.withUnsafeBytes { TokenHash.hash($0, seed: 43) }, "length \(length): the seed")
            for position in 0..<length {
                var changed = bytes
                changed[position] ^= 1
                XCTAssertNotEqual(base, changed.withUnsafeBytes { TokenHash.hash($0, seed: 42) }, "length \(length), byte \(position)")
            }
            if length > 0 { XCTAssertNotEqual(base, bytes.dropLast().withUnsafeBytes { TokenHash.hash($0, seed: 42) }, "length \(length)") }
        }
    }
}
