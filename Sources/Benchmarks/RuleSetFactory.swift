import Compiler
import Diagnostics
import JOSE
import Runtime
import TokenSigning

/// Generated policy sets for the benchmark.
enum RuleSetFactory {
    static let secret = Base64URL.encode(Array(repeating: 0x5A, count: 32))

    /// A request that the generated rule sets protect.
    static let protectedRequest = HTTPRequest(method: "GET", host: "svc-0.internal.example.com", target: "/api/v0/items")

    /// Blacklist entries with `rulesPerEntry` rules each on hosts of their own, loaded.
    static func policy(entries: Int, rulesPerEntry: Int) -> LoadedPolicy {
        var text = ""
        for entry in 0..<entries {
            text += entryHeader(entry, keys: "{ kty: oct, kid: k\(entry), alg: HS256, kEnv: GATEPASS_BENCH_SECRET }")
            for rule in 0..<rulesPerEntry {
                text += "    - { domain: svc-\(entry).internal.example.com, path: /api/v\(rule)/** }\n"
            }
        }
        let outcome = Pipeline().compile(files: [SourceFile(path: "bench/rules.yaml", text: text)])
        guard let bundle = outcome.bundle else { fatalError("the generated rule set does not compile") }
        return try! PolicyLoader(environment: { _ in secret }).load(bytes: bundle)
    }

    /// `entries` entries with `rules` rules and `keys` EC P-256 keys in all: exact and
    /// wildcard domains, exact, `*` and `/**` paths, both modes.
    static func largeSet(entries: Int, rules: Int, keys: Int) -> String {
        let rulesPerEntry = max(1, rules / entries)
        let keysPerEntry = max(1, keys / entries)
        var text = ""
        for entry in 0..<entries {
            var jwks: [String] = []
            for index in 0..<keysPerEntry {
                let signer = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: nil)
                let point = signer.jwk.keyMaterial.suffix(64)
                let x = Base64URL.encode(Array(point.prefix(32))), y = Base64URL.encode(Array(point.suffix(32)))
                jwks.append("{ kty: EC, crv: P-256, kid: e\(entry)-k\(index), alg: ES256, x: \(x), y: \(y) }")
            }
            text += entryHeader(entry, keys: jwks.joined(separator: ", "), mode: entry % 10 == 0 ? "whitelist" : "blacklist")
            for rule in 0..<rulesPerEntry {
                switch rule % 4 {
                case 0: text += "    - { domain: svc-\(entry).internal.example.com, path: /api/v\(rule)/** }\n"
                case 1: text += "    - { domain: \"*.tenant-\(entry).example.com\", path: /v\(rule)/*/items }\n"
                case 2: text += "    - { domain: api-\(entry).example.com, path: /admin/r\(rule) }\n"
                default: text += "    - { domain: svc-\(entry).internal.example.com, path: /Reports/R\(rule)/**, ignoreCase: true }\n"
                }
            }
        }
        return text
    }

    static func entryHeader(_ entry: Int, keys: String, mode: String = "blacklist") -> String {
        """
        ---
        version: 1
        name: entry-\(entry)
        issuer: https://issuer-\(entry).example.com
        jwks: { keys: [ \(keys) ] }
        authorization:
          mode: \(mode)
          rules:

        """
    }
}
