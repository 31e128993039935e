import Foundation
import JOSE
import XCTest

/// Tokens and a JWKS made by joserfc (Fixtures/generate.py) for every algorithm and curve.
final class InteropTests: XCTestCase {
    struct Fixture {
        let verifier: JWTVerifier
        let keys: [JWK]
        let now: Double
        let cases: [[String: Any]]
    }

    func load() throws -> Fixture {
        let fixture = try Support.fixture("interop.json")
        let jwks = try JSONSerialization.data(withJSONObject: fixture["jwks"]!)
        let result = JWKSValidation.validate(json: Array(jwks))
        XCTAssertEqual(result.issues.map(\.message), [])
        let policy = TokenPolicy(
            issuer: fixture["issuer"] as! String, subject: "user-42", audiences: ["api.example.com"], maxLifetime: 3600)
        let verifier = JWTVerifier(keys: try KeySet(jwks: result.keys), policy: policy)
        return Fixture(
            verifier: verifier, keys: result.keys, now: (fixture["now"] as! NSNumber).doubleValue,
            cases: fixture["cases"] as! [[String: Any]])
    }

    func testEveryAlgorithmAndCurveIsCovered() throws {
        let names = Set(try load().cases.map { $0["name"] as! String })
        for name in ["HS256-oct", "HS384-oct", "HS512-oct", "RS256-RSA", "RS384-RSA", "RS512-RSA", "PS256-RSA", "PS384-RSA",
                     "PS512-RSA", "ES256-P-256", "ES384-P-384", "ES512-P-521", "EdDSA-Ed25519", "EdDSA-Ed448"] {
            XCTAssertTrue(names.contains(name), name)
        }
    }

    func testEveryTokenVerifiesWithAndWithoutKid() throws {
        let fixture = try load()
        for item in fixture.cases {
            for field in ["token", "tokenWithoutKid"] {
                let result = fixture.verifier.verify(compact: item[field] as! String, now: fixture.now)
                XCTAssertTrue(result.isValid, "\(item["name"]!) \(field): \(String(describing: result.failure))")
            }
        }
    }

    func testKidIsTheKeysOwnThumbprint() throws {
        let fixture = try load()
        for key in fixture.keys {
            XCTAssertEqual(key.kid, key.thumbprint)
        }
        for item in fixture.cases {
            XCTAssertEqual(item["kid"] as? String, item["thumbprint"] as? String)
        }
    }

    /// Every single changed character of every token fails.
    func testEveryChangedByteFails() throws {
        let fixture = try load()
        for item in fixture.cases {
            let token = Array((item["token"] as! String).utf8)
            for index in token.indices {
                var changed = token
                changed[index] = changed[index] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
                if changed[index] == token[index] { continue }
                let text = String(decoding: changed, as: UTF8.self)
                XCTAssertFalse(
                    fixture.verifier.verify(compact: text, now: fixture.now).isValid,
                    "\(item["name"]!): changed byte \(index) accepted")
            }
        }
    }

    func testStoredDERLoadsBackForEveryKey() throws {
        for key in try load().keys {
            if case .oct = key.kind {
                XCTAssertEqual(JWK(hmacSecret: key.keyMaterial, kid: key.kid, alg: key.alg), key)
            } else {
                XCTAssertEqual(try JWK(derSPKI: key.keyMaterial, kid: key.kid, alg: key.alg), key)
            }
        }
    }
}
