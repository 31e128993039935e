import BundleFormat
import Runtime
import XCTest

/// Every reason code, status and header mutation of a decision (docs/semantics.md).
final class DecisionTests: XCTestCase {
    var fixture: DecisionFixture!

    override func setUpWithError() throws {
        fixture = try DecisionFixture()
    }

    /// XCTest keeps every test case object until the process ends: drop the fixture, so it
    /// does not outlive its test (and LeakSanitizer sees only what the code under test keeps).
    override func tearDown() {
        fixture = nil
    }

    func bearer(_ token: String) -> [(String, String)] { [("Authorization", "Bearer " + token)] }

    func assertDecision(_ decision: Decision, _ status: Int, _ reason: Decision.Reason, entry: String?,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(decision.status, status, decision.message, file: file, line: line)
        XCTAssertEqual(decision.reason, reason, decision.message, file: file, line: line)
        XCTAssertEqual(decision.authentication, entry, file: file, line: line)
        XCTAssertEqual(decision.verdict, status == 200 ? .allow : .deny, file: file, line: line)
        XCTAssertFalse(decision.message.isEmpty, file: file, line: line)
    }

    func testNoAuthRequired() {
        assertDecision(fixture.decide("/public"), 200, .noAuthRequired, entry: nil)
        assertDecision(fixture.decide(host: "other.example.com", "/v1/items"), 200, .noAuthRequired, entry: nil)
        XCTAssertNil(fixture.decide("/public").wwwAuthenticate)
    }

    func testAuthenticatedSetsForwardedClaimsAndRemovesTheToken() {
        let decision = fixture.decide(headers: bearer(fixture.apiToken()))
        assertDecision(decision, 200, .authenticated, entry: "api")
        XCTAssertEqual(decision.mutations.set, [HTTPHeader("x-subject", "svc"), HTTPHeader("x-roles", "reader,writer")])
        XCTAssertEqual(decision.mutations.remove, ["authorization"])
        XCTAssertNil(decision.wwwAuthenticate)
    }

    func testBadRequest() {
        let decision = fixture.decide("/v1%2Fitems")
        assertDecision(decision, 400, .badRequest, entry: nil)
        XCTAssertNil(decision.wwwAuthenticate)
        assertDecision(fixture.decide(host: "user@api.example.com", "/v1/items"), 400, .badRequest, entry: nil)
    }

    func testTokenMissing() {
        let decision = fixture.decide()
        assertDecision(decision, 401, .tokenMissing, entry: nil)
        XCTAssertEqual(decision.wwwAuthenticate, #"Bearer realm="gatepass""#, "no error when no token was presented")
    }

    func testTokenAmbiguous() {
        let decision = fixture.decide("/v1/items?access_token=" + fixture.apiToken(["sub": #""other""#]),
                                      headers: bearer(fixture.apiToken()))
        assertDecision(decision, 401, .tokenAmbiguous, entry: nil)
        XCTAssertTrue(decision.wwwAuthenticate?.contains(#"error="invalid_request""#) ?? false)
    }

    func testTheSameTokenInSeveralPlacesIsRemovedFromEach() {
        let token = fixture.apiToken()
        let decision = fixture.decide("/v1/items?access_token=" + token, headers: bearer(token) + [("Cookie", "session=\(token); a=b")])
        assertDecision(decision, 200, .authenticated, entry: "api")
        XCTAssertEqual(decision.mutations.remove, ["authorization"])
        XCTAssertEqual(decision.mutations.removeQuery, ["access_token"])
        XCTAssertEqual(decision.mutations.removeCookies, ["session"])
    }

    func testTokenMalformed() {
        assertDecision(fixture.decide(headers: [("Authorization", "Bearer ")]), 401, .tokenMalformed, entry: nil)
        assertDecision(fixture.decide(headers: bearer("a.b")), 401, .tokenMalformed, entry: nil)
        let jwe = fixture.decide(headers: bearer("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"))
        assertDecision(jwe, 401, .tokenMalformed, entry: nil)
        XCTAssertTrue(jwe.wwwAuthenticate?.contains(#"error="invalid_token""#) ?? false)
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["exp": #""soon""#]))), 401, .tokenMalformed, entry: "api")
    }

    func testTokenTooLarge() {
        let padding = String(repeating: "x", count: 9000)
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["pad": "\"\(padding)\""]))), 401, .tokenTooLarge, entry: nil)
    }

    func testUnsupportedAlgorithm() {
        let none = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLmNvbSJ9."
        assertDecision(fixture.decide(headers: bearer(none)), 401, .unsupportedAlgorithm, entry: nil)
        let hs = fixture.hooks.sign(header: #"{"alg":"HS256","kid":"api-1"}"#, payload: #"{"iss":"https://issuer.example.com"}"#)
        assertDecision(fixture.decide(headers: bearer(hs)), 401, .unsupportedAlgorithm, entry: "api")
    }

    func testUnknownKey() {
        let token = fixture.apiToken(header: #"{"alg":"ES256","kid":"rotated"}"#)
        assertDecision(fixture.decide(headers: bearer(token)), 401, .unknownKey, entry: "api")
    }

    func testBadSignature() {
        let token = fixture.apiToken(signer: fixture.stranger)
        assertDecision(fixture.decide(headers: bearer(token)), 401, .badSignature, entry: "api")
    }

    func testTimeReasons() {
        let now = Int(DecisionFixture.now)
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["exp": "\(now - 61)", "iat": "\(now - 600)"]))), 401, .tokenExpired, entry: "api")
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["nbf": "\(now + 61)"]))), 401, .tokenNotYetValid, entry: "api")
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["iat": "\(now + 61)", "exp": "\(now + 600)"]))), 401, .tokenIssuedInFuture, entry: "api")
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["exp": "\(now + 7200)"]))), 401, .lifetimeExceeded, entry: "api")
        // The skew (default 60 s) is tolerated.
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["exp": "\(now - 59)", "iat": "\(now - 600)"]))), 200, .authenticated, entry: "api")
    }

    func testIdentityReasons() {
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["iss": #""https://evil.example.com""#]))), 401, .issuerMismatch, entry: nil)
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["iss": nil]))), 401, .issuerMismatch, entry: nil)
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["sub": #""other""#]))), 401, .subjectMismatch, entry: "api")
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["aud": #"["web"]"#]))), 401, .audienceMismatch, entry: "api")
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["aud": nil]))), 401, .audienceMismatch, entry: "api")
    }

    func testClaimRequirementFailed() {
        let decision = fixture.decide(headers: bearer(fixture.apiToken(["scope": #""api:read""#])))
        assertDecision(decision, 403, .claimRequirementFailed, entry: "api")
        XCTAssertTrue(decision.wwwAuthenticate?.hasPrefix(#"Bearer realm="api", error="insufficient_scope""#) ?? false)
        XCTAssertEqual(decision.claimFailure?.path, ["scope"])
    }

    func testContainsLooksForWholeSpaceSeparatedWords() {
        for scope in [#""api:write""#, #""  read   api:write  ""#, #"["api:write","other"]"#] {
            assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["scope": scope]))), 200, .authenticated, entry: "api")
        }
        for scope in [#""api:writer""#, #""xapi:write""#, #""api:read,api:write""#, #""API:WRITE""#, #"["api:read"]"#, "42", "true"] {
            assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["scope": scope]))), 403, .claimRequirementFailed, entry: "api")
        }
    }

    /// One request per reason, compared with the full list: a new reason without a case
    /// (or a case that stops producing its reason) fails here.
    func testEveryReasonCodeIsProduced() {
        let decisions = oneDecisionPerReason()
        XCTAssertEqual(Set(decisions.map(\.reason)), Set(Decision.Reason.allCases),
                       "missing: \(Set(Decision.Reason.allCases).subtracting(decisions.map(\.reason)))")
    }

    /// What clients see (`WWW-Authenticate`, the description a server puts in a body) holds
    /// no policy file, line, claim requirement or value, key id or token, for any reason;
    /// the operator's `message` keeps the detail.
    func testClientFacingTextsCarryNoPolicyInternals() {
        let decisions = oneDecisionPerReason()
        let internals = ["fixture.yaml", ".yaml", "api:write", "api:read", "contains", "rotated", "api-1", "hooks-1",
                         "evil", "https://", "other", "web", "eyJ", "ES256", "none", "segments", "bytes"]
        for decision in decisions {
            var texts = [decision.clientDescription]
            if let challenge = decision.wwwAuthenticate { texts.append(challenge) }
            for text in texts {
                XCTAssertNil(text.first(where: \.isNumber), "\(decision.reason): a number (line, time or size) in `\(text)`")
                for word in internals {
                    XCTAssertFalse(text.contains(word), "\(decision.reason): `\(word)` in `\(text)`")
                }
                XCTAssertTrue(text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }, text)
            }
        }
        let claimFailure = decisions.first { $0.reason == .claimRequirementFailed }
        XCTAssertEqual(claimFailure?.wwwAuthenticate,
                       #"Bearer realm="api", error="insufficient_scope", error_description="the token does not grant access to this resource""#)
        XCTAssertTrue(claimFailure?.message.contains("api:write") ?? false, "the operator's message keeps the detail")
    }

    /// docs/semantics.md lists every reason's client description as the code has it.
    func testTheClientDescriptionsAreDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/semantics.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for reason in Decision.Reason.allCases {
            XCTAssertTrue(text.contains("| `\(reason.rawValue)` | \(reason.clientDescription) |"), "\(reason) in docs/semantics.md")
        }
    }

    func oneDecisionPerReason() -> [Decision] {
        let now = Int(DecisionFixture.now)
        let token = { (claims: [String: String?]) in self.fixture.apiToken(claims) }
        return [
            fixture.decide("/public"),
            fixture.decide(headers: bearer(token([:]))),
            fixture.decide("/v1%2Fitems"),
            fixture.decide(),
            fixture.decide("/v1/items?access_token=" + token(["sub": #""other""#]), headers: bearer(token([:]))),
            fixture.decide(headers: [("Authorization", "Bearer ")]),
            fixture.decide(headers: bearer(token(["pad": "\"\(String(repeating: "x", count: 9000))\""]))),
            fixture.decide(headers: bearer("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")),
            fixture.decide(headers: bearer(fixture.apiToken(header: #"{"alg":"ES256","kid":"rotated"}"#))),
            fixture.decide(headers: bearer(fixture.apiToken(signer: fixture.stranger))),
            fixture.decide(headers: bearer(token(["exp": "\(now - 61)", "iat": "\(now - 600)"]))),
            fixture.decide(headers: bearer(token(["nbf": "\(now + 61)"]))),
            fixture.decide(headers: bearer(token(["iat": "\(now + 61)"]))),
            fixture.decide(headers: bearer(token(["exp": "\(now + 7200)"]))),
            fixture.decide(headers: bearer(token(["iss": #""https://evil.example.com""#]))),
            fixture.decide(headers: bearer(token(["sub": #""other""#]))),
            fixture.decide(headers: bearer(token(["aud": #""web""#]))),
            fixture.decide(headers: bearer(token(["scope": #""api:read""#]))),
            fixture.decide(host: "hooks.example.com", "/billing", method: "OPTIONS",
                           headers: [("Origin", "https://shop.example"), ("Access-Control-Request-Method", "POST")]),
        ]
    }

    func testForwardedClaimHeadersAreRemovedOnEveryPath() {
        let spoof: [(String, String)] = [("X-Subject", "mallory"), ("x-event", "forged")]
        let publicDecision = fixture.decide("/public", headers: spoof)
        XCTAssertEqual(publicDecision.mutations.remove, ["x-event", "x-subject"])
        let denied = fixture.decide(headers: spoof)
        XCTAssertEqual(denied.mutations.remove, ["x-event", "x-subject"])
        let allowed = fixture.decide(headers: spoof + bearer(fixture.apiToken()))
        XCTAssertEqual(allowed.mutations.remove, ["x-event", "x-subject", "authorization"])
        XCTAssertEqual(allowed.mutations.set.first, HTTPHeader("x-subject", "svc"), "set applies after remove")
    }

    func testForwardedClaimHeadersSpelledWithUnderscoresAreRemovedToo() {
        let decision = fixture.decide("/public", headers: [("X_Subject", "mallory"), ("x_EVENT", "forged"), ("x-subject", "m")])
        XCTAssertEqual(decision.mutations.remove, ["x-subject", "x_event", "x_subject"])
    }

    func testEveryPunctuationAliasOfAForwardedClaimHeaderIsRemoved() {
        // CGI-style backends turn every punctuation character of a field name into `_`
        // (Traefik's CVE-2026-88879): `x.subject` and `x~event` are the claim headers there.
        let aliases = ["x.subject", "X+Subject", "x~event", "x!event", "x|subject", "x'event", "x`subject", "x*EVENT"]
        let decision = fixture.decide("/public", headers: aliases.map { ($0, "mallory") } + [("x-subjects", "ok"), ("xsubject", "ok"), ("y-event", "ok")])
        XCTAssertEqual(decision.mutations.remove, aliases.map { $0.lowercased() }.sorted())
    }

    func testAPercentEncodedTokenParameterNameIsRefused() {
        // A proxy removing `access_token` would leave `acc%65ss_token` for a backend that decodes names.
        let decision = fixture.decide("/v1/items?acc%65ss_token=" + fixture.apiToken())
        assertDecision(decision, 401, .tokenAmbiguous, entry: nil)
        assertDecision(fixture.decide("/v1/items?access_token=" + fixture.apiToken()), 200, .authenticated, entry: "api")
    }

    func testIdentityClaimsCompareDecodedBytes() {
        // JSON escapes are decoded before comparing: `sv\u0063` is `svc`.
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["sub": #""sv\u0063""#]))), 200, .authenticated, entry: "api")
        // A combining mark makes another issuer, never a near match.
        assertDecision(fixture.decide(headers: bearer(fixture.apiToken(["iss": #""https://issuer.example.com\u0301""#]))), 401, .issuerMismatch, entry: nil)
    }

    func testPassthroughKeepsTheTokenAndHeaderInjectionIsRefused() {
        let decision = fixture.decide(host: "hooks.example.com", "/any", headers: [("X-Hook-Token", fixture.hookToken())])
        assertDecision(decision, 200, .authenticated, entry: "hooks")
        XCTAssertEqual(decision.mutations.remove, [], "passthrough keeps the token")
        XCTAssertEqual(decision.mutations.set, [HTTPHeader("x-event", "paid")])
        let injected = fixture.decide(host: "hooks.example.com", "/any", headers: [("X-Hook-Token", fixture.hookToken(event: "a\\r\\nx-admin: 1"))])
        assertDecision(injected, 200, .authenticated, entry: "hooks")
        XCTAssertEqual(injected.mutations.set, [], "a claim with control characters sets no header")
    }

    func testExplanationNamesTheRuleAndTheChecks() throws {
        let decision = fixture.decide(headers: bearer(fixture.apiToken(["scope": #""api:read""#])))
        let explanation = try XCTUnwrap(decision.explanation)
        XCTAssertEqual(explanation.host, "api.example.com")
        XCTAssertEqual(explanation.path, "/v1/items")
        XCTAssertEqual(explanation.protecting.map(\.name), ["api"])
        XCTAssertTrue(explanation.protecting[0].because[0].contains("fixture.yaml:"), explanation.protecting[0].because[0])
        XCTAssertEqual(explanation.token?.issuer, "https://issuer.example.com")
        XCTAssertEqual(explanation.checks.last?.passed, false)
        XCTAssertNil(fixture.policy.decide(HTTPRequest(host: "api.example.com", target: "/v1/x"), now: DecisionFixture.now).explanation,
                     "no explanation unless asked for")
    }

    func testConcurrentDecisionsAgree() {
        let policy = fixture.policy
        let token = fixture.apiToken()
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 64)
        defer { results.deallocate() }
        nonisolated(unsafe) let shared = results
        DispatchQueue.concurrentPerform(iterations: 64) { index in
            let decision = policy.decide(HTTPRequest(host: "api.example.com", target: "/v1/items", headers: [HTTPHeader("Authorization", "Bearer " + token)]),
                                         now: DecisionFixture.now)
            shared[index] = decision.isAllowed
        }
        XCTAssertTrue(results.allSatisfy { $0 })
    }
}
