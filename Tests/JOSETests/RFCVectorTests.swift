import JOSE
import XCTest

/// RFC 7515 Appendix A, RFC 8037 Appendix A and RFC 7638 §3.1, with their published keys.
final class RFCVectorTests: XCTestCase {
    static let payload = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    static let policy = TokenPolicy(issuer: "joe")
    static let now: Double = 1_300_819_000

    static let a1Key = #"{"keys":[{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]}"#
    static let a1Token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + payload + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    static let a2Key = #"{"keys":[{"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}]}"#
    static let a2Token = "eyJhbGciOiJSUzI1NiJ9." + payload + ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"

    static let a3Key = #"{"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#
    static let a3Token = "eyJhbGciOiJFUzI1NiJ9." + payload + ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

    static let a4Key = #"{"keys":[{"kty":"EC","crv":"P-521","x":"AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk","y":"ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2"}]}"#
    static let a4Token = "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn"

    static let ed25519Key = #"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#
    static let ed25519Token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

    func assertVerifiesAndEveryBitFlipFails(_ keys: String, _ token: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let verifier = try Support.verifier(keys, policy: Self.policy)
        let result = verifier.verify(compact: token, now: Self.now)
        XCTAssertTrue(result.isValid, "\(String(describing: result.failure))", file: file, line: line)
        var count = 0
        for flip in Support.singleBitFlips(of: token) {
            count += 1
            XCTAssertFalse(
                verifier.verify(compact: flip.token, now: Self.now).isValid,
                "flipping bit \(flip.bit) of segment \(flip.segment) was accepted", file: file, line: line)
        }
        XCTAssertGreaterThan(count, 500, file: file, line: line)
    }

    func testA1HS256() throws { try assertVerifiesAndEveryBitFlipFails(Self.a1Key, Self.a1Token) }
    func testA2RS256() throws { try assertVerifiesAndEveryBitFlipFails(Self.a2Key, Self.a2Token) }
    func testA3ES256() throws { try assertVerifiesAndEveryBitFlipFails(Self.a3Key, Self.a3Token) }

    /// Signature-level check for vectors whose payload is not a JWT claim set.
    func assertSignatureVerifiesAndFlipsFail(_ keys: String, _ token: String, _ algorithm: JWSAlgorithm) {
        let key = try! VerificationKey(Support.keys(keys)[0])
        let parts = token.split(separator: ".").map(String.init)
        let input = Array((parts[0] + "." + parts[1]).utf8)
        let signature = Support.decode(parts[2])
        XCTAssertTrue(key.isValidSignature(signature, signingInput: input, algorithm: algorithm))
        for bit in 0..<(signature.count * 8) {
            var flipped = signature
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            XCTAssertFalse(key.isValidSignature(flipped, signingInput: input, algorithm: algorithm), "signature bit \(bit)")
        }
        for bit in 0..<(input.count * 8) {
            var flipped = input
            flipped[bit / 8] ^= UInt8(1 << (bit % 8))
            XCTAssertFalse(key.isValidSignature(signature, signingInput: flipped, algorithm: algorithm), "input bit \(bit)")
        }
        // The compact token still parses up to its non-JSON payload, which is malformed for a JWT.
        if case .failure(let failure) = JWSToken.parse(token) {
            XCTAssertEqual(failure.code, .malformed)
        } else {
            XCTFail("a non-JSON payload must not parse as a JWT")
        }
    }

    func testA4ES512() { assertSignatureVerifiesAndFlipsFail(Self.a4Key, Self.a4Token, .ES512) }
    func testRFC8037Ed25519() { assertSignatureVerifiesAndFlipsFail(Self.ed25519Key, Self.ed25519Token, .EdDSA) }

    func testRFC7638Thumbprint() {
        let keys = Support.keys(#"{"keys":[{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}]}"#)
        XCTAssertEqual(keys.first?.thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    func testRFC8037Thumbprint() {
        XCTAssertEqual(Support.keys(Self.ed25519Key).first?.thumbprint, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    /// The DER the compiler stores loads back into an equal key with the same thumbprint.
    func testDERRoundTripKeepsThumbprint() throws {
        for json in [Self.a2Key, Self.a3Key, Self.a4Key, Self.ed25519Key] {
            let jwk = Support.keys(json)[0]
            let reloaded = try JWK(derSPKI: jwk.keyMaterial, kid: jwk.kid, alg: jwk.alg)
            XCTAssertEqual(reloaded, jwk)
            XCTAssertEqual(try VerificationKey(derSPKI: jwk.keyMaterial, kid: nil, alg: nil).jwk.thumbprint, jwk.thumbprint)
        }
    }
}
