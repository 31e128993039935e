import Benchmarks
import JOSE
import TokenSigning
import XCTest

/// Known attacks on JWT verifiers, each expecting one specific failure code.
final class AttackTests: XCTestCase {
    static let issuer = "https://issuer.example.com"
    static let now: Double = 1_700_000_100
    static let claims = #"{"iss":"https://issuer.example.com","sub":"u","iat":1700000000,"exp":1700003600}"#

    static let rsa = TestSigner(algorithm: .RS256, keyType: .rsa(bits: 2048), kid: "rsa-1")
    static let ec = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: "ec-1")
    static let ed = TestSigner(algorithm: .EdDSA, keyType: .okp(.ed25519), kid: "ed-1")
    static let hmac = TestSigner(algorithm: .HS256, keyType: .hmac(bytes: 32), kid: "hs-1")
    static let verifier = JWTVerifier(
        keys: try! KeySet(jwks: [rsa.jwk, ec.jwk, ed.jwk, hmac.jwk]), policy: TokenPolicy(issuer: issuer))

    func code(_ token: String, _ verifier: JWTVerifier = AttackTests.verifier) -> VerificationFailure.Code? {
        verifier.verify(compact: token, now: Self.now).failure?.code
    }

    func header(_ alg: String, kid: String?) -> String {
        #"{"alg":""# + alg + #"""# + (kid.map { #","kid":""# + $0 + #"""# } ?? "") + "}"
    }

    func testSanityEveryKeyVerifies() {
        for signer in [Self.rsa, Self.ec, Self.ed, Self.hmac] {
            let token = signer.sign(header: header(signer.algorithm.rawValue, kid: signer.jwk.kid), payload: Self.claims)
            XCTAssertNil(code(token), "\(signer.algorithm)")
        }
    }

    func testAlgNoneInSeveralCasings() {
        for alg in ["none", "None", "NONE", "nOnE"] {
            let token = Support.b64(header(alg, kid: nil)) + "." + Support.b64(Self.claims) + "."
            XCTAssertEqual(code(token), .unsupportedAlgorithm, alg)
        }
    }

    func testRS256ResignedAsHS256WithThePublicKeyAsSecret() {
        let input = Support.b64(header("HS256", kid: "rsa-1")) + "." + Support.b64(Self.claims)
        let secretSigner = HMACWithSecret(secret: Self.rsa.jwk.keyMaterial)
        let token = input + "." + Base64URL.encode(secretSigner.mac(Array(input.utf8)))
        XCTAssertEqual(code(token), .unsupportedAlgorithm, "the RSA key selected by kid does not allow HS256")
        let withoutKid = Support.b64(header("HS256", kid: nil)) + "." + Support.b64(Self.claims)
        let rsaOnly = JWTVerifier(keys: try! KeySet(jwks: [Self.rsa.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        XCTAssertEqual(code(withoutKid + "." + Base64URL.encode(secretSigner.mac(Array(withoutKid.utf8))), rsaOnly), .unknownKey)
        let pinned = JWTVerifier(
            keys: try! KeySet(jwks: [Self.rsa.jwk]), policy: TokenPolicy(issuer: Self.issuer, allowedAlgorithms: [.RS256]))
        XCTAssertEqual(code(token, pinned), .unsupportedAlgorithm)
    }

    func ecdsaToken(r: [UInt8], s: [UInt8]) -> String {
        Support.b64(header("ES256", kid: "ec-1")) + "." + Support.b64(Self.claims) + "." + Base64URL.encode(r + s)
    }

    static let p256Order = Support.decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE")

    func testES256WithRAndSZero() {
        XCTAssertEqual(code(ecdsaToken(r: [UInt8](repeating: 0, count: 32), s: [UInt8](repeating: 0, count: 32))), .badSignature)
    }

    func testES256WithROrSEqualToTheOrder() {
        let one = [UInt8](repeating: 0, count: 31) + [1]
        XCTAssertEqual(code(ecdsaToken(r: Self.p256Order, s: one)), .badSignature)
        XCTAssertEqual(code(ecdsaToken(r: one, s: Self.p256Order)), .badSignature)
        XCTAssertEqual(code(ecdsaToken(r: Self.p256Order, s: Self.p256Order)), .badSignature)
    }

    func testTruncatedAndOverlongSignatures() {
        for signer in [Self.rsa, Self.ec, Self.ed, Self.hmac] {
            let token = signer.sign(header: header(signer.algorithm.rawValue, kid: signer.jwk.kid), payload: Self.claims)
            let parts = token.split(separator: ".").map(String.init)
            let signature = Support.decode(parts[2])
            let truncated = parts[0] + "." + parts[1] + "." + Base64URL.encode(Array(signature.dropLast()))
            let overlong = parts[0] + "." + parts[1] + "." + Base64URL.encode(signature + [0])
            let empty = parts[0] + "." + parts[1] + "."
            XCTAssertEqual(code(truncated), .badSignature, "\(signer.algorithm) truncated")
            XCTAssertEqual(code(overlong), .badSignature, "\(signer.algorithm) over-long")
            XCTAssertEqual(code(empty), .badSignature, "\(signer.algorithm) empty")
        }
    }

    func testPathTraversalKid() {
        let token = Self.hmac.sign(header: header("HS256", kid: "../../etc/passwd"), payload: Self.claims)
        XCTAssertEqual(code(token), .unknownKey)
    }

    func testVeryLongKid() {
        let token = Self.hmac.sign(header: header("HS256", kid: String(repeating: "k", count: 5000)), payload: Self.claims)
        XCTAssertEqual(code(token), .unknownKey)
        XCTAssertTrue(Self.verifier.verify(compact: token, now: Self.now).failure!.message.utf8.count < 200)
    }

    func testCritHeader() {
        let token = Self.hmac.sign(header: #"{"alg":"HS256","kid":"hs-1","crit":["exp"],"exp":1}"#, payload: Self.claims)
        XCTAssertEqual(Self.verifier.verify(compact: token, now: Self.now).failure?.malformedReason, .critical)
    }

    func testUnencodedPayloadB64False() {
        let token = Self.hmac.sign(header: #"{"alg":"HS256","kid":"hs-1","b64":false}"#, payload: Self.claims)
        XCTAssertEqual(Self.verifier.verify(compact: token, now: Self.now).failure?.malformedReason, .unencodedPayload)
    }

    func testJWEHasItsOwnReason() {
        let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe"
            + "ipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg."
            + "48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ"
        let failure = Self.verifier.verify(compact: jwe, now: Self.now).failure
        XCTAssertEqual(failure?.code, .malformed)
        XCTAssertEqual(failure?.malformedReason, .jwe)
    }

    func testDuplicateClaimMembers() {
        let token = Self.hmac.sign(header: header("HS256", kid: "hs-1"), payload: #"{"sub":"a","sub":"b","iss":"https://issuer.example.com","exp":1700003600}"#)
        let failure = Self.verifier.verify(compact: token, now: Self.now).failure
        XCTAssertEqual(failure?.code, .malformed)
        guard case .json(.payload, let error)? = failure?.malformedReason, case .duplicateMember("sub") = error.kind else {
            return XCTFail("expected a duplicate member error, got \(String(describing: failure))")
        }
    }

    func testDuplicateHeaderMembers() {
        let token = Self.hmac.sign(header: #"{"alg":"HS256","alg":"none","kid":"hs-1"}"#, payload: Self.claims)
        XCTAssertEqual(code(token), .malformed)
    }

    func testExpAsString() {
        let token = Self.hmac.sign(header: header("HS256", kid: "hs-1"), payload: #"{"iss":"https://issuer.example.com","exp":"1700003600"}"#)
        XCTAssertEqual(Self.verifier.verify(compact: token, now: Self.now).failure?.malformedReason, .claimNotNumber("exp"))
    }

    func testExpAs1e400() {
        let token = Self.hmac.sign(header: header("HS256", kid: "hs-1"), payload: #"{"iss":"https://issuer.example.com","exp":1e400}"#)
        XCTAssertEqual(Self.verifier.verify(compact: token, now: Self.now).failure?.malformedReason, .claimNotNumber("exp"))
    }

    func testDeepNesting() {
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        let token = Self.hmac.sign(header: header("HS256", kid: "hs-1"), payload: #"{"iss":"https://issuer.example.com","x":"# + deep + "}")
        let failure = Self.verifier.verify(compact: token, now: Self.now).failure
        XCTAssertEqual(failure?.code, .malformed)
        guard case .json(.payload, let error)? = failure?.malformedReason, case .tooDeep = error.kind else {
            return XCTFail("expected a depth error, got \(String(describing: failure))")
        }
    }

    func testOneMebibyteToken() {
        let token = Self.hmac.sign(header: header("HS256", kid: "hs-1"), payload: #"{"x":""# + String(repeating: "a", count: 1 << 20) + #""}"#)
        XCTAssertEqual(code(token), .tooLarge)
    }

    func testNonCanonicalBase64URL() {
        let token = Self.hmac.sign(header: header("HS256", kid: "hs-1"), payload: Self.claims)
        // A 32-byte HMAC encodes to 43 characters; the last carries 2 unused bits.
        var bytes = Array(token.utf8)
        let last = bytes.count - 1
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let value = alphabet.firstIndex(of: bytes[last])!
        bytes[last] = alphabet[value | 1]
        let failure = Self.verifier.verify(compact: String(decoding: bytes, as: UTF8.self), now: Self.now).failure
        guard case .base64url(.signature, let error)? = failure?.malformedReason else {
            return XCTFail("expected a base64url error, got \(String(describing: failure))")
        }
        XCTAssertEqual(error.kind, .nonCanonical)
        XCTAssertEqual(code(token + "="), .malformed)
        XCTAssertEqual(code(token.replacingOccurrences(of: ".", with: ". ")), .malformed)
    }

    func testAlgorithmTheKeysOwnAlgForbids() {
        let pss = TestSigner(algorithm: .PS256, keyType: .rsa(bits: 2048), kid: "rsa-pss", pinAlgorithm: false)
        let pinned = try! JWK(derSPKI: pss.jwk.keyMaterial, kid: "rsa-pss", alg: .RS256)
        let verifier = JWTVerifier(keys: try! KeySet(jwks: [pinned]), policy: TokenPolicy(issuer: Self.issuer))
        let token = pss.sign(header: header("PS256", kid: "rsa-pss"), payload: Self.claims)
        XCTAssertEqual(code(token, verifier), .unsupportedAlgorithm)
        let unpinned = JWTVerifier(keys: try! KeySet(jwks: [pss.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        XCTAssertNil(code(token, unpinned))
    }

    func testES256TokenAgainstAP384KeyByKid() {
        let p384 = TestSigner(algorithm: .ES384, keyType: .ec(.p384), kid: "p384")
        let verifier = JWTVerifier(keys: try! KeySet(jwks: [p384.jwk]), policy: TokenPolicy(issuer: Self.issuer))
        let token = Self.ec.sign(header: header("ES256", kid: "p384"), payload: Self.claims)
        XCTAssertEqual(code(token, verifier), .unsupportedAlgorithm, "selected by kid, the P-384 key does not allow ES256")
        let withoutKid = Self.ec.sign(header: header("ES256", kid: nil), payload: Self.claims)
        XCTAssertEqual(code(withoutKid, verifier), .unknownKey, "no key of ES256's curve")
    }

    func testNonCanonicalEd25519S() {
        let token = Self.ed.sign(header: header("EdDSA", kid: "ed-1"), payload: Self.claims)
        let parts = token.split(separator: ".").map(String.init)
        var signature = Support.decode(parts[2])
        // S + L: the same point equation, a non-canonical scalar (RFC 8032 §5.1.7 requires S < L).
        let order = Support.decode("7dP1XBpjEljWnPei3vneFAAAAAAAAAAAAAAAAAAAABA")
        var carry = 0
        for index in 0..<32 {
            let sum = Int(signature[32 + index]) + Int(order[index]) + carry
            signature[32 + index] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        XCTAssertEqual(code(parts[0] + "." + parts[1] + "." + Base64URL.encode(signature)), .badSignature)
    }

    func testEmbeddedJWKAndJKUAreIgnored() {
        let attacker = TestSigner(algorithm: .ES256, keyType: .ec(.p256), kid: nil)
        let embedded = #"{"alg":"ES256","jku":"https://evil.example/jwks","x5u":"https://evil.example/cert","jwk":{"kty":"EC"}}"#
        XCTAssertEqual(code(attacker.sign(header: embedded, payload: Self.claims)), .badSignature)
    }

    func testWrongSegmentCount() {
        XCTAssertEqual(Self.verifier.verify(compact: "a.b", now: Self.now).failure?.malformedReason, .segmentCount(2))
        XCTAssertEqual(Self.verifier.verify(compact: "a.b.c.d", now: Self.now).failure?.malformedReason, .segmentCount(4))
    }
}

/// HMAC with an arbitrary secret (the key-confusion attacker's tool).
struct HMACWithSecret {
    let secret: [UInt8]
    func mac(_ input: [UInt8]) -> [UInt8] {
        let signer = TestSigner(algorithm: .HS256, keyType: .hmac(bytes: 32), kid: nil)
        return signer.signature(over: input, secret: secret)
    }
}
