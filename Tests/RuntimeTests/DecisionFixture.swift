import BundleFormat
import Compiler
import Diagnostics
import JOSE
import Runtime
import TokenSigning
import XCTest

/// A small policy set compiled in memory, with keys generated for the test, and helpers
/// to sign tokens and decide requests at a fixed clock.
final class DecisionFixture {
    static let now: Double = 1_767_225_600

    static let policies = """
    version: 1
    name: api
    issuer: https://issuer.example.com
    subject: svc
    audiences: [api]
    maxLifetime: 2h
    jwks: { keys: [ { kty: oct, kid: placeholder, alg: HS256, kEnv: PLACEHOLDER } ] }
    token:
      - { from: header, name: Authorization }
      - { from: query, name: access_token }
      - { from: cookie, name: session }
    claims:
      scope: { contains: api:write }
    forwardClaims:
      sub: x-subject
      roles: x-roles
    authorization:
      mode: blacklist
      rules:
        - { domain: api.example.com, path: /v1/** }
    ---
    version: 1
    name: hooks
    issuer: https://hooks.example.net
    algorithms: [HS256]
    jwks: { keys: [ { kty: oct, kid: hooks-1, alg: HS256, kEnv: PLACEHOLDER } ] }
    token: { from: header, name: X-Hook-Token, passthrough: true }
    allowCorsPreflight: true
    forwardClaims:
      event: x-event
    authorization:
      mode: blacklist
      rules:
        - { domain: hooks.example.com }
    """

    let program: DecisionProgram
    let policy: LoadedPolicy
    let api: TestSigner
    let hooks: TestSigner
    let stranger: TestSigner

    init() throws {
        let outcome = Pipeline().compile(files: [SourceFile(path: "fixture.yaml", text: Self.policies)])
        var program = try XCTUnwrap(outcome.program, TextRenderer().render(outcome.check.diagnostics.sorted))
        api = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "api-1")
        hooks = TestSigner(algorithm: .HS256, keyType: .hmac(bytes: 32), kid: "hooks-1")
        stranger = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "api-1")
        program.keys = [
            Key(kid: "api-1", algorithm: "ES256", thumbprint: api.jwk.thumbprint, material: .spki(api.jwk.keyMaterial), source: 0),
            Key(kid: "hooks-1", algorithm: "HS256", thumbprint: hooks.jwk.thumbprint, material: .secret(hooks.jwk.keyMaterial), source: 0),
        ]
        let apiIndex = try XCTUnwrap(program.entries.firstIndex { $0.name == "api" })
        let hooksIndex = try XCTUnwrap(program.entries.firstIndex { $0.name == "hooks" })
        program.entries[apiIndex].keyIndices = [0]
        program.entries[apiIndex].algorithms = ["ES256"]
        program.entries[hooksIndex].keyIndices = [1]
        self.program = program
        policy = try PolicyLoader(environment: { _ in nil }).load(program: program)
    }

    /// A valid api token, with claims replaced or removed (`nil`) as given.
    func apiToken(_ overrides: [String: String?] = [:], header: String? = nil, signer: TestSigner? = nil) -> String {
        var claims: [String: String] = [
            "iss": #""https://issuer.example.com""#, "sub": #""svc""#, "aud": #""api""#,
            "iat": "\(Int(Self.now) - 60)", "exp": "\(Int(Self.now) + 600)", "scope": #""api:read api:write""#,
            "roles": #"["reader","writer"]"#,
        ]
        for (name, value) in overrides { claims[name] = value }
        let payload = "{" + claims.keys.sorted().map { "\"\($0)\":\(claims[$0]!)" }.joined(separator: ",") + "}"
        return (signer ?? api).sign(header: header ?? #"{"alg":"ES256","kid":"api-1"}"#, payload: payload)
    }

    func hookToken(event: String = "paid") -> String {
        hooks.sign(header: #"{"alg":"HS256","kid":"hooks-1"}"#,
                   payload: #"{"iss":"https://hooks.example.net","exp":\#(Int(Self.now) + 60),"event":"\#(event)"}"#)
    }

    func decide(host: String? = "api.example.com", _ target: String = "/v1/items", method: String = "GET",
                headers: [(String, String)] = []) -> Decision {
        policy.decide(HTTPRequest(method: method, host: host, target: target, headers: headers.map { HTTPHeader($0.0, $0.1) }),
                      now: Self.now, explain: true)
    }
}
