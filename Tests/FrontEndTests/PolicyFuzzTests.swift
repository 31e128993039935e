import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Mutated policy files never crash the front end: every seeded mutation (byte flips,
/// deletions, insertions of YAML's special characters) is either decoded or reported.
final class PolicyFuzzTests: XCTestCase {
    static let seed = """
    version: 1
    name: fuzz
    issuer: https://auth.example.com
    audiences: [a, "b"]
    clockSkew: 1h30m
    jwks: { keys: [ { kty: oct, kid: k1, alg: HS256, kEnv: SECRET } ] }
    token:
      - { from: header, name: Authorization, prefix: "Bearer " }
      - { from: cookie, name: session }
    claims:
      realm_access.roles: { containsAny: [x, y] }
      a\\.b: { equals: 1 }
    forwardClaims: { sub: x-user }
    authorization:
      mode: blacklist
      rules:
        - { domain: "*.example.com", path: /api/*/v1/** }
        - domain: api.example.com
          path: "/caf%C3%A9"
    ---
    version: 1
    name: second
    """

    func testMutatedPoliciesAreDecodedOrReportedNeverCrash() {
        var generator = SplitMix64(seed: 0xF022_0001)
        let specials = Array("{}[]:,-?&*!|>'\"%@`#\n\t \\.".utf8)
        let base = Array(Self.seed.utf8)
        for iteration in 0..<3_000 {
            var bytes = base
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(max(1, bytes.count)))
                switch generator.next() % 4 {
                case 0 where !bytes.isEmpty: bytes.remove(at: position)
                case 1: bytes.insert(specials[Int(generator.next() % UInt64(specials.count))], at: position)
                case 2 where !bytes.isEmpty: bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                default: bytes.insert(contentsOf: bytes[position..<min(bytes.count, position + 8)], at: position)
                }
            }
            let file = SourceFile(path: "fuzz-\(iteration).yaml", bytes: bytes)
            let (set, diagnostics) = PolicySetLoader().decode(files: [file])
            // Every diagnostic has a location inside the file and a renderable form.
            for diagnostic in diagnostics.diagnostics {
                if let span = diagnostic.span {
                    XCTAssertLessThanOrEqual(span.end, file.bytes.count + 1, "iteration \(iteration)")
                }
                XCTAssertFalse(TextRenderer().render(diagnostic).isEmpty)
            }
            XCTAssertTrue(!set.entries.isEmpty || !diagnostics.diagnostics.isEmpty || bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A },
                          "iteration \(iteration): nothing decoded and nothing reported")
        }
    }
}
