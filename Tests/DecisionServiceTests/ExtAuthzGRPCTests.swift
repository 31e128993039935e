import DecisionService
import ExtAuthzProto
import GRPCCore
import Runtime
import XCTest

final class ExtAuthzGRPCTests: XCTestCase {
    var fixture: ServiceFixture!

    override func setUpWithError() throws {
        fixture = try ServiceFixture()
    }

    /// XCTest keeps every test case object until the process ends: drop the fixture, so it
    /// does not outlive its test (and LeakSanitizer sees only what the code under test keeps).
    override func tearDown() {
        fixture = nil
    }

    func checkRequest(host: String = "api.example.com", path: String = "/v1/items", headers: [String: String] = [:]) -> Envoy_Service_Auth_V3_CheckRequest {
        .with {
            $0.attributes.request.http = .with {
                $0.method = "GET"
                $0.host = host
                $0.path = path
                $0.headers = headers
            }
        }
    }

    func respond(_ request: Envoy_Service_Auth_V3_CheckRequest, core: DecisionCore? = nil) throws -> Envoy_Service_Auth_V3_CheckResponse {
        guard case .decided(let response) = ExtAuthzGRPC(core: core ?? fixture.core).respond(to: request) else {
            XCTFail("expected a decision")
            throw CancellationError()
        }
        return ExtAuthzGRPC.checkResponse(response)
    }

    func testAllowSetsClaimsAndRemovesTheTokenHeaderAndSpoofedClaims() throws {
        let response = try respond(checkRequest(headers: [
            "authorization": "Bearer \(fixture.token())", "x-subject": "mallory", "x_subject": "mallory", "x-event": "forged",
            "x-gatepass-revision": "forged", "x_gatepass_revision": "forged", "x.gatepass.revision": "forged",
        ]))
        XCTAssertEqual(response.status.code, 0)
        guard case .okResponse(let ok) = response.httpResponse else { return XCTFail("expected ok_response") }
        XCTAssertEqual(ok.headers.map(\.header.key), ["x-subject", "x-gatepass-revision"])
        XCTAssertEqual(ok.headers.first?.header.value, "alice")
        XCTAssertEqual(ok.headers.last?.header.value, fixture.program.manifest.revision, "the deciding revision goes upstream")
        XCTAssertTrue(ok.headers.allSatisfy { $0.appendAction == .overwriteIfExistsOrAdd }, "a client's copy is overwritten")
        XCTAssertEqual(ok.headers.first?.appendAction, .overwriteIfExistsOrAdd)
        XCTAssertTrue(ok.headersToRemove.contains("authorization"), "\(ok.headersToRemove)")
        XCTAssertTrue(ok.headersToRemove.contains("x_subject"), "\(ok.headersToRemove)")
        XCTAssertTrue(ok.headersToRemove.contains("x_gatepass_revision"), "\(ok.headersToRemove)")
        XCTAssertTrue(ok.headersToRemove.contains("x.gatepass.revision"), "\(ok.headersToRemove)")
        XCTAssertFalse(ok.headersToRemove.contains("x-gatepass-revision"), "overwritten, not removed: \(ok.headersToRemove)")
        XCTAssertTrue(ok.headersToRemove.contains("x-event"), "\(ok.headersToRemove)")
        XCTAssertFalse(ok.headersToRemove.contains("x-subject"), "overwritten, not removed: \(ok.headersToRemove)")
        XCTAssertEqual(ok.queryParametersToRemove, [])
    }

    func testPassthroughKeepsTheTokenHeader() throws {
        let response = try respond(checkRequest(host: "hooks.example.com", path: "/paid", headers: ["x-hook-token": fixture.hookToken()]))
        guard case .okResponse(let ok) = response.httpResponse else { return XCTFail("expected ok_response") }
        XCTAssertFalse(ok.headersToRemove.contains("x-hook-token"))
        XCTAssertEqual(ok.headers.map(\.header.key), ["x-event", "x-gatepass-revision"])
    }

    func testQueryTokenIsRemoved() throws {
        let response = try respond(checkRequest(path: "/v1/items?a=1&access_token=\(fixture.token())"))
        guard case .okResponse(let ok) = response.httpResponse else { return XCTFail("expected ok_response: \(response)") }
        XCTAssertEqual(ok.queryParametersToRemove, ["access_token"])
    }

    func testCookieTokenIsCutOutOfTheCookieHeader() throws {
        let response = try respond(checkRequest(headers: ["cookie": "a=1; session=\(fixture.token()); b=2"]))
        guard case .okResponse(let ok) = response.httpResponse else { return XCTFail("expected ok_response: \(response)") }
        let cookie = ok.headers.first { $0.header.key == "cookie" }
        XCTAssertEqual(cookie?.header.value, "a=1; b=2")
        XCTAssertEqual(cookie?.appendAction, .overwriteIfExistsOrAdd)
        XCTAssertFalse(ok.headersToRemove.contains("cookie"))
    }

    func testCookieHeaderIsRemovedWhenOnlyTheTokenWasInIt() throws {
        let response = try respond(checkRequest(headers: ["cookie": "session=\(fixture.token())"]))
        guard case .okResponse(let ok) = response.httpResponse else { return XCTFail("expected ok_response: \(response)") }
        XCTAssertTrue(ok.headersToRemove.contains("cookie"))
        XCTAssertFalse(ok.headers.contains { $0.header.key == "cookie" })
    }

    func testMissingTokenIsUnauthenticatedWith401() throws {
        let response = try respond(checkRequest())
        XCTAssertEqual(response.status.code, 16)
        guard case .deniedResponse(let denied) = response.httpResponse else { return XCTFail("expected denied_response") }
        XCTAssertEqual(denied.status.code, .unauthorized)
        XCTAssertEqual(header(denied, "www-authenticate"), #"Bearer realm="gatepass""#)
        XCTAssertEqual(header(denied, "x-gatepass-status"), "401")
        XCTAssertEqual(header(denied, "x-gatepass-reason"), "token_missing")
        XCTAssertEqual(denied.body, #"{"reason":"token_missing","description":"a token is required"}"#)
    }

    func testExpiredTokenChallengeCarriesNoPolicyInternals() throws {
        let response = try respond(checkRequest(headers: ["authorization": "Bearer \(fixture.token(exp: Int(ServiceFixture.now) - 3600))"]))
        XCTAssertEqual(response.status.code, 16)
        guard case .deniedResponse(let denied) = response.httpResponse else { return XCTFail("expected denied_response") }
        let challenge = try XCTUnwrap(header(denied, "www-authenticate"))
        XCTAssertEqual(challenge, #"Bearer realm="api", error="invalid_token", error_description="the token has expired""#)
        for text in [challenge, denied.body] {
            XCTAssertFalse(text.contains("fixture.yaml"))
            XCTAssertFalse(text.contains("`api`"))
            XCTAssertFalse(text.contains("k1"))
        }
    }

    func testFailedClaimIsPermissionDeniedWith403() throws {
        let response = try respond(checkRequest(headers: ["authorization": "Bearer \(fixture.token(scope: "api:read"))"]))
        XCTAssertEqual(response.status.code, 7)
        guard case .deniedResponse(let denied) = response.httpResponse else { return XCTFail("expected denied_response") }
        XCTAssertEqual(denied.status.code, .forbidden)
        XCTAssertTrue(header(denied, "www-authenticate")?.contains("insufficient_scope") == true)
        XCTAssertFalse(denied.body.contains("api:write"), "no claim values in the body")
    }

    func testBadRequestIsInvalidArgumentWith400() throws {
        let response = try respond(checkRequest(path: "/v1/a%2Fb"))
        XCTAssertEqual(response.status.code, 3, "\(response)")
        guard case .deniedResponse(let denied) = response.httpResponse else { return XCTFail("expected denied_response") }
        XCTAssertEqual(denied.status.code, .badRequest)
        XCTAssertEqual(header(denied, "x-gatepass-reason"), "bad_request")
    }

    func testCheckRequestWithoutHTTPAttributesIsABadRequest() throws {
        let response = try respond(Envoy_Service_Auth_V3_CheckRequest())
        XCTAssertEqual(response.status.code, 3)
        guard case .deniedResponse(let denied) = response.httpResponse else { return XCTFail("expected denied_response") }
        XCTAssertEqual(denied.status.code, .badRequest)
        XCTAssertEqual(fixture.core.counters.badInput, 1)
        let noPath = try respond(.with { $0.attributes.request.http.method = "GET" })
        XCTAssertEqual(noPath.status.code, 3)
    }

    func testNoBundleIsUnavailable() async throws {
        let service = ExtAuthzGRPC(core: ServiceFixture.emptyCore())
        XCTAssertEqual(service.respond(to: checkRequest()), .unavailable)
        do {
            _ = try await service.check(request: checkRequest(), context: ServerContext(
                descriptor: Envoy_Service_Auth_V3_Authorization.Method.Check.descriptor, remotePeer: "test", localPeer: "test",
                cancellation: .init()))
            XCTFail("expected UNAVAILABLE")
        } catch let error as RPCError {
            XCTAssertEqual(error.code, .unavailable)
        }
    }

    func testHeaderMapIsPreferredOverTheHeadersMap() throws {
        var request = checkRequest(headers: ["authorization": "Bearer \(fixture.token())"])
        request.attributes.request.http.headerMap = .with {
            $0.headers = [.with { $0.key = "x-other"; $0.rawValue = Data("1".utf8) }]
        }
        let response = try respond(request)
        XCTAssertEqual(response.status.code, 16, "the token in `headers` is ignored when `header_map` is present")
    }

    func testHeaderMapRepeatedTokensAreAmbiguous() throws {
        var request = checkRequest()
        request.attributes.request.http.headerMap = .with {
            $0.headers = [
                .with { $0.key = "authorization"; $0.rawValue = Data("Bearer \(fixture.token())".utf8) },
                .with { $0.key = "authorization"; $0.rawValue = Data("Bearer \(fixture.token(scope: "api:write"))".utf8) },
            ]
        }
        let response = try respond(request)
        XCTAssertNotEqual(response.status.code, 0, "\(response)")
    }

    func testWireRoundTripKeepsEnvoyFieldNumbers() throws {
        let response = try respond(checkRequest(path: "/v1/items?access_token=\(fixture.token())"))
        let bytes: [UInt8] = try response.serializedBytes()
        // CheckResponse.ok_response is field 3 (tag 0x1a); OkHttpResponse.query_parameters_to_remove is field 8 (tag 0x42).
        XCTAssertTrue(bytes.contains(0x1a))
        let decoded = try Envoy_Service_Auth_V3_CheckResponse(serializedBytes: bytes)
        XCTAssertEqual(decoded, response)
        let ok = try decoded.okResponse.serializedBytes() as [UInt8]
        let field: [UInt8] = [0x42, 12] + Array("access_token".utf8)
        XCTAssertTrue(ok.indices.contains { Array(ok[$0...].prefix(field.count)) == field }, "query_parameters_to_remove = 8")
    }

    func header(_ denied: Envoy_Service_Auth_V3_DeniedHttpResponse, _ name: String) -> String? {
        denied.headers.first { $0.header.key == name }?.header.value
    }
}
