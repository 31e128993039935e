import JOSE
import XCTest

/// Whole-set JWKS validation: every bad key reported with index, kid, member and offsets.
final class JWKSValidationTests: XCTestCase {
    static let n2048 = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"
    static let p256 = #""crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#

    func validate(_ keys: [String]) -> JWKSResult {
        JWKSValidation.validate(json: Array((#"{"keys":["# + keys.joined(separator: ",") + "]}").utf8))
    }

    func codes(_ result: JWKSResult) -> [String] { result.issues.map(\.code) }

    func testValidSet() {
        let result = validate([#"{"kty":"RSA","kid":"r","e":"AQAB","n":""# + Self.n2048 + #""}"#, #"{"kty":"EC","kid":"e","# + Self.p256 + "}"])
        XCTAssertEqual(codes(result), [])
        XCTAssertEqual(result.keys.map(\.kid), ["r", "e"])
        XCTAssertEqual(result.keys[0].modulusBits, 2048)
    }

    func testEveryBadKeyIsReported() {
        let result = validate([
            #"{"kty":"RSA","kid":"small","e":"AQAB","n":"AQAB"}"#,
            #"{"kty":"EC","kid":"len","crv":"P-256","x":"AQAB","y":"AQAB"}"#,
            #"{"kty":"XYZ","kid":"kty"}"#,
            #"{"kty":"oct","kid":"short","k":"AQAB"}"#,
            #"{"kty":"EC","kid":"ok","# + Self.p256 + "}",
        ])
        XCTAssertEqual(result.issues.map(\.keyIndex), [0, 1, 1, 2, 3])
        XCTAssertEqual(codes(result), [
            "jwk.rsa.modulus-too-small", "jwk.ec.coordinate-length", "jwk.ec.coordinate-length", "jwk.kty.unknown",
            "jwk.oct.secret-too-short",
        ])
        XCTAssertEqual(result.keys.map(\.kid), ["ok"])
        XCTAssertEqual(result.issues[0].kid, "small")
        XCTAssertEqual(result.issues[0].member, "n")
    }

    func testLineWrappedValue() {
        let wrapped = String(Self.n2048.prefix(33)) + "\\n" + String(Self.n2048.dropFirst(33))
        let text = #"{"keys":[{"kty":"RSA","kid":"abc","e":"AQAB","n":""# + wrapped + #""}]}"#
        let result = JWKSValidation.validate(json: Array(text.utf8))
        let issue = result.issues.first { $0.code == "jwk.member.base64url" }
        XCTAssertEqual(issue?.valueOffset, 33)
        XCTAssertEqual(issue?.member, "n")
        XCTAssertEqual(issue?.message, "key 0 (kid `abc`): `n` is not valid base64url: a line break at offset 33; the value looks line-wrapped")
        XCTAssertEqual(issue?.hint, "join the lines of `n` into one line")
        XCTAssertNotNil(issue?.textOffset)
    }

    func testRawLineBreakInJSONText() {
        let text = "{\"keys\":[{\"kty\":\"oct\",\"k\":\"abc\ndef\"}]}"
        let result = JWKSValidation.validate(json: Array(text.utf8))
        XCTAssertEqual(codes(result), ["jwks.json.syntax"])
        XCTAssertEqual(result.issues[0].textOffset, 30)
        XCTAssertTrue(result.issues[0].message.contains("looks line-wrapped"))
    }

    func testPaddingAndNonMinimalIntegers() {
        let result = validate([#"{"kty":"RSA","e":"AQAB=","n":"AA"# + Self.n2048.dropFirst(2) + #""}"#])
        XCTAssertTrue(codes(result).contains("jwk.member.base64url"))
        let padded = result.issues.first { $0.member == "e" }
        XCTAssertEqual(padded?.valueOffset, 4)
        let nonMinimal = validate([#"{"kty":"RSA","e":"AAEAAQ","n":""# + Self.n2048 + #""}"#])
        XCTAssertEqual(codes(nonMinimal).first, "jwk.member.non-minimal")
    }

    func testExponents() {
        XCTAssertEqual(codes(validate([#"{"kty":"RSA","e":"AQAA","n":""# + Self.n2048 + #""}"#])).first, "jwk.rsa.exponent-even")
        XCTAssertEqual(codes(validate([#"{"kty":"RSA","e":"Aw","n":""# + Self.n2048 + #""}"#])).first, "jwk.rsa.exponent-too-small")
        XCTAssertEqual(codes(validate([#"{"kty":"RSA","e":"AQ","n":""# + Self.n2048 + #""}"#])).first, "jwk.rsa.exponent-too-small")
    }

    func testPointNotOnCurve() {
        let off = #"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1"}"#
        XCTAssertEqual(codes(validate([off])).first, "jwk.member.base64url", "a1 sets unused bits")
        let off2 = #"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5aw"}"#
        XCTAssertEqual(codes(validate([off2])).first, "jwk.ec.point-not-on-curve")
    }

    func testUnknownCurves() {
        XCTAssertEqual(codes(validate([#"{"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}"#])).first, "jwk.ec.curve-unknown")
        XCTAssertEqual(codes(validate([#"{"kty":"OKP","crv":"X25519","x":"AA"}"#])).first, "jwk.okp.curve-unsupported")
        XCTAssertEqual(codes(validate([#"{"kty":"OKP","crv":"Ed9","x":"AA"}"#])).first, "jwk.okp.curve-unknown")
    }

    func testAlgorithmInconsistentWithKey() {
        XCTAssertEqual(codes(validate([#"{"kty":"EC","alg":"ES384","# + Self.p256 + "}"])).first, "jwk.alg.mismatch")
        XCTAssertEqual(codes(validate([#"{"kty":"EC","alg":"RS256","# + Self.p256 + "}"])).first, "jwk.alg.mismatch")
        XCTAssertEqual(codes(validate([#"{"kty":"RSA","alg":"HS256","e":"AQAB","n":""# + Self.n2048 + #""}"#])).first, "jwk.alg.mismatch")
        XCTAssertEqual(codes(validate([#"{"kty":"RSA","alg":"none","e":"AQAB","n":""# + Self.n2048 + #""}"#])).first, "jwk.alg.none")
    }

    func testDuplicateKids() {
        let result = validate([#"{"kty":"EC","kid":"a","# + Self.p256 + "}", #"{"kty":"EC","kid":"a","# + Self.p256 + "}"])
        XCTAssertEqual(codes(result), ["jwks.kid.duplicate"])
        XCTAssertEqual(result.issues[0].keyIndex, 1)
    }

    func testHMACSecretShorterThanItsHash() {
        let k32 = Base64URL.encode([UInt8](repeating: 7, count: 32))
        XCTAssertEqual(codes(validate([#"{"kty":"oct","k":""# + k32 + #""}"#])), [])
        XCTAssertEqual(codes(validate([#"{"kty":"oct","alg":"HS512","k":""# + k32 + #""}"#])), ["jwk.oct.secret-too-short", "jwks.no-verification-key"])
        let key = JWK(hmacSecret: [UInt8](repeating: 7, count: 32), kid: nil, alg: nil)
        XCTAssertTrue(key.allows(.HS256))
        XCTAssertFalse(key.allows(.HS384))
    }

    func testPrivateKeyLeak() {
        let result = validate([#"{"kty":"EC","kid":"leak","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI","# + Self.p256 + "}"])
        XCTAssertEqual(codes(result), ["jwk.private-key-leaked", "jwks.no-verification-key"])
        XCTAssertEqual(result.issues[0].member, "d")
        XCTAssertTrue(result.issues[0].message.contains("leaked into the policy and must be rotated"))
    }

    func testNonVerificationKeysAreWarnings() {
        let result = validate([
            #"{"kty":"EC","use":"enc","# + Self.p256 + "}",
            #"{"kty":"EC","key_ops":["encrypt"],"# + Self.p256 + "}",
            #"{"kty":"EC","key_ops":["verify"],"# + Self.p256 + "}",
        ])
        XCTAssertEqual(codes(result), ["jwk.use.enc", "jwk.key-ops.no-verify"])
        XCTAssertEqual(result.issues.map(\.severity), [.warning, .warning])
        XCTAssertEqual(result.keys.count, 1)
    }

    func testNoVerificationKeyAndShapeErrors() {
        XCTAssertEqual(codes(validate([])), ["jwks.no-verification-key"])
        XCTAssertEqual(codes(JWKSValidation.validate(json: Array("[]".utf8))), ["jwks.root.not-object"])
        XCTAssertEqual(codes(JWKSValidation.validate(json: Array("{}".utf8))), ["jwks.keys.missing"])
        XCTAssertEqual(codes(validate(["5"])), ["jwk.not-object", "jwks.no-verification-key"])
    }

    func testParsedValueWithoutText() throws {
        let value = try StrictJSON.parse(Array((#"{"keys":[{"kty":"EC","# + Self.p256 + "}]}").utf8))
        let result = JWKSValidation.validate(value, textAvailable: false)
        XCTAssertEqual(result.keys.count, 1)
        let bad = try StrictJSON.parse(Array(#"{"keys":[{"kty":"EC"}]}"#.utf8))
        XCTAssertNil(JWKSValidation.validate(bad, textAvailable: false).issues.first?.textOffset)
    }
}
