import DecisionService
import NIOCore
import NIOHTTP1
import Runtime
import XCTest

func head(_ uri: String, method: HTTPMethod = .GET, _ headers: [(String, String)] = []) -> HTTPRequestHead {
    HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders(headers))
}

let loopbackPeer = try! SocketAddress(ipAddress: "127.0.0.1", port: 50000)

final class ExtAuthzHTTPTests: XCTestCase {
    var fixture: ServiceFixture!

    override func setUpWithError() throws {
        fixture = try ServiceFixture()
    }

    /// XCTest keeps every test case object until the process ends: drop the fixture, so it
    /// does not outlive its test (and LeakSanitizer sees only what the code under test keeps).
    override func tearDown() {
        fixture = nil
    }

    func testAllowIsExactly200WithClaimsAndHeadersToRemove() {
        let endpoint = ExtAuthzHTTP(core: fixture.core, pathPrefix: "/authz")
        let reply = endpoint.reply(to: head("/authz/v1/items", [("host", "api.example.com"), ("authorization", "Bearer \(fixture.token())"),
                                                                  ("x_subject", "mallory")]), peer: loopbackPeer)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("x-subject"), "alice")
        XCTAssertEqual(Set(reply.header("x-envoy-auth-headers-to-remove")?.components(separatedBy: ", ") ?? []), ["authorization", "x_subject"])
        XCTAssertEqual(reply.body, "")
    }

    func testCookieRewriteAndRemoval() {
        let endpoint = ExtAuthzHTTP(core: fixture.core)
        let kept = endpoint.reply(to: head("/v1/items", [("host", "api.example.com"), ("cookie", "session=\(fixture.token()); theme=dark")]), peer: nil)
        XCTAssertEqual(kept.status, 200)
        XCTAssertEqual(kept.header("cookie"), "theme=dark")
        let gone = endpoint.reply(to: head("/v1/items", [("host", "api.example.com"), ("cookie", "session=\(fixture.token())")]), peer: nil)
        XCTAssertEqual(gone.header("x-envoy-auth-headers-to-remove"), "cookie")
    }

    func testDenialCarriesStatusChallengeAndBody() {
        let reply = ExtAuthzHTTP(core: fixture.core).reply(to: head("/v1/items", [("host", "api.example.com")]), peer: nil)
        XCTAssertEqual(reply.status, 401)
        XCTAssertEqual(reply.header("www-authenticate"), #"Bearer realm="gatepass""#)
        XCTAssertEqual(reply.header("content-type"), "application/json")
        XCTAssertEqual(reply.body, #"{"reason":"token_missing","description":"a token is required"}"#)
    }

    func testPathPrefixIsStrippedOnSegmentBoundaries() {
        let endpoint = ExtAuthzHTTP(core: fixture.core, pathPrefix: "/authz/")
        XCTAssertEqual(endpoint.reply(to: head("/authz/public", [("host", "api.example.com")]), peer: nil).status, 200)
        XCTAssertEqual(endpoint.reply(to: head("/authzv1/items", [("host", "api.example.com")]), peer: nil).status, 400)
        XCTAssertEqual(endpoint.reply(to: head("/v1/items", [("host", "api.example.com")]), peer: nil).status, 400)
    }

    func testNoBundleIs503() {
        XCTAssertEqual(ExtAuthzHTTP(core: ServiceFixture.emptyCore()).reply(to: head("/v1/items"), peer: nil).status, 503)
    }

    func testRefusesBundlesWithAQueryTokenWithoutPassthrough() throws {
        let refusal = try XCTUnwrap(ExtAuthzHTTP.refusal(for: fixture.program))
        XCTAssertTrue(refusal.contains("entry `api`"), refusal)
        XCTAssertTrue(refusal.contains("`access_token`"), refusal)
        XCTAssertTrue(refusal.contains("--grpc"), refusal)
        let headerOnly = try ServiceFixture(policies: ServiceFixture.policies.replacingOccurrences(of: "  - { from: query, name: access_token }\n", with: ""))
        XCTAssertNil(ExtAuthzHTTP.refusal(for: headerOnly.program))
    }
}

final class ForwardAuthTests: XCTestCase {
    var fixture: ServiceFixture!

    override func setUpWithError() throws {
        fixture = try ServiceFixture()
    }

    /// XCTest keeps every test case object until the process ends: drop the fixture, so it
    /// does not outlive its test (and LeakSanitizer sees only what the code under test keeps).
    override func tearDown() {
        fixture = nil
    }

    func original(_ extra: [(String, String)] = [], uri: String = "/v1/items", host: String = "api.example.com") -> HTTPRequestHead {
        head("/auth", [("host", "gatepass:9193"), ("x-forwarded-method", "GET"), ("x-forwarded-uri", uri), ("x-forwarded-host", host)] + extra)
    }

    func testAllowIs200WithClaims() {
        let reply = ForwardAuth(core: fixture.core).reply(to: original([("authorization", "Bearer \(fixture.token())")]), peer: loopbackPeer)
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.header("x-subject"), "alice")
    }

    func testNginxOriginalHeadersAndHost() {
        let reply = ForwardAuth(core: fixture.core).reply(to: head("/auth", [
            ("host", "api.example.com"), ("x-original-method", "POST"), ("x-original-uri", "/v1/items"),
            ("authorization", "Bearer \(fixture.token())"),
        ]), peer: loopbackPeer)
        XCTAssertEqual(reply.status, 200)
    }

    func testDenialIs401WithChallenge() {
        let reply = ForwardAuth(core: fixture.core).reply(to: original(), peer: loopbackPeer)
        XCTAssertEqual(reply.status, 401)
        XCTAssertEqual(reply.header("www-authenticate"), #"Bearer realm="gatepass""#)
        XCTAssertEqual(reply.header("x-gatepass-status"), "401")
    }

    func testUntrustedPeerIsABadRequestWhateverItClaims() throws {
        let stranger = try SocketAddress(ipAddress: "10.1.2.3", port: 4000)
        let reply = ForwardAuth(core: fixture.core).reply(to: original([("authorization", "Bearer \(fixture.token())")]), peer: stranger)
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.header("x-gatepass-reason"), "bad_request")
        XCTAssertEqual(ForwardAuth(core: fixture.core).reply(to: original(), peer: nil).status, 400)
        XCTAssertEqual(fixture.core.counters.badInput, 2)
    }

    func testConfiguredProxiesReplaceLoopback() throws {
        let proxies = try TrustedProxies(["10.1.2.3"])
        let endpoint = ForwardAuth(core: fixture.core, trustedProxies: proxies)
        XCTAssertEqual(endpoint.reply(to: original(), peer: try SocketAddress(ipAddress: "10.1.2.3", port: 1)).status, 401)
        XCTAssertEqual(endpoint.reply(to: original(), peer: loopbackPeer).status, 400)
    }

    func testIPv4MappedLoopbackIsTrusted() throws {
        XCTAssertTrue(TrustedProxies.loopback.trusts(try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 1)))
        XCTAssertTrue(TrustedProxies.loopback.trusts(try SocketAddress(ipAddress: "::1", port: 1)))
        XCTAssertFalse(TrustedProxies.loopback.trusts(try SocketAddress(ipAddress: "127.0.0.2", port: 1)))
        XCTAssertThrowsError(try TrustedProxies(["localhost"]))
    }

    func testMissingOrConflictingOriginalURIIsABadRequest() {
        let endpoint = ForwardAuth(core: fixture.core)
        XCTAssertEqual(endpoint.reply(to: head("/auth", [("host", "api.example.com")]), peer: loopbackPeer).status, 400)
        XCTAssertEqual(endpoint.reply(to: original([("x-original-uri", "/public")]), peer: loopbackPeer).status, 400)
        XCTAssertEqual(endpoint.reply(to: original([("x-forwarded-uri", "/other")]), peer: loopbackPeer).status, 400)
        XCTAssertEqual(endpoint.reply(to: original([("x-forwarded-host", "evil.example.com")]), peer: loopbackPeer).status, 400)
    }

    func testAMissingOriginalMethodIsABadRequestNeverTheAuthRequestsOwn() {
        // Method rules make the method part of the decision: nginx's auth subrequest is a GET
        // whatever the client sent, so the auth request's own method is never used.
        let endpoint = ForwardAuth(core: fixture.core)
        let noMethod = head("/auth", [("host", "gatepass:9193"), ("x-forwarded-uri", "/v1/items"), ("x-forwarded-host", "api.example.com")])
        let reply = endpoint.reply(to: noMethod, peer: loopbackPeer)
        XCTAssertEqual(reply.status, 400)
        XCTAssertEqual(reply.header("x-gatepass-reason"), "bad_request")
        let nginx = head("/auth", [("host", "api.example.com"), ("x-original-uri", "/v1/items"), ("x-forwarded-method", "GET"),
                                   ("x-gatepass-gateway", "nginx")])
        XCTAssertEqual(endpoint.reply(to: nginx, peer: loopbackPeer).header("x-gatepass-status"), "400",
                       "for nginx only X-Original-Method counts; a client-sent X-Forwarded-Method does not")
        XCTAssertEqual(endpoint.reply(to: original([("x-original-method", "POST")]), peer: loopbackPeer).status, 400,
                       "conflicting spellings are refused")
    }

    func testNginxDialectTurnsBadRequestInto403WithTheRealStatus() {
        let endpoint = ForwardAuth(core: fixture.core)
        let reply = endpoint.reply(to: head("/auth", [("host", "api.example.com"), ("x-gatepass-gateway", "nginx")]), peer: loopbackPeer)
        XCTAssertEqual(reply.status, 403)
        XCTAssertEqual(reply.header("x-gatepass-status"), "400")
        XCTAssertEqual(reply.header("x-gatepass-reason"), "bad_request")
        let unauthenticated = endpoint.reply(to: head("/auth", [("host", "api.example.com"), ("x-original-uri", "/v1/items"),
                                                                ("x-original-method", "GET"), ("x-gatepass-gateway", "nginx")]), peer: loopbackPeer)
        XCTAssertEqual(unauthenticated.status, 401, "401 passes through nginx as is")
    }

    func testNginxDialectIgnoresClientSentForwardedHeaders() {
        // nginx passes the client's headers into the subrequest: X-Forwarded-* there are the client's.
        let reply = ForwardAuth(core: fixture.core).reply(to: head("/auth", [
            ("host", "api.example.com"), ("x-original-uri", "/v1/items"), ("x-original-method", "GET"), ("x-gatepass-gateway", "nginx"),
            ("x-forwarded-host", "public.example.com"), ("x-forwarded-uri", "/public"), ("x-forwarded-method", "POST"),
        ]), peer: loopbackPeer)
        XCTAssertEqual(reply.status, 401, "decided for api.example.com /v1/items, not the client's claim")
    }

    func testDescribingHeadersAreNotPolicyHeaders() {
        // A token smuggled in X-Forwarded-Uri's neighbour headers is not read from them.
        let reply = ForwardAuth(core: fixture.core).reply(to: original([("x-forwarded-proto", "https")]), peer: loopbackPeer)
        XCTAssertEqual(reply.status, 401)
    }
}

final class AdminEndpointTests: XCTestCase {
    func testHealthAndReadiness() throws {
        let fixture = try ServiceFixture()
        let admin = AdminEndpoint(core: fixture.core)
        XCTAssertEqual(admin.reply(to: head("/healthz"), peer: nil).status, 200)
        let ready = admin.reply(to: head("/readyz"), peer: nil)
        XCTAssertEqual(ready.status, 200)
        XCTAssertTrue(ready.body.hasPrefix("ready revision="))
        XCTAssertEqual(admin.reply(to: head("/other"), peer: nil).status, 404)
        XCTAssertEqual(admin.reply(to: head("/healthz", method: .POST), peer: nil).status, 405)
        let empty = AdminEndpoint(core: ServiceFixture.emptyCore())
        XCTAssertEqual(empty.reply(to: head("/healthz"), peer: nil).status, 200)
        XCTAssertEqual(empty.reply(to: head("/readyz"), peer: nil).status, 503)
    }
}

final class ServicePartsTests: XCTestCase {
    func testLatencyRecorderQuantiles() {
        let recorder = LatencyRecorder()
        XCTAssertEqual(recorder.summary().count, 0)
        for microseconds in 0..<1000 { recorder.record(nanoseconds: microseconds * 1000 + 500) }
        let summary = recorder.summary()
        XCTAssertEqual(summary.count, 1000)
        XCTAssertTrue(summary.p50 == 500, "\(summary)")
        XCTAssertTrue(summary.p99 == 990 && summary.p999 == 999 && summary.maxMicroseconds == 999, "\(summary)")
        recorder.reset()
        XCTAssertEqual(recorder.summary().count, 0)
    }

    func testAdminStatsReportsEveryTransport() throws {
        let fixture = try ServiceFixture()
        let admin = AdminEndpoint(core: fixture.core)
        _ = ForwardAuth(core: fixture.core).reply(to: head("/auth"), peer: nil)
        let stats = admin.reply(to: head("/stats"), peer: nil)
        XCTAssertEqual(stats.status, 200)
        XCTAssertTrue(stats.body.hasPrefix("allowed=0 denied=0 bad_input=1 unavailable=0\n"), stats.body)
        for transport in ["grpc", "http", "forward-auth"] { XCTAssertTrue(stats.body.contains("transport=\(transport) count="), stats.body) }
        XCTAssertEqual(admin.reply(to: head("/stats/reset"), peer: nil).status, 405)
        XCTAssertEqual(admin.reply(to: head("/stats/reset", method: .POST), peer: nil).status, 200)
    }

    func testCookieRewriter() {
        XCTAssertEqual(CookieRewriter.rewrite([HTTPHeader("Cookie", "a=1;session=x; b=2")], removing: ["session"]), .set("a=1; b=2"))
        XCTAssertEqual(CookieRewriter.rewrite([HTTPHeader("cookie", "a=1"), HTTPHeader("cookie", "session=x")], removing: ["session"]), .set("a=1"))
        XCTAssertEqual(CookieRewriter.rewrite([HTTPHeader("cookie", " session=x ")], removing: ["session"]), .remove)
        XCTAssertEqual(CookieRewriter.rewrite([HTTPHeader("cookie", "a=1")], removing: ["session"]), .keep)
        XCTAssertEqual(CookieRewriter.rewrite([HTTPHeader("cookie", "sessionx=1; Session=2")], removing: ["session"]), .keep)
    }

    func testListenAddress() {
        XCTAssertEqual(ListenAddress(parsing: "127.0.0.1:9191"), ListenAddress(host: "127.0.0.1", port: 9191))
        XCTAssertEqual(ListenAddress(parsing: "[::1]:0"), ListenAddress(host: "::1", port: 0))
        XCTAssertEqual(ListenAddress(host: "::1", port: 5).description, "[::1]:5")
        for bad in ["127.0.0.1", "::1:80", "host:99999", "host:-1", ":80", "[::1]80", "host:8a"] {
            XCTAssertNil(ListenAddress(parsing: bad), bad)
        }
    }

    func testEveryReasonHasAFixedQuoteFreeDescription() {
        for reason in Decision.Reason.allCases {
            let text = ClientText.description(reason)
            XCTAssertFalse(text.isEmpty)
            XCTAssertFalse(text.contains("\"") || text.contains("\\") || text.contains("`"), text)
            XCTAssertTrue(text.allSatisfy(\.isASCII))
        }
    }
}
