import COpenSSL
public import JOSE
public import TokenSigning
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One measured algorithm: the raw OpenSSL floor next to the full verifier.
public struct BenchmarkRow: Sendable {
    /// For example `ES256` or `EdDSA(Ed448)`.
    public let name: String
    /// Nanoseconds per raw OpenSSL verification (`EVP_DigestVerify`, or `HMAC` + `CRYPTO_memcmp`).
    public let floorNanoseconds: Double
    /// Nanoseconds per `JWTVerifier.verify(compact:now:)`.
    public let verifyNanoseconds: Double
    /// Whether both the floor and the verifier accepted the token.
    public let verified: Bool
    /// The token's length in bytes.
    public let tokenBytes: Int

    /// `verify / floor`.
    public var ratio: Double { verifyNanoseconds / floorNanoseconds }
}

/// Per-algorithm verify cost against a raw OpenSSL floor, measured in the same run.
public enum JOSEBenchmark {
    /// The fixed time at which benchmark tokens are valid.
    public static let now: Double = 1_700_000_100
    static let issuer = "https://issuer.example.com"

    /// A realistic access-token claim set.
    public static let payload = #"{"iss":"https://issuer.example.com","sub":"user-1234567890","aud":["api.example.com"],"#
        + #""iat":1700000000,"nbf":1700000000,"exp":1700003600,"jti":"8f14e45f-ceea-467f-a8d6-6b0a2b3c9e1d","#
        + #""scope":"read:orders write:orders","tenant":"acme"}"#

    /// The measured cases.
    public static let cases: [(name: String, algorithm: JWSAlgorithm, key: TestSigner.KeyType)] = [
        ("HS256", .HS256, .hmac(bytes: 32)),
        ("RS256", .RS256, .rsa(bits: 2048)),
        ("PS256", .PS256, .rsa(bits: 2048)),
        ("ES256", .ES256, .ec(.p256)),
        ("ES384", .ES384, .ec(.p384)),
        ("ES512", .ES512, .ec(.p521)),
        ("EdDSA(Ed25519)", .EdDSA, .okp(.ed25519)),
        ("EdDSA(Ed448)", .EdDSA, .okp(.ed448)),
    ]

    /// Runs every case `iterations` times (after a short warm-up) and returns one row each.
    public static func run(iterations: Int) -> [BenchmarkRow] {
        cases.map { run(name: $0.name, algorithm: $0.algorithm, keyType: $0.key, iterations: iterations) }
    }

    static func run(name: String, algorithm: JWSAlgorithm, keyType: TestSigner.KeyType, iterations: Int) -> BenchmarkRow {
        let kid = "bench-\(algorithm.rawValue.lowercased())"
        let signer = TestSigner(algorithm: algorithm, keyType: keyType, kid: kid)
        let header = #"{"alg":""# + algorithm.rawValue + #"","typ":"JWT","kid":""# + kid + #""}"#
        let token = signer.sign(header: header, payload: payload)
        let input = Array(token.utf8[..<token.utf8.lastIndex(of: UInt8(ascii: "."))!])
        let native = signer.nativeSignature(over: input)

        let keys = try! KeySet(jwks: [signer.jwk])
        let verifier = JWTVerifier(keys: keys, policy: TokenPolicy(issuer: issuer, audiences: ["api.example.com"]))
        let floor = RawFloor(signer: signer, algorithm: algorithm)

        let warmup = max(1, iterations / 10)
        var floorOK = true
        var verifyOK = true
        for _ in 0..<warmup {
            floorOK = floorOK && floor.verify(signature: native, input: input)
            verifyOK = verifyOK && verifier.verify(compact: token, now: now).isValid
        }
        // Alternate short batches of floor and verifier and keep each side's best batch,
        // so load from other processes on the machine hits both sides alike.
        let rounds = iterations >= 70 ? 7 : 1
        let batch = max(1, iterations / rounds)
        var floorTime = Double.infinity
        var verifyTime = Double.infinity
        for _ in 0..<rounds {
            floorTime = min(floorTime, measure(batch) { floorOK = floor.verify(signature: native, input: input) && floorOK })
            verifyTime = min(verifyTime, measure(batch) { verifyOK = verifier.verify(compact: token, now: now).isValid && verifyOK })
        }
        return BenchmarkRow(
            name: name, floorNanoseconds: floorTime, verifyNanoseconds: verifyTime,
            verified: floorOK && verifyOK, tokenBytes: token.utf8.count)
    }

    /// Average nanoseconds per call of `body` over `iterations` calls.
    static func measure(_ iterations: Int, _ body: () -> Void) -> Double {
        let start = monotonicNanoseconds()
        for _ in 0..<iterations { body() }
        return Double(monotonicNanoseconds() - start) / Double(max(iterations, 1))
    }

    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// A fixed-width text table of the rows.
    public static func format(_ rows: [BenchmarkRow]) -> String {
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        func fixed(_ value: Double, _ digits: Int) -> String {
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            let rounded = (value * scale).rounded() / scale
            var text = "\(rounded)"
            if let dot = text.firstIndex(of: ".") {
                let decimals = text.distance(from: dot, to: text.endIndex) - 1
                if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
            }
            return text
        }
        var lines = [pad("algorithm", 16) + pad("floor ns/op", 14) + pad("verify ns/op", 14) + pad("ratio", 8) + pad("ok", 5)]
        for row in rows {
            lines.append(pad(row.name, 16) + pad(fixed(row.floorNanoseconds, 0), 14) + pad(fixed(row.verifyNanoseconds, 0), 14)
                + pad(fixed(row.ratio, 3), 8) + pad(row.verified ? "yes" : "NO", 5))
        }
        return lines.joined(separator: "\n")
    }
}
