import BundleFormat
import Runtime
import XCTest

/// Keys from an identity provider (`jwksUri`, `discovery`) loaded from the bundle's bootstrap
/// set: usable for `jwksRefresh.maxStale` after their fetch, then the entry fails closed;
/// with no bootstrap set, it has no keys at all (docs/policy-language.md).
final class RemoteKeyStalenessTests: XCTestCase {
    let now = DecisionFixture.now

    func policy(bootstrapFetchedAt: UInt64?, maxStale: UInt32 = 3600, keys: Bool = true) throws -> (DecisionFixture, LoadedPolicy) {
        let fixture = try DecisionFixture()
        var program = fixture.program
        let index = try XCTUnwrap(program.entries.firstIndex { $0.name == "api" })
        var refresh = RemoteKeys.Refresh.defaults
        refresh.maxStale = maxStale
        program.entries[index].remoteKeys = RemoteKeys(url: "https://issuer.example.com/jwks.json", discovery: false,
                                                       allowInsecure: false, refresh: refresh, bootstrapFetchedAt: bootstrapFetchedAt)
        if !keys { program.entries[index].keyIndices = [] }
        return (fixture, try PolicyLoader(environment: { _ in nil }).load(program: program))
    }

    func decide(_ policy: LoadedPolicy, _ token: String, at time: Double) -> Decision {
        policy.decide(HTTPRequest(method: "GET", host: "api.example.com", target: "/v1/items",
                                  headers: [HTTPHeader("Authorization", "Bearer " + token)]), now: time)
    }

    func testBootstrapKeysServeUntilMaxStaleThenFailClosed() throws {
        let fetched = UInt64(now) - 3000
        let (fixture, policy) = try policy(bootstrapFetchedAt: fetched, maxStale: 3600)
        let token = fixture.apiToken()
        XCTAssertEqual(decide(policy, token, at: now).reason, .authenticated, decide(policy, token, at: now).message)
        XCTAssertEqual(decide(policy, token, at: Double(fetched) + 3600).reason, .authenticated, "maxStale itself still serves")
        let stale = decide(policy, token, at: Double(fetched) + 3601)
        XCTAssertEqual(stale.status, 401)
        XCTAssertEqual(stale.reason, .unknownKey)
        XCTAssertTrue(stale.message.contains("maxStale"), stale.message)
        XCTAssertFalse(stale.wwwAuthenticate?.contains("maxStale") ?? false, "no policy internals reach the client")
    }

    func testWithoutBootstrapKeysTheEntryFailsClosed() throws {
        let (fixture, policy) = try policy(bootstrapFetchedAt: nil, keys: false)
        let decision = decide(policy, fixture.apiToken(), at: now)
        XCTAssertEqual(decision.status, 401)
        XCTAssertEqual(decision.reason, .unknownKey)
        XCTAssertTrue(decision.message.contains("has none yet"), decision.message)
    }

    func testOtherEntriesAreUnaffected() throws {
        let (fixture, policy) = try policy(bootstrapFetchedAt: nil, keys: false)
        let decision = policy.decide(HTTPRequest(method: "GET", host: "hooks.example.com", target: "/any",
                                                 headers: [HTTPHeader("X-Hook-Token", fixture.hookToken())]), now: now)
        XCTAssertEqual(decision.reason, .authenticated, decision.message)
    }
}
