import BundleFormat
import Compiler
import DecisionService
import Diagnostics
import JOSE
import Logging
import Runtime
import TokenSigning
import XCTest

/// A small policy set compiled in memory with keys generated for the test, a decision core
/// on it at a fixed clock, and token helpers.
final class ServiceFixture: @unchecked Sendable {
    static let now: Double = 1_767_225_600

    static let policies = """
    version: 1
    name: api
    issuer: https://issuer.example.com
    audiences: [api]
    jwks: { keys: [ { kty: oct, kid: placeholder, alg: HS256, kEnv: PLACEHOLDER } ] }
    token:
      - { from: header, name: Authorization }
      - { from: query, name: access_token }
      - { from: cookie, name: session }
    claims:
      scope: { contains: api:write }
    forwardClaims:
      sub: x-subject
    authorization:
      mode: blacklist
      rules:
        - { domain: api.example.com, path: /v1/** }
    ---
    version: 1
    name: hooks
    issuer: https://hooks.example.net
    jwks: { keys: [ { kty: oct, kid: placeholder2, alg: HS256, kEnv: PLACEHOLDER } ] }
    token: { from: header, name: X-Hook-Token, passthrough: true }
    forwardClaims:
      event: x-event
    authorization:
      mode: blacklist
      rules:
        - { domain: hooks.example.com }
    """

    let program: DecisionProgram
    let holder: PolicyHolder
    let core: DecisionCore
    let signer: TestSigner

    init(policies: String = ServiceFixture.policies) throws {
        let outcome = Pipeline().compile(files: [SourceFile(path: "fixture.yaml", text: policies)])
        var program = try XCTUnwrap(outcome.program, TextRenderer().render(outcome.check.diagnostics.sorted))
        signer = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "k1")
        program.keys = [Key(kid: "k1", algorithm: "ES256", thumbprint: signer.jwk.thumbprint, material: .spki(signer.jwk.keyMaterial), source: 0)]
        for index in program.entries.indices {
            program.entries[index].keyIndices = [0]
            program.entries[index].algorithms = ["ES256"]
        }
        self.program = program
        holder = PolicyHolder(loader: PolicyLoader(environment: { _ in nil }))
        if case .keptPrevious(_, let error) = holder.reload(bytes: BundleWriter().write(program)) {
            XCTFail("fixture bundle does not load: \(error)")
        }
        core = DecisionCore(holder: holder, logger: Logger(label: "test"), clock: { ServiceFixture.now })
    }

    /// An empty core: no bundle active.
    static func emptyCore() -> DecisionCore {
        DecisionCore(holder: PolicyHolder(), logger: Logger(label: "test"), clock: { ServiceFixture.now })
    }

    /// A valid api token, with claims replaced as given.
    func token(scope: String = "api:read api:write", exp: Int = Int(ServiceFixture.now) + 600) -> String {
        signer.sign(header: #"{"alg":"ES256","kid":"k1"}"#,
                    payload: #"{"aud":"api","exp":\#(exp),"iat":\#(Int(Self.now) - 60),"iss":"https://issuer.example.com","scope":"\#(scope)","sub":"alice"}"#)
    }

    func hookToken() -> String {
        signer.sign(header: #"{"alg":"ES256","kid":"k1"}"#,
                    payload: #"{"event":"paid","exp":\#(Int(Self.now) + 60),"iss":"https://hooks.example.net"}"#)
    }
}
