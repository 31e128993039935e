import BundleFormat
import Compiler
import Diagnostics
import Logging
import Runtime

/// The fixed policy set the request, bundle and service targets decide with: two
/// entries (a blacklist on one host, a whitelist on another), every token location, claim
/// requirements and forwarded claims. The HS256 secret comes from the environment, so
/// seeds can carry valid tokens (Fuzz/make-seeds.py signs them with the same secret).
enum FuzzFixtures {
    static let now: Double = 1_767_225_600
    static let secretName = "GATEPASS_FUZZ_SECRET"
    static let secret = "fuzz-secret-0123456789abcdef0123456789abcdef"

    static let policies = """
    version: 1
    name: api
    issuer: https://issuer.example.com
    subject: svc
    audiences: [api]
    algorithms: [HS256]
    maxLifetime: 2h
    jwks: { keys: [ { kty: oct, kid: api-1, alg: HS256, kEnv: GATEPASS_FUZZ_SECRET } ] }
    token:
      - { from: header, name: Authorization, prefix: "Bearer " }
      - { from: query, name: access_token }
      - { from: cookie, name: session }
    claims:
      scope: { contains: api:write }
      roles: { containsAny: [admin, writer] }
    forwardClaims:
      sub: x-subject
      roles: x-roles
    authorization:
      mode: blacklist
      rules:
        - { domain: api.example.com, path: /admin/** }
        - { domain: api.example.com, path: /v1/*/private }
        - { domain: "*.internal.example.com" }
    ---
    version: 1
    name: partners
    issuer: https://partners.example.net
    algorithms: [HS256]
    jwks: { keys: [ { kty: oct, kid: partners-1, alg: HS256, kEnv: GATEPASS_FUZZ_SECRET } ] }
    token: { from: header, name: X-Partner-Token, passthrough: true }
    hosts: [partners.example.com]
    forwardClaims:
      sub: x-partner
    authorization:
      mode: whitelist
      rules:
        - { domain: partners.example.com, path: /public/** }
        - { domain: partners.example.com, path: /healthz }
    """

    static let environment: @Sendable (String) -> String? = { name in name == secretName ? secret : nil }

    /// The bundle compiled from `policies` (unsigned).
    static let bundle: [UInt8] = {
        let outcome = Pipeline().compile(files: [SourceFile(path: "fuzz.yaml", text: policies)], revision: "fuzz")
        guard let bundle = outcome.bundle else {
            fatalError("the fuzz policy does not compile:\n" + TextRenderer().render(outcome.check.diagnostics.sorted))
        }
        return bundle
    }()

    /// The loaded fixed policy.
    static let policy: LoadedPolicy = {
        do {
            return try PolicyLoader(environment: environment).load(bytes: bundle)
        } catch {
            fatalError("the fuzz bundle does not load: \(error)")
        }
    }()

    /// A holder serving the fixed policy.
    static let holder: PolicyHolder = {
        let holder = PolicyHolder(loader: PolicyLoader(environment: environment))
        holder.reload(bytes: bundle)
        return holder
    }()

    /// A logger that drops everything (the service logs every refusal).
    static let quietLogger = Logger(label: "gatepass.fuzz") { _ in SwiftLogNoOpLogHandler() }

    /// Checks what every decision must satisfy, whatever the input.
    static func checkInvariants(_ decision: Decision) -> String? {
        switch decision.verdict {
        case .allow:
            if decision.status != 200 { return "allow with status \(decision.status)" }
        default:
            if ![400, 401, 403].contains(decision.status) { return "denial with status \(decision.status)" }
        }
        return nil
    }
}
