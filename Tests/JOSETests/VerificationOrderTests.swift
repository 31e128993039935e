import Benchmarks
import JOSE
import TokenSigning
import XCTest

/// Claim checks, boundaries and the order of stages (the first failing check is the reason).
final class VerificationOrderTests: XCTestCase {
    static let issuer = "https://issuer.example.com"
    static let signer = TestSigner(algorithm: .HS256, keyType: .hmac(bytes: 32), kid: "k")
    static let header = #"{"alg":"HS256","kid":"k"}"#

    func verify(_ claims: String, policy: TokenPolicy = TokenPolicy(issuer: issuer), now: Double = 1000, header: String = header) -> VerificationFailure.Code? {
        let token = Self.signer.sign(header: header, payload: claims)
        let verifier = JWTVerifier(keys: try! KeySet(jwks: [Self.signer.jwk]), policy: policy)
        return verifier.verify(compact: token, now: now).failure?.code
    }

    func claims(_ extra: String) -> String { #"{"iss":"https://issuer.example.com""# + (extra.isEmpty ? "" : ",") + extra + "}" }

    func testExpirationBoundaryWithSkew() {
        XCTAssertNil(verify(claims(#""exp":1000"#), now: 1059.5))
        XCTAssertEqual(verify(claims(#""exp":1000"#), now: 1060), .expired)
        XCTAssertEqual(verify(claims(#""exp":1000.5"#), now: 1060.5), .expired)
    }

    func testMissingExpiration() {
        XCTAssertEqual(verify(claims("")), .malformed)
        XCTAssertNil(verify(claims(""), policy: TokenPolicy(issuer: Self.issuer, requireExpiration: false)))
    }

    func testNotBeforeBoundary() {
        XCTAssertNil(verify(claims(#""exp":5000,"nbf":1060"#), now: 1000))
        XCTAssertEqual(verify(claims(#""exp":5000,"nbf":1060.5"#), now: 1000), .notYetValid)
        XCTAssertEqual(verify(claims(#""exp":5000,"nbf":"1"#), now: 1000), .malformed)
    }

    func testIssuedInTheFuture() {
        XCTAssertNil(verify(claims(#""exp":5000,"iat":1060"#), now: 1000))
        XCTAssertEqual(verify(claims(#""exp":5000,"iat":1061"#), now: 1000), .issuedInFuture)
    }

    func testLifetime() {
        let policy = TokenPolicy(issuer: Self.issuer, maxLifetime: 600)
        XCTAssertNil(verify(claims(#""exp":1600,"iat":1000"#), policy: policy))
        XCTAssertEqual(verify(claims(#""exp":1601,"iat":1000"#), policy: policy), .lifetimeExceeded)
        XCTAssertEqual(verify(claims(#""exp":1600"#), policy: policy), .malformed)
    }

    func testIssuer() {
        XCTAssertEqual(verify(#"{"exp":5000}"#), .issuerMismatch)
        XCTAssertEqual(verify(#"{"iss":"https://other","exp":5000}"#), .issuerMismatch)
        XCTAssertEqual(verify(#"{"iss":["https://issuer.example.com"],"exp":5000}"#), .issuerMismatch)
    }

    func testSubject() {
        let policy = TokenPolicy(issuer: Self.issuer, subject: "alice")
        XCTAssertNil(verify(claims(#""exp":5000,"sub":"alice""#), policy: policy))
        XCTAssertEqual(verify(claims(#""exp":5000,"sub":"bob""#), policy: policy), .subjectMismatch)
        XCTAssertEqual(verify(claims(#""exp":5000"#), policy: policy), .subjectMismatch)
    }

    func testAudience() {
        let policy = TokenPolicy(issuer: Self.issuer, audiences: ["api", "web"])
        XCTAssertNil(verify(claims(#""exp":5000,"aud":"web""#), policy: policy))
        XCTAssertNil(verify(claims(#""exp":5000,"aud":["x","api"]"#), policy: policy))
        XCTAssertEqual(verify(claims(#""exp":5000,"aud":["x"]"#), policy: policy), .audienceMismatch)
        XCTAssertEqual(verify(claims(#""exp":5000"#), policy: policy), .audienceMismatch)
        XCTAssertEqual(verify(claims(#""exp":5000,"aud":5"#), policy: policy), .audienceMismatch)
        XCTAssertNil(verify(claims(#""exp":5000,"aud":5"#)), "without audiences aud is not checked")
    }

    func testIssuerComesBeforeTheAllowList() {
        let policy = TokenPolicy(issuer: Self.issuer, allowedAlgorithms: [.RS256])
        XCTAssertEqual(verify(#"{"iss":"x","exp":5000}"#, policy: policy), .issuerMismatch)
        XCTAssertEqual(verify(claims(#""exp":5000"#), policy: policy), .unsupportedAlgorithm)
    }

    func testUnknownAlgorithmName() {
        XCTAssertEqual(verify(claims(#""exp":5000"#), header: #"{"alg":"HS999","kid":"k"}"#), .unsupportedAlgorithm)
        XCTAssertEqual(verify(claims(#""exp":5000"#), header: #"{"alg":"hs256","kid":"k"}"#), .unsupportedAlgorithm)
        XCTAssertEqual(verify(claims(#""exp":5000"#), header: #"{"kid":"k"}"#), .malformed)
    }

    func testSignatureComesBeforeClaims() {
        let token = Self.signer.sign(header: Self.header, payload: claims(#""exp":1"#))
        let tampered = String(token.dropLast(2)) + (token.hasSuffix("AA") ? "AQ" : "AA")
        let verifier = JWTVerifier(keys: try! KeySet(jwks: [Self.signer.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        XCTAssertEqual(verifier.verify(compact: tampered, now: 1000).failure?.code, .badSignature)
    }

    /// `recheckTime`, what a cache hit runs on a token verified before, gives the result
    /// `verify` gives at every later (or earlier) moment: only the time stages can change.
    func testRecheckTimeGivesWhatVerifyWouldAtEveryMoment() throws {
        let policy = TokenPolicy(issuer: Self.issuer, subject: "alice", audiences: ["api"], allowedAlgorithms: [.HS256], maxLifetime: 600)
        let verifier = JWTVerifier(keys: try KeySet(jwks: [Self.signer.jwk]), policy: policy)
        let good = #"{"iss":"https://issuer.example.com","sub":"alice","aud":"api","iat":900,"exp":1400}"#
        let notBefore = #"{"iss":"https://issuer.example.com","sub":"alice","aud":["x","api"],"nbf":1100,"iat":900,"exp":1400}"#
        let longLived = #"{"iss":"https://issuer.example.com","sub":"alice","aud":"api","iat":900,"exp":1501}"#
        let noIssuedAt = #"{"iss":"https://issuer.example.com","sub":"alice","aud":"api","exp":1400}"#
        for claims in [good, notBefore, longLived, noIssuedAt] {
            let parsed = try JWSToken.parse(Self.signer.sign(header: Self.header, payload: claims), maxBytes: 8192).get()
            for now in [0.0, 839.5, 840, 900, 960, 1000, 1039, 1040, 1100, 1399, 1459.5, 1460, 1461, 10_000] {
                XCTAssertEqual(verifier.recheckTime(parsed, now: now).failure?.code, verifier.verify(parsed, now: now).failure?.code,
                               "\(claims) at \(now)")
            }
        }
        // The rest is not checked again: the caller vouches that this verifier verified
        // these very bytes (the cache keys on them and on the verifier's generation).
        let token = Self.signer.sign(header: Self.header, payload: good)
        let tampered = try JWSToken.parse(String(token.dropLast(4)) + "AAAA", maxBytes: 8192).get()
        XCTAssertEqual(verifier.verify(tampered, now: 1000).failure?.code, .badSignature)
        XCTAssertTrue(verifier.recheckTime(tampered, now: 1000).isValid)
        XCTAssertEqual(verifier.recheckTime(tampered, now: 1460).failure?.code, .expired)
    }

    func testSizeBoundIsExact() {
        let prefix = Self.signer.sign(header: Self.header, payload: claims(#""exp":5000,"pad":""#) + #"""#)
        let base = prefix.utf8.count
        // Grow the padding claim until the token is exactly 8,192 bytes, then by one more.
        var padding = 0
        var token = prefix
        while token.utf8.count < 8192 {
            padding += 1
            token = Self.signer.sign(
                header: Self.header,
                payload: claims(#""exp":5000,"pad":""# + String(repeating: "a", count: padding) + #"""#))
        }
        XCTAssertGreaterThan(token.utf8.count, base)
        let verifier = JWTVerifier(keys: try! KeySet(jwks: [Self.signer.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        if token.utf8.count == 8192 {
            XCTAssertNil(verifier.verify(compact: token, now: 1000).failure)
        }
        XCTAssertEqual(verifier.verify(compact: token + "A", now: 1000).failure?.code, token.utf8.count >= 8192 ? .tooLarge : nil)
        let exact = String(repeating: "a", count: 8192)
        XCTAssertNotEqual(verifier.verify(compact: exact, now: 1000).failure?.code, .tooLarge)
        XCTAssertEqual(verifier.verify(compact: exact + "a", now: 1000).failure?.code, .tooLarge)
    }

    func testMessagesAreLazyAndReadable() {
        let failure = VerificationFailure(.expired(exp: 1, now: 2, skew: 0))
        XCTAssertEqual(failure, VerificationFailure(.expired(exp: 5, now: 9, skew: 1)))
        XCTAssertTrue(failure.message.hasPrefix("the token expired"))
        XCTAssertEqual(VerificationFailure.Code.allCases.count, 12)
        XCTAssertEqual(VerificationFailure.Code.issuedInFuture.rawValue, "issuedInFuture")
    }

    func testStageAPIExposesHeaderAndClaims() throws {
        let token = Self.signer.sign(header: #"{"alg":"HS256","kid":"k","typ":"JWT"}"#, payload: claims(#""exp":5000,"ctx":{"tenant":"acme"}"#))
        let parsed = try JWSToken.parse(token, maxBytes: 8192).get()
        XCTAssertEqual(parsed.header.alg, .HS256)
        XCTAssertEqual(parsed.header.kid, "k")
        XCTAssertEqual(parsed.header.typ, "JWT")
        XCTAssertEqual(parsed.issuer, Self.issuer)
        XCTAssertEqual(parsed.claim(["ctx", "tenant"])?.stringValue, "acme")
        let verifier = JWTVerifier(keys: try KeySet(jwks: [Self.signer.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        XCTAssertTrue(verifier.verify(parsed, now: 1000).isValid)
    }

    func testParseAcceptsSubstringsAndBytes() throws {
        let token = Self.signer.sign(header: Self.header, payload: claims(#""exp":5000"#))
        let padded = " " + token + " "
        let slice = padded.dropFirst().dropLast()
        XCTAssertEqual(try JWSToken.parse(slice, maxBytes: 8192).get().issuer, Self.issuer)
        XCTAssertEqual(try JWSToken.parse(utf8: Array(token.utf8), maxBytes: 8192).get().header.kid, "k")
        let verifier = JWTVerifier(keys: try KeySet(jwks: [Self.signer.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        XCTAssertTrue(verifier.verify(try JWSToken.parse(slice, maxBytes: 8192).get(), now: 1000).isValid)
    }

    func testConcurrentVerification() {
        let token = Self.signer.sign(header: Self.header, payload: claims(#""exp":5000"#))
        let verifier = JWTVerifier(keys: try! KeySet(jwks: [Self.signer.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<200 { XCTAssertTrue(verifier.verify(compact: token, now: 1000).isValid) }
        }
    }
}
