import BundleFormat
import Compiler
import Diagnostics
import JOSE
import Runtime
import TokenSigning

/// One entry per algorithm, a real signed token, and the raw OpenSSL floor for the same
/// signing input, signature and pre-parsed key.
final class AlgorithmBench: Sendable {
    static let policyText = """
    version: 1
    name: bench
    issuer: https://issuer.bench.example.com
    audiences: [api.example.com]
    jwks: { keys: [ { kty: oct, kid: placeholder, alg: HS256, kEnv: GATEPASS_BENCH_PLACEHOLDER } ] }
    claims:
      scope: { contains: chat:write }
    forwardClaims:
      sub: x-user-id
    authorization:
      mode: blacklist
      rules:
        - { domain: "*.bench.example.com", path: /v1/** }
    """

    let program: DecisionProgram

    init() {
        let outcome = Pipeline().compile(files: [SourceFile(path: "bench/algorithms.yaml", text: Self.policyText)])
        guard let program = outcome.program else { fatalError("the benchmark policy does not compile") }
        self.program = program
    }

    /// The policy with the entry's only key replaced by `signer`'s, and a request carrying
    /// a valid token signed with it.
    func prepared(_ algorithm: JWSAlgorithm, keyType: TestSigner.KeyType) -> (LoadedPolicy, HTTPRequest) {
        let (policy, request, _, _) = prepare(algorithm, keyType: keyType)
        return (policy, request)
    }

    func prepare(_ algorithm: JWSAlgorithm, keyType: TestSigner.KeyType) -> (LoadedPolicy, HTTPRequest, TestSigner, String) {
        let signer = TestSigner(algorithm: algorithm, keyType: keyType, kid: "bench-key")
        var program = self.program
        let material: Key.Material = if case .oct = signer.jwk.kind { .secret(signer.jwk.keyMaterial) } else { .spki(signer.jwk.keyMaterial) }
        program.keys = [Key(kid: "bench-key", algorithm: algorithm.rawValue, thumbprint: signer.jwk.thumbprint, material: material, source: 0)]
        program.entries[0].keyIndices = [0]
        program.entries[0].algorithms = [algorithm.rawValue]
        let policy = try! PolicyLoader(environment: { _ in nil }).load(program: program)
        let header = #"{"alg":""# + algorithm.rawValue + #"","typ":"JWT","kid":"bench-key"}"#
        let payload = #"{"iss":"https://issuer.bench.example.com","sub":"user-1234567890","aud":["api.example.com"],"#
            + #""iat":\#(Int(DecisionBenchmark.now) - 60),"exp":\#(Int(DecisionBenchmark.now) + 3600),"#
            + #""scope":"chat:read chat:write","email":"user@example.com"}"#
        let token = signer.sign(header: header, payload: payload)
        let request = HTTPRequest(
            method: "POST", host: "chat.bench.example.com:443", target: "/v1/chat/completions",
            headers: [
                HTTPHeader("authorization", "Bearer " + token), HTTPHeader("content-type", "application/json"),
                HTTPHeader("user-agent", "bench/1.0"), HTTPHeader("accept", "*/*"),
            ])
        return (policy, request, signer, token)
    }

    func measure(_ name: String, algorithm: JWSAlgorithm, keyType: TestSigner.KeyType, iterations: Int) -> DecisionBenchmark.AlgorithmRow {
        let (policy, request, signer, token) = prepare(algorithm, keyType: keyType)
        let input = Array(token.utf8[..<token.utf8.lastIndex(of: UInt8(ascii: "."))!])
        let native = signer.nativeSignature(over: input)
        let floor = RawFloor(signer: signer, algorithm: algorithm)
        let now = DecisionBenchmark.now
        var floorOK = floor.verify(signature: native, input: input)
        var allowed = policy.decide(request, now: now).isAllowed
        // Interleave short batches and keep each side's best: load from other processes
        // then hits both sides alike.
        let rounds = iterations >= 70 ? 7 : 1
        let batch = max(1, iterations / rounds)
        var floorTime = Double.infinity, decisionTime = Double.infinity
        for _ in 0..<rounds {
            floorTime = min(floorTime, Clock.measure(batch) { floorOK = floor.verify(signature: native, input: input) && floorOK })
            decisionTime = min(decisionTime, Clock.measure(batch) { allowed = policy.decide(request, now: now).isAllowed && allowed })
        }
        return .init(name: name, floorNanoseconds: floorTime, decisionNanoseconds: decisionTime, allowed: allowed && floorOK)
    }
}
