import BundleFormat
import Compiler
import Diagnostics
import Runtime
import XCTest

/// Rules with `methods` and entries with `allowCorsPreflight` (docs/semantics.md).
final class MethodDecisionTests: XCTestCase {
    static let secret: @Sendable (String) -> String? = { _ in "c2VjcmV0LXRoYXQtaXMtYXQtbGVhc3QtMzItYnl0ZXMtbG9uZyE" }

    static func entry(_ name: String, _ body: String, cors: Bool = false, token: String = "") -> String {
        """
        version: 1
        name: \(name)
        issuer: https://\(name).example.com
        jwks: { keys: [ { kty: oct, kid: k1, alg: HS256, kEnv: METHOD_TEST_SECRET } ] }
        \(cors ? "allowCorsPreflight: true\n" : "")\(token)authorization:
        \(body)
        """
    }

    func load(_ documents: [String]) throws -> LoadedPolicy {
        let outcome = Pipeline().compile(files: [SourceFile(path: "methods.yaml", text: documents.joined(separator: "\n---\n"))])
        let bundle = try XCTUnwrap(outcome.bundle, TextRenderer().render(outcome.check.diagnostics.sorted))
        return try PolicyLoader(environment: Self.secret).load(bytes: bundle)
    }

    /// Decides with an explanation, and checks that the decision without one (the way the
    /// service decides, which skips the outcome arrays when no entry protects the method)
    /// is the same.
    func decide(_ policy: LoadedPolicy, _ method: String, _ path: String, headers: [(String, String)] = [],
                file: StaticString = #filePath, line: UInt = #line) -> Decision {
        let request = HTTPRequest(method: method, host: "api.example.com", target: path, headers: headers.map { HTTPHeader($0.0, $0.1) })
        let explained = policy.decide(request, now: 1_767_225_600, explain: true)
        let plain = policy.decide(request, now: 1_767_225_600)
        XCTAssertEqual(plain.reason, explained.reason, "\(method) \(path)", file: file, line: line)
        XCTAssertEqual(plain.status, explained.status, "\(method) \(path)", file: file, line: line)
        XCTAssertEqual(plain.authentication, explained.authentication, "\(method) \(path)", file: file, line: line)
        XCTAssertEqual(plain.mutations, explained.mutations, "\(method) \(path)", file: file, line: line)
        XCTAssertNil(plain.explanation)
        return explained
    }

    static let docs = entry("docs", """
          mode: whitelist
          rules:
            - { path: /docs/**, methods: [GET, HEAD] }
            - { path: /health }
        """)

    func testAWhitelistRuleWithMethodsExemptsOnlyThoseMethods() throws {
        let policy = try load([Self.docs])
        for method in ["GET", "HEAD"] {
            XCTAssertEqual(decide(policy, method, "/docs/a").reason, .noAuthRequired, method)
        }
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "get", "PROPFIND"] {
            XCTAssertEqual(decide(policy, method, "/docs/a").reason, .tokenMissing, method)
        }
        // Without `methods`, every method (including unknown ones) matches.
        for method in ["GET", "POST", "PROPFIND", "get"] {
            XCTAssertEqual(decide(policy, method, "/health").reason, .noAuthRequired, method)
        }
        XCTAssertEqual(decide(policy, "GET", "/other").reason, .tokenMissing)
    }

    func testABlacklistRuleWithMethodsProtectsOnlyThoseMethods() throws {
        let policy = try load([Self.entry("writes", """
              mode: blacklist
              rules:
                - { domain: api.example.com, path: /v1/**, methods: [POST, PUT, DELETE, PATCH] }
            """)])
        XCTAssertEqual(decide(policy, "GET", "/v1/items").reason, .noAuthRequired)
        XCTAssertEqual(decide(policy, "OPTIONS", "/v1/items").reason, .noAuthRequired)
        XCTAssertEqual(decide(policy, "post", "/v1/items").reason, .noAuthRequired, "methods are case-sensitive")
        let denied = decide(policy, "DELETE", "/v1/items/3")
        XCTAssertEqual(denied.reason, .tokenMissing)
        let because = try XCTUnwrap(denied.explanation?.protecting.first?.because.first)
        XCTAssertTrue(because.contains("methods POST,PUT,DELETE,PATCH"), because)
        XCTAssertEqual(denied.explanation?.method, "DELETE")
    }

    func testTwoEntriesSplitTheSameNodeByMethod() throws {
        let policy = try load([
            Self.entry("readers", "  mode: blacklist\n  rules: [ { path: /v1/**, methods: [GET] } ]"),
            Self.entry("writers", "  mode: blacklist\n  rules: [ { path: /v1/**, methods: [POST] }, { path: /v1/admin/** } ]"),
        ])
        XCTAssertEqual(decide(policy, "GET", "/v1/x").explanation?.protecting.map(\.name), ["readers"])
        XCTAssertEqual(decide(policy, "POST", "/v1/x").explanation?.protecting.map(\.name), ["writers"])
        XCTAssertEqual(decide(policy, "PUT", "/v1/x").reason, .noAuthRequired)
        XCTAssertEqual(decide(policy, "GET", "/v1/admin/x").explanation?.protecting.map(\.name), ["readers", "writers"])
        XCTAssertEqual(decide(policy, "PUT", "/v1/admin/x").explanation?.protecting.map(\.name), ["writers"])
    }

    func testAMethodThatIsNoTokenIsABadRequest() throws {
        let policy = try load([Self.docs])
        for method in ["", "GE T", "GET\r\n", "G\u{0}"] {
            let decision = decide(policy, method, "/docs/a")
            XCTAssertEqual(decision.reason, .badRequest, "`\(method)`")
            XCTAssertTrue(decision.message.contains("is not an HTTP token"), decision.message)
        }
    }

    // MARK: CORS preflight

    static let preflight = [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST")]
    static let api = entry("api", "  mode: blacklist\n  rules: [ { domain: api.example.com, path: /v1/** } ]", cors: true,
                           token: "token: [ { from: header, name: Authorization }, { from: query, name: access_token }, { from: header, name: X-Kept, passthrough: true } ]\nforwardClaims: { sub: x-user }\n")

    func testAPreflightPassesAnEntryThatAllowsIt() throws {
        let policy = try load([Self.api])
        let decision = decide(policy, "OPTIONS", "/v1/items", headers: Self.preflight)
        XCTAssertEqual(decision.status, 200)
        XCTAssertEqual(decision.verdict, .allow)
        XCTAssertEqual(decision.reason, .corsPreflight)
        XCTAssertNil(decision.authentication)
        XCTAssertNil(decision.wwwAuthenticate)
        XCTAssertEqual(decision.mutations.set, [])
        XCTAssertEqual(decision.mutations.remove, [])
        XCTAssertEqual(decision.explanation?.corsPreflightBypassed, ["api"])
        XCTAssertEqual(decision.explanation?.protecting.map(\.name), [])
        XCTAssertFalse(Decision.Reason.corsPreflight.clientDescription.contains("api"))
    }

    func testAPreflightNeedsTheMethodAndBothHeaders() throws {
        let policy = try load([Self.api])
        XCTAssertEqual(decide(policy, "OPTIONS", "/v1/items", headers: [Self.preflight[0]]).reason, .tokenMissing, "no Access-Control-Request-Method")
        XCTAssertEqual(decide(policy, "OPTIONS", "/v1/items", headers: [Self.preflight[1]]).reason, .tokenMissing, "no Origin")
        XCTAssertEqual(decide(policy, "OPTIONS", "/v1/items", headers: [("Origin", ""), Self.preflight[1]]).reason, .tokenMissing, "empty Origin")
        XCTAssertEqual(decide(policy, "OPTIONS", "/v1/items").reason, .tokenMissing)
        XCTAssertEqual(decide(policy, "options", "/v1/items", headers: Self.preflight).reason, .tokenMissing, "methods are case-sensitive")
        XCTAssertEqual(decide(policy, "POST", "/v1/items", headers: Self.preflight).reason, .tokenMissing)
        XCTAssertEqual(decide(policy, "OPTIONS", "/v1/items", headers: [("origin", "x"), ("access-control-request-method", "GET")]).reason,
                       .corsPreflight, "header names are case-insensitive")
        XCTAssertEqual(decide(policy, "OPTIONS", "/public", headers: Self.preflight).reason, .noAuthRequired, "public stays public")
    }

    func testAPreflightStillStripsATokenAndSpoofedHeaders() throws {
        let policy = try load([Self.api])
        let decision = decide(policy, "OPTIONS", "/v1/items?access_token=abc",
                              headers: Self.preflight + [("Authorization", "Bearer xyz"), ("X-Kept", "t"), ("X-User", "admin")])
        XCTAssertEqual(decision.reason, .corsPreflight)
        XCTAssertEqual(decision.mutations.remove.sorted(), ["authorization", "x-user"])
        XCTAssertEqual(decision.mutations.removeQuery, ["access_token"])
        XCTAssertEqual(decision.mutations.set, [])
    }

    func testAnEntryWithoutTheOptionStillProtectsAPreflight() throws {
        let policy = try load([Self.api, Self.entry("strict", "  mode: blacklist\n  rules: [ { path: /v1/** } ]")])
        let decision = decide(policy, "OPTIONS", "/v1/items", headers: Self.preflight)
        XCTAssertEqual(decision.reason, .tokenMissing)
        XCTAssertEqual(decision.explanation?.protecting.map(\.name), ["strict"])
        XCTAssertEqual(decision.explanation?.corsPreflightBypassed, ["api"])
        let alone = try load([Self.entry("strict", "  mode: blacklist\n  rules: [ { path: /v1/** } ]")])
        XCTAssertEqual(decide(alone, "OPTIONS", "/v1/items", headers: Self.preflight).reason, .tokenMissing, "the option defaults to false")
    }

    func testAPreflightAndMethodRulesTogether() throws {
        // The whitelist exempts GET only; OPTIONS is protected, but a preflight passes.
        let policy = try load([Self.entry("app", "  mode: whitelist\n  rules: [ { path: /docs/**, methods: [GET] } ]", cors: true)])
        XCTAssertEqual(decide(policy, "OPTIONS", "/docs/a").reason, .tokenMissing)
        XCTAssertEqual(decide(policy, "OPTIONS", "/docs/a", headers: Self.preflight).reason, .corsPreflight)
        XCTAssertEqual(decide(policy, "GET", "/docs/a", headers: Self.preflight).reason, .noAuthRequired)
    }
}
