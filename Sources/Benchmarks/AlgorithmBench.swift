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
    /// a valid token signed with it. The verified-token cache is off unless a capacity is given.
    func prepared(_ algorithm: JWSAlgorithm, keyType: TestSigner.KeyType, tokenCacheCapacity: Int = 0) -> (LoadedPolicy, HTTPRequest) {
        let (policy, requests, _, _) = prepare(algorithm, keyType: keyType, tokenCacheCapacity: tokenCacheCapacity)
        return (policy, requests[0])
    }

    /// As `prepared`, with one request per subject (tokens of the same size that differ in `sub`).
    func prepare(_ algorithm: JWSAlgorithm, keyType: TestSigner.KeyType, tokenCacheCapacity: Int = 0,
                 subjects: [String] = ["user-1234567890"]) -> (LoadedPolicy, [HTTPRequest], TestSigner, [String]) {
        let signer = TestSigner(algorithm: algorithm, keyType: keyType, kid: "bench-key")
        var program = self.program
        let material: Key.Material = if case .oct = signer.jwk.kind { .secret(signer.jwk.keyMaterial) } else { .spki(signer.jwk.keyMaterial) }
        program.keys = [Key(kid: "bench-key", algorithm: algorithm.rawValue, thumbprint: signer.jwk.thumbprint, material: material, source: 0)]
        program.entries[0].keyIndices = [0]
        program.entries[0].algorithms = [algorithm.rawValue]
        let policy = try! PolicyLoader(environment: { _ in nil }, tokenCacheCapacity: tokenCacheCapacity).load(program: program)
        let header = #"{"alg":""# + algorithm.rawValue + #"","typ":"JWT","kid":"bench-key"}"#
        let tokens = subjects.map { subject in
            signer.sign(header: header, payload: Self.payload(subject: subject))
        }
        return (policy, tokens.map(Self.request), signer, tokens)
    }

    static func payload(subject: String, extra: String = "") -> String {
        #"{"iss":"https://issuer.bench.example.com","sub":"\#(subject)","aud":["api.example.com"],"#
            + #""iat":\#(Int(DecisionBenchmark.now) - 60),"exp":\#(Int(DecisionBenchmark.now) + 3600),"#
            + #""scope":"chat:read chat:write","email":"user@example.com"\#(extra)}"#
    }

    static func request(_ token: String) -> HTTPRequest {
        HTTPRequest(
            method: "POST", host: "chat.bench.example.com:443", target: "/v1/chat/completions",
            headers: [
                HTTPHeader("authorization", "Bearer " + token), HTTPHeader("content-type", "application/json"),
                HTTPHeader("user-agent", "bench/1.0"), HTTPHeader("accept", "*/*"),
            ])
    }

    /// The floor, the decision without the cache, a cache miss and a cache hit, in
    /// interleaved batches (each side keeps its best: load from other processes then hits
    /// all alike). A miss alternates two tokens in a cache of one slot, so every decision
    /// looks up, verifies, inserts and evicts; a hit repeats one token.
    func measure(_ name: String, algorithm: JWSAlgorithm, keyType: TestSigner.KeyType, iterations: Int) -> DecisionBenchmark.AlgorithmRow {
        let (policy, requests, signer, tokens) = prepare(algorithm, keyType: keyType, subjects: ["user-1234567890", "user-1234567891"])
        let missing = try! PolicyLoader(environment: { _ in nil }, tokenCacheCapacity: 1).load(program: policy.program)
        let hitting = try! PolicyLoader(environment: { _ in nil }, tokenCacheCapacity: 16).load(program: policy.program)
        let token = tokens[0], request = requests[0], other = requests[1]
        let input = Array(token.utf8[..<token.utf8.lastIndex(of: UInt8(ascii: "."))!])
        let native = signer.nativeSignature(over: input)
        let floor = RawFloor(signer: signer, algorithm: algorithm)
        let now = DecisionBenchmark.now
        var floorOK = floor.verify(signature: native, input: input)
        var allowed = policy.decide(request, now: now).isAllowed
        var missAllowed = true, hitAllowed = hitting.decide(request, now: now).isAllowed
        let rounds = iterations >= 70 ? 7 : 1
        let batch = max(1, iterations / rounds)
        var floorTime = Double.infinity, decisionTime = Double.infinity, missTime = Double.infinity, hitTime = Double.infinity
        for _ in 0..<rounds {
            floorTime = min(floorTime, Clock.measure(batch) { floorOK = floor.verify(signature: native, input: input) && floorOK })
            decisionTime = min(decisionTime, Clock.measure(batch) { allowed = policy.decide(request, now: now).isAllowed && allowed })
            var flip = false
            missTime = min(missTime, Clock.measure(batch) {
                flip.toggle()
                missAllowed = missing.decide(flip ? request : other, now: now).isAllowed && missAllowed
            })
            hitTime = min(hitTime, Clock.measure(batch * 4) { hitAllowed = hitting.decide(request, now: now).isAllowed && hitAllowed })
        }
        // Every miss was a miss and every hit a hit.
        let cacheOK = missing.tokenCacheStatistics.hits == 0 && hitting.tokenCacheStatistics.misses == 1
        return .init(name: name, floorNanoseconds: floorTime, decisionNanoseconds: decisionTime, missNanoseconds: missTime,
                     hitNanoseconds: hitTime, allowed: allowed && floorOK && missAllowed && hitAllowed && cacheOK)
    }
}
