import Benchmarks
import Dispatch
import JOSE
import TokenSigning
import XCTest

/// Keys keep initialised OpenSSL contexts (HMAC and `EVP_DigestVerify`) that every
/// verification copies: copies must not leak state between calls, algorithms or threads.
final class ContextReuseTests: XCTestCase {
    static let payload = #"{"iss":"https://issuer.example.com","exp":1700003600,"aud":"api"}"#
    static let policy = TokenPolicy(issuer: "https://issuer.example.com", audiences: ["api"])
    static let now: Double = 1_700_000_100

    /// One unpinned RSA key keeps a context per algorithm: a PKCS#1 signature presented as
    /// PSS (or with another hash) must fail, before and after the right context was used.
    func testOneRSAKeyAcrossAlgorithmsAndForgeries() throws {
        let signer = TestSigner(algorithm: .RS256, keyType: .rsa(bits: 2048), kid: "r", pinAlgorithm: false)
        let verifier = JWTVerifier(keys: try KeySet(jwks: [signer.jwk]), policy: Self.policy)
        let token = signer.sign(header: #"{"alg":"RS256","kid":"r"}"#, payload: Self.payload)
        for _ in 0..<3 {
            XCTAssertTrue(verifier.verify(compact: token, now: Self.now).isValid)
            XCTAssertEqual(verifier.verify(compact: Self.tamper(token), now: Self.now).failure?.code, .badSignature)
            for algorithm in [JWSAlgorithm.PS256, .RS384, .PS384, .RS512, .PS512] {
                // The RS256 signature over a header naming another algorithm.
                let header = Support.b64(#"{"alg":""# + algorithm.rawValue + #"","kid":"r"}"#)
                let input = header + "." + Support.b64(Self.payload)
                let forged = input + "." + Base64URL.encode(signer.signature(over: Array(input.utf8)))
                XCTAssertEqual(verifier.verify(compact: forged, now: Self.now).failure?.code, .badSignature, algorithm.rawValue)
            }
        }
    }

    /// Many threads verify valid and tampered tokens of every family with shared keys.
    func testConcurrentVerificationWithSharedContexts() throws {
        let cases: [(JWSAlgorithm, TestSigner.KeyType)] = [
            (.HS256, .hmac(bytes: 32)), (.RS256, .rsa(bits: 2048)), (.PS256, .rsa(bits: 2048)),
            (.ES256, .ec(.p256)), (.EdDSA, .okp(.ed25519)),
        ]
        var jwks: [JWK] = []
        var tokens: [String] = []
        for (index, (algorithm, keyType)) in cases.enumerated() {
            let signer = TestSigner(algorithm: algorithm, keyType: keyType, kid: "k\(index)")
            jwks.append(signer.jwk)
            tokens.append(signer.sign(header: #"{"alg":""# + algorithm.rawValue + #"","kid":"k\#(index)"}"#, payload: Self.payload))
        }
        let verifier = JWTVerifier(keys: try KeySet(jwks: jwks), policy: Self.policy)
        let failures = Counter()
        let frozenTokens = tokens
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<40 {
                let token = frozenTokens[(thread + round) % frozenTokens.count]
                if !verifier.verify(compact: token, now: Self.now).isValid { failures.add() }
                if verifier.verify(compact: Self.tamper(token), now: Self.now).failure?.code != .badSignature { failures.add() }
            }
        }
        XCTAssertEqual(failures.value, 0)
    }

    /// Flips one bit of the signature's first byte (re-encoded canonically).
    static func tamper(_ token: String) -> String {
        var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard case .success(var signature) = Base64URL.decode(parts[2]) else { fatalError("bad token") }
        signature[signature.count / 2] ^= 0x01
        parts[2] = Base64URL.encode(signature)
        return parts.joined(separator: ".")
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// HMAC from pre-keyed inner and outer digest states must equal OpenSSL's one-shot `HMAC()`
/// for secrets shorter than, equal to and longer than the hash's block.
final class HMACKeyedStateTests: XCTestCase {
    func testEveryHashAndSecretLength() throws {
        for algorithm in [JWSAlgorithm.HS256, .HS384, .HS512] {
            for bytes in [64, 65, 127, 128, 129, 200] {
                let signer = TestSigner(algorithm: algorithm, keyType: .hmac(bytes: bytes), kid: "h")
                let verifier = JWTVerifier(keys: try KeySet(jwks: [signer.jwk]), policy: ContextReuseTests.policy)
                let token = signer.sign(header: #"{"alg":""# + algorithm.rawValue + #"","kid":"h"}"#, payload: ContextReuseTests.payload)
                XCTAssertTrue(verifier.verify(compact: token, now: ContextReuseTests.now).isValid, "\(algorithm) \(bytes)")
                XCTAssertEqual(
                    verifier.verify(compact: ContextReuseTests.tamper(token), now: ContextReuseTests.now).failure?.code,
                    .badSignature, "\(algorithm) \(bytes)")
            }
        }
    }
}
