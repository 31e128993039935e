import JOSE
import TokenSigning

/// A prepared verifier and token for one benchmark case, for profilers and allocation
/// counters that compare N and 2N verifications (set-up cost cancels out).
public struct VerifyLoop: Sendable {
    /// The case name, as in ``JOSEBenchmark/cases``.
    public let name: String
    let verifier: JWTVerifier
    let token: String
    let floor: RawFloor
    let input: [UInt8]
    let nativeSignature: [UInt8]

    /// Prepares the named case (`HS256`, `RS256`, ..., `EdDSA(Ed448)`); nil for an unknown name.
    public init?(name: String) {
        guard let entry = JOSEBenchmark.cases.first(where: { $0.name == name }) else { return nil }
        let kid = "bench-\(entry.algorithm.rawValue.lowercased())"
        let signer = TestSigner(algorithm: entry.algorithm, keyType: entry.key, kid: kid)
        let header = #"{"alg":""# + entry.algorithm.rawValue + #"","typ":"JWT","kid":""# + kid + #""}"#
        self.name = name
        self.token = signer.sign(header: header, payload: JOSEBenchmark.payload)
        self.input = Array(token.utf8[..<token.utf8.lastIndex(of: UInt8(ascii: "."))!])
        self.nativeSignature = signer.nativeSignature(over: input)
        self.floor = RawFloor(signer: signer, algorithm: entry.algorithm)
        self.verifier = JWTVerifier(
            keys: try! KeySet(jwks: [signer.jwk]),
            policy: TokenPolicy(issuer: JOSEBenchmark.issuer, audiences: ["api.example.com"]))
    }

    /// Verifies the token `iterations` times; true when every verification succeeded.
    public func run(iterations: Int) -> Bool {
        var ok = true
        for _ in 0..<iterations {
            ok = verifier.verify(compact: token, now: JOSEBenchmark.now).isValid && ok
        }
        return ok
    }

    /// Runs the raw OpenSSL floor `iterations` times; true when every check succeeded.
    public func runFloor(iterations: Int) -> Bool {
        var ok = true
        for _ in 0..<iterations {
            ok = floor.verify(signature: nativeSignature, input: input) && ok
        }
        return ok
    }
}
