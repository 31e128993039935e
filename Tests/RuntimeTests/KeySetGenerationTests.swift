import BundleFormat
import JOSE
import Runtime
import TokenSigning
import XCTest

/// Remote key sets replaced while the policy serves (docs/policy-language.md, "Keys from an
/// identity provider"): a fetched set passes the whole-JWKS validation before it replaces
/// anything, a rejected set leaves the last good one serving, a key that disappears stops
/// verifying at once, and a confirmation (a 304) restarts the `maxStale` clock.
final class KeySetGenerationTests: XCTestCase {
    let now = DecisionFixture.now
    let url = "https://issuer.example.com/jwks.json"

    /// The fixture with `api` on remote keys: no bootstrap set, `maxStale` 100 s.
    func remotePolicy() throws -> (DecisionFixture, LoadedPolicy) {
        let fixture = try DecisionFixture()
        var program = fixture.program
        let index = try XCTUnwrap(program.entries.firstIndex { $0.name == "api" })
        var refresh = RemoteKeys.Refresh.defaults
        refresh.maxStale = 100
        program.entries[index].remoteKeys = RemoteKeys(url: url, discovery: false, allowInsecure: false, refresh: refresh)
        program.entries[index].keyIndices = []
        return (fixture, try PolicyLoader(environment: { _ in nil }).load(program: program))
    }

    /// A P-256 signer's public JWK (the SPKI's last 64 bytes are x and y).
    static func jwk(_ signer: TestSigner, kid: String) -> String {
        let point = Array(signer.jwk.keyMaterial.suffix(64))
        return #"{"kty":"EC","crv":"P-256","kid":"\#(kid)","alg":"ES256","x":"\#(Base64URL.encode(Array(point.prefix(32))))","y":"\#(Base64URL.encode(Array(point.suffix(32))))"}"#
    }

    static func set(_ keys: [String]) -> [UInt8] {
        Array(#"{"keys":[\#(keys.joined(separator: ","))]}"#.utf8)
    }

    func decide(_ policy: LoadedPolicy, _ token: String, at time: Double? = nil) -> Decision {
        Self.decide(policy, token, at: time ?? now)
    }

    static func decide(_ policy: LoadedPolicy, _ token: String, at time: Double) -> Decision {
        policy.decide(HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/items",
                                  headers: [HTTPHeader("Authorization", "Bearer " + token)]), now: time)
    }

    func testAFetchedSetIsInstalledAndRotationTakesEffectAtOnce() throws {
        let (fixture, policy) = try remotePolicy()
        XCTAssertEqual(policy.remoteKeySources.map(\.url), [url])
        XCTAssertEqual(policy.remoteKeySource(ofEntry: "api")?.entries, ["api"])
        XCTAssertNil(policy.keyState(url: url))
        XCTAssertFalse(policy.hasUsableKeys(url: url, now: now))
        XCTAssertEqual(decide(policy, fixture.apiToken()).reason, .unknownKey)

        let old = Self.jwk(fixture.api, kid: "api-1")
        XCTAssertEqual(try policy.installKeys(url: url, jwks: Self.set([old]), fetchedAt: now), .installed(keys: 1))
        XCTAssertEqual(decide(policy, fixture.apiToken()).reason, .authenticated)
        XCTAssertTrue(policy.hasUsableKeys(url: url, now: now))
        XCTAssertEqual(policy.keyState(url: url)?.keys, 1)

        // A new kid appears next to the old one: both verify.
        let next = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "api-2")
        let nextToken = fixture.apiToken(header: #"{"alg":"ES256","kid":"api-2"}"#, signer: next)
        XCTAssertEqual(decide(policy, nextToken).reason, .unknownKey)
        XCTAssertEqual(try policy.installKeys(url: url, jwks: Self.set([old, Self.jwk(next, kid: "api-2")]), fetchedAt: now + 1),
                       .installed(keys: 2))
        XCTAssertEqual(decide(policy, nextToken).reason, .authenticated)
        XCTAssertEqual(decide(policy, fixture.apiToken()).reason, .authenticated)

        // The old kid is removed: its tokens stop verifying at once.
        try policy.installKeys(url: url, jwks: Self.set([Self.jwk(next, kid: "api-2")]), fetchedAt: now + 2)
        XCTAssertEqual(decide(policy, fixture.apiToken()).reason, .unknownKey)
        XCTAssertEqual(decide(policy, nextToken).reason, .authenticated)
    }

    func testTheSameKeysAgainOnlyResetTheirAge() throws {
        let (fixture, policy) = try remotePolicy()
        let set = Self.set([Self.jwk(fixture.api, kid: "api-1")])
        XCTAssertEqual(try policy.installKeys(url: url, jwks: set, fetchedAt: now - 90), .installed(keys: 1))
        XCTAssertEqual(try policy.installKeys(url: url, jwks: set, fetchedAt: now - 50), .unchanged(keys: 1))
        XCTAssertEqual(decide(policy, fixture.apiToken(), at: now + 50).reason, .authenticated, "maxStale counts from the last confirmation")
        XCTAssertEqual(decide(policy, fixture.apiToken(), at: now + 51).reason, .unknownKey)
        policy.confirmKeys(url: url, at: now + 40)
        XCTAssertEqual(policy.keyState(url: url)?.confirmedAt, now + 40)
        XCTAssertEqual(decide(policy, fixture.apiToken(), at: now + 140).reason, .authenticated, "a 304 restarts the clock")
        XCTAssertFalse(policy.hasUsableKeys(url: url, now: now + 141))
        policy.confirmKeys(url: url, at: now)
        XCTAssertEqual(policy.keyState(url: url)?.confirmedAt, now + 40, "a late, older confirmation never moves the deadline back")
    }

    func testConfirmingWithoutKeysGivesNone() throws {
        let (fixture, policy) = try remotePolicy()
        policy.confirmKeys(url: url, at: now)
        XCTAssertNil(policy.keyState(url: url))
        XCTAssertEqual(decide(policy, fixture.apiToken()).reason, .unknownKey)
    }

    func testABadSetNeverReplacesTheGoodOne() throws {
        let (fixture, policy) = try remotePolicy()
        let good = Self.jwk(fixture.api, kid: "api-1")
        try policy.installKeys(url: url, jwks: Self.set([good]), fetchedAt: now)
        let d = #"{"kty":"EC","crv":"P-256","kid":"leak","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#
        let poisoned: [(String, [UInt8])] = [
            ("empty", Self.set([])),
            ("garbage", Array("<html>".utf8)),
            ("not an object", Array("[]".utf8)),
            ("a private key next to a good one", Self.set([good, d])),
            ("an HMAC secret", Self.set([#"{"kty":"oct","kid":"s","alg":"HS256","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"}"#])),
            ("a duplicate kid", Self.set([good, good])),
            ("only an RSA key for an ES256 entry", Array(#"{"keys":[{"kty":"RSA","kid":"r","e":"AQAB","n":"\#(String(repeating: "w", count: 342))"}]}"#.utf8)),
        ]
        for (name, body) in poisoned {
            XCTAssertThrowsError(try policy.installKeys(url: url, jwks: body, fetchedAt: now + 10), name)
            XCTAssertEqual(decide(policy, fixture.apiToken()).reason, .authenticated, "\(name): the last good set serves")
            XCTAssertEqual(policy.keyState(url: url)?.confirmedAt, now, "\(name): a rejected set does not confirm the old one")
        }
        XCTAssertThrowsError(try policy.installKeys(url: "https://other.example.com/jwks", jwks: Self.set([good]), fetchedAt: now))
    }

    func testEntriesWithBundleKeysHaveNoSource() throws {
        let fixture = try DecisionFixture()
        XCTAssertEqual(fixture.policy.remoteKeySources, [])
        XCTAssertNil(fixture.policy.remoteKeySource(ofEntry: "api"))
    }

    func testConcurrentDecisionsDuringRotationAlwaysUseOneWholeGeneration() throws {
        let (fixture, policy) = try remotePolicy()
        let a = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "a")
        let b = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "b")
        let setA = Self.set([Self.jwk(a, kid: "a")]), setB = Self.set([Self.jwk(b, kid: "b")])
        let tokenA = fixture.apiToken(header: #"{"alg":"ES256","kid":"a"}"#, signer: a)
        let tokenB = fixture.apiToken(header: #"{"alg":"ES256","kid":"b"}"#, signer: b)
        try policy.installKeys(url: url, jwks: setA, fetchedAt: now)
        let wrong = ManagedCounter()
        let now = self.now, url = self.url
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            if worker == 0 {
                for round in 0..<200 { _ = try? policy.installKeys(url: url, jwks: round % 2 == 0 ? setB : setA, fetchedAt: now) }
                return
            }
            for _ in 0..<400 {
                let a = Self.decide(policy, tokenA, at: now).reason, b = Self.decide(policy, tokenB, at: now).reason
                // Each decision sees A or B whole: a token is either verified or its kid unknown.
                if ![Decision.Reason.authenticated, .unknownKey].contains(a) || ![Decision.Reason.authenticated, .unknownKey].contains(b) {
                    wrong.add()
                }
            }
        }
        XCTAssertEqual(wrong.value, 0)
    }
}

/// A counter shared by test threads.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
