@testable import JOSE
import TokenSigning
import XCTest

/// A token's payload is validated whole but kept as member names and spans; values are
/// read in place or built on demand. These tests hold that to the full parser: same
/// verdicts, same errors at the same offsets, same values with the same spans.
final class ClaimsInPlaceTests: XCTestCase {
    static let header = Support.b64(#"{"alg":"HS256"}"#)

    static func token(payload: [UInt8]) -> Result<JWSToken, VerificationFailure> {
        JWSToken.parse(header + "." + Base64URL.encode(payload) + "." + Support.b64("signature"))
    }

    /// What the shallow parse must give for `payload`: the full parser's error, not an
    /// object, or the token, whose built claims and values equal the full tree's.
    func assertAgreesWithTheFullParser(_ payload: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let label = String(decoding: payload, as: UTF8.self)
        let full: Result<JSONValue, JSONParseError> = Result { () throws(JSONParseError) in
            try StrictJSON.parse(payload, limits: JWSToken.jsonLimits)
        }
        switch (full, Self.token(payload: payload)) {
        case (.failure(let error), .failure(let failure)):
            XCTAssertEqual(failure, .malformed(.json(.payload, error)), label, file: file, line: line)
        case (.success(let value), .failure(let failure)):
            XCTAssertNil(value.members, "a valid object refused: \(failure) — \(label)", file: file, line: line)
            XCTAssertEqual(failure, .malformed(.notAnObject(.payload)), label, file: file, line: line)
        case (.failure(let error), .success):
            XCTFail("accepted what the full parser refuses (\(error)): \(label)", file: file, line: line)
        case (.success(let value), .success(let token)):
            guard let members = value.members else { return XCTFail("a non-object accepted: \(label)", file: file, line: line) }
            XCTAssertEqual(token.payload, value, label, file: file, line: line)
            XCTAssertEqual(token.claimCount, members.count, label, file: file, line: line)
            for member in members {
                XCTAssertEqual(token.claim(member.name), member.value, "\(member.name) of \(label)", file: file, line: line)
                XCTAssertEqual(token.claim([JSONMemberName(member.name)]), member.value, file: file, line: line)
                if case .object(let nested, _) = member.value, let inner = nested.first {
                    XCTAssertEqual(token.claim([member.name, inner.name]), inner.value, file: file, line: line)
                }
                let plain = token.plainStringClaim([JSONMemberName(member.name)])
                if let plain {
                    XCTAssertEqual(plain, member.value.stringValue, "a plain string is its bytes", file: file, line: line)
                }
            }
            XCTAssertNil(token.claim("no such claim"), file: file, line: line)
            XCTAssertEqual(token.hasIssuer("https://issuer.example.com"), value[member: "iss"]?.stringValue == "https://issuer.example.com",
                           label, file: file, line: line)
        }
    }

    static let corpus: [String] = [
        #"{}"#, #" { } "#, #"[]"#, #""text""#, #"17"#, #"null"#, #"true"#,
        #"{"iss":"https://issuer.example.com","sub":"u","aud":["a","b"],"iat":1700000000,"exp":1700003600}"#,
        #"{"a":{"b":{"c":[1,2,{"d":"e"}]}},"f":[],"g":{},"h":null,"i":false,"j":-0.5e-3}"#,
        #"{"esc":"a\"b\\\/\n\u00e9\ud83d\ude00","\u0061":"named with an escape","é":"é"}"#,
        #"{"a":{"x":1,"x":2}}"#, #"{"a":[{"x":1},{"x":1,"x":2}]}"#, #"{"a":1,"\u0061":2}"#,
        #"{"a":"\ud800"}"#, #"{"a":[1,]}"#, #"{"a":01}"#, #"{"a":1} x"#, #"{"a":"line"# + "\n" + #"break"}"#,
        #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":tru}"#, #"{"a":"\x"}"#, #"{"a":1"#, #"{"#, "",
        "{\"deep\":" + String(repeating: "[", count: 15) + String(repeating: "]", count: 15) + "}",
        "{\"deep\":" + String(repeating: "[", count: 16) + String(repeating: "]", count: 16) + "}",
        "{\"deep\":" + String(repeating: "{\"k\":", count: 15) + "1" + String(repeating: "}", count: 15) + "}",
        "{\"deep\":" + String(repeating: "{\"k\":", count: 16) + "1" + String(repeating: "}", count: 16) + "}",
        // Long names (keys equal, bytes compared), escaped or not, empty, non-ASCII.
        #"{"permissions":1,"permissionz":2,"permissions":3}"#, #"{"permissions":1,"permission\u0073":2}"#,
        #"{"abcdefghij":1,"abcdefghik":2,"abcdefghi":3}"#, #"{"":1,"":2}"#, #"{"":1,"\u0000":2}"#, #"{"\u0000":1,"":2}"#,
        #"{"é":1,"e\u0301":2}"#, #"{"é":1,"é":2}"#, #"{"\u00e9":1,"é":2}"#, "{\"caf\u{E9}\":1,\"cafe\u{301}\":2}",
        #"{"Kid":1,"\u212Aid":2}"#, "{\"K\":1,\"\u{212A}\":2}",
        #"{"a":{"permissions":1,"permission\u0073":2}}"#,
        "{" + (0..<20).map { "\"claim-name-\($0)\":\($0)" }.joined(separator: ",") + "}",
        "{" + (0..<20).map { "\"claim-name-\($0)\":\($0)" }.joined(separator: ",") + ",\"claim-name-7\":1}",
        "{" + (0..<20).map { "\"claim-name-\($0)\":\($0)" }.joined(separator: ",") + ",\"claim-name-\\u0037\":1}",
        "{" + (0..<20).map { "\"claim-name-\($0)\":\($0)" }.joined(separator: ",") + ",\"é\":1,\"e\u{301}\":2}",
    ]

    func testTheShallowParseAgreesWithTheFullParserOnTheCorpus() {
        for text in Self.corpus { assertAgreesWithTheFullParser(Array(text.utf8)) }
        assertAgreesWithTheFullParser([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0x80, 0x22, 0x7D])  // {"a":"<overlong>"}
        assertAgreesWithTheFullParser([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])  // a name that is not UTF-8
    }

    /// Random byte edits of the corpus (deterministic): every verdict, error kind and offset
    /// agrees. Most edits break the JSON somewhere, in a name, a nested value or a string.
    func testTheShallowParseAgreesWithTheFullParserOnEditedDocuments() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array(#"{}[]",:\ 0123456789.eE+-"truefalsnuxa"#.utf8) + [0x0A, 0xC3, 0xA9, 0x80, 0xFF]
        var checked = 0
        for text in Self.corpus where text.utf8.count > 2 {
            for _ in 0..<400 {
                var bytes = Array(text.utf8)
                for _ in 0...next(3) {
                    let at = next(bytes.count)
                    switch next(3) {
                    case 0: bytes[at] = alphabet[next(alphabet.count)]
                    case 1: bytes.insert(alphabet[next(alphabet.count)], at: at)
                    default: if bytes.count > 1 { bytes.remove(at: at) }
                    }
                }
                assertAgreesWithTheFullParser(bytes)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 5_000)
    }

    func testBuiltClaimsKeepTheirSpansInThePayload() throws {
        let payload = #"{ "n" : 1.5 , "s":"\u0061b", "o":{"k":[true,null]} }"#
        let token = try Self.token(payload: Array(payload.utf8)).get()
        let bytes = Array(payload.utf8)
        func text(_ value: JSONValue?) -> String? { value.map { String(decoding: bytes[$0.span], as: UTF8.self) } }
        XCTAssertEqual(text(token.claim("n")), "1.5")
        XCTAssertEqual(text(token.claim("s")), #""\u0061b""#)
        XCTAssertEqual(token.claim("s")?.stringValue, "ab")
        XCTAssertEqual(text(token.claim(["o", "k"])), "[true,null]")
        XCTAssertNil(token.testPlainStringClaim([JSONMemberName("s")]) { _ in true }, "escaped: built instead")
        XCTAssertNil(token.testPlainStringClaim([JSONMemberName("n")]) { _ in true }, "not a string")
        XCTAssertNil(token.testPlainStringClaim([JSONMemberName("o"), JSONMemberName("k")]) { _ in true }, "a deeper path")
    }

    /// NumericDates read in place hold exactly what the built number would.
    func testFiniteNumbersReadInPlaceEqualTheBuiltNumbers() throws {
        var texts = ["0", "-0", "1", "-1", "1.5", "1e3", "1E+3", "-2.5e-3", "1e400", "-1e400", "1700000000", "1700000000.999",
                     "9007199254740991", "9007199254740993", "17000000000000000001", "123456789012345678901234567890", "0.1",
                     "4.9e-324", "1.7976931348623157e308", "1.7976931348623159e308"]
        var state: UInt64 = 42
        for _ in 0..<500 {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            let digits = String(state >> 1).prefix(Int(state % 19) + 1)
            texts.append(String(digits))
            texts.append("-" + digits + "." + digits.suffix(3))
        }
        for text in texts {
            let token = try Self.token(payload: Array(#"{"x":\#(text)}"#.utf8)).get()
            guard case .number(let number, _)? = token.claim("x") else { return XCTFail(text) }
            let inPlace = token.finiteNumber(at: try XCTUnwrap(token.claimIndex(JSONMemberName("x"))))
            XCTAssertEqual(inPlace?.bitPattern, number.double?.bitPattern, text)
        }
        let string = try Self.token(payload: Array(#"{"x":"1"}"#.utf8)).get()
        XCTAssertNil(string.finiteNumber(at: 0), "a string is not a NumericDate")
    }

    /// The header is read like the claims: its parameters in place when they are plain
    /// strings, built otherwise, with the same verdicts either way.
    func testHeaderParametersReadInPlaceOrBuilt() throws {
        func header(_ text: String) -> Result<JWSToken, VerificationFailure> {
            JWSToken.parse(Support.b64(text) + "." + Support.b64(#"{"iss":"i"}"#) + "." + Support.b64("signature"))
        }
        let plain = try header(#"{"alg":"HS256","kid":"k-1","typ":"JWT"}"#).get()
        XCTAssertEqual(plain.header.alg, .HS256)
        XCTAssertEqual(plain.header.kid, "k-1")
        XCTAssertEqual(plain.header.typ, "JWT")
        let escaped = try header(#"{"alg":"HS256","kid":"k-1","typ":"JWT"}"#).get()
        XCTAssertEqual(escaped.header.alg, .HS256)
        XCTAssertEqual(escaped.header.algName, "HS256")
        XCTAssertEqual(escaped.header.kid, "k-1")
        XCTAssertEqual(escaped.header.typ, "JWT")
        let text = #"{ "alg" : "ES256", "x":{"y":[1]} }"#
        XCTAssertEqual(try header(text).get().headerJSON, try StrictJSON.parse(Array(text.utf8)))
        XCTAssertEqual(header(#"{"alg":1}"#).failure, .malformed(.headerMemberType("alg")))
        XCTAssertEqual(header(#"{"alg":"HS256","kid":["k"]}"#).failure, .malformed(.headerMemberType("kid")))
        XCTAssertEqual(header(#"{"alg":"HS256","typ":null}"#).failure, .malformed(.headerMemberType("typ")))
        XCTAssertEqual(header(#"{"alg":"HS256","b64":"false"}"#).failure, .malformed(.headerMemberType("b64")))
        XCTAssertEqual(header(#"{"alg":"HS256","b64":false}"#).failure, .malformed(.unencodedPayload))
        XCTAssertEqual(header(#"{"alg":"HS256","crit":[]}"#).failure, .malformed(.critical))
        XCTAssertEqual(header(#"{"alg":"none"}"#).failure?.code, .unsupportedAlgorithm)
        XCTAssertEqual(header(#"{"kid":"k"}"#).failure, .malformed(.missingAlgorithm))
        XCTAssertEqual(header(#"["alg"]"#).failure, .malformed(.notAnObject(.header)))
        XCTAssertEqual(header(#"{"alg":"HS256","alg":"none"}"#).failure, .malformed(.json(.header, JSONParseError(offset: 15, kind: .duplicateMember("alg")))))
        XCTAssertEqual(header(#"{"alg":"HS256","x":{"a":1,"a":2}}"#).failure?.code, .malformed)
    }

    /// A token read from a request header keeps a slice of it; the cache keeps a detached
    /// copy, which holds its own text and nothing more.
    func testADetachedTokenHoldsOnlyItsOwnText() throws {
        let compact = Self.header + "." + Support.b64(#"{"iss":"i","sub":"s"}"#) + "." + Support.b64("signature")
        let header = "Bearer " + compact + String(repeating: " ", count: 4_000)
        let slice = header.dropFirst(7).prefix(compact.utf8.count)
        let token = try JWSToken.parse(slice).get()
        XCTAssertFalse(token.ownsItsText, "read in place")
        XCTAssertEqual(token.compact, compact)
        XCTAssertEqual(token.compactLength, compact.utf8.count)
        let detached = token.detached()
        XCTAssertTrue(detached.ownsItsText)
        XCTAssertEqual(detached.compact, compact)
        XCTAssertEqual(detached.signingInput, token.signingInput)
        XCTAssertEqual(detached.claim("sub"), token.claim("sub"))
        XCTAssertTrue(try JWSToken.parse(compact).get().ownsItsText)
    }

    // MARK: Registered claims compared in place

    static let signer = TestSigner(algorithm: .HS256, keyType: .hmac(bytes: 32), kid: "hs-1")
    static let now: Double = 1_700_000_100

    func verify(_ claims: String, issuer: String = "https://issuer.example.com", subject: String? = nil,
                audiences: [String] = []) throws -> VerificationFailure.Code? {
        let verifier = JWTVerifier(keys: try KeySet(jwks: [Self.signer.jwk]),
                                   policy: TokenPolicy(issuer: issuer, subject: subject, audiences: audiences))
        let payload = #"{"iat":1700000000,"exp":1700003600,"# + claims + "}"
        let token = Self.signer.sign(header: #"{"alg":"HS256","kid":"hs-1"}"#, payload: payload)
        return verifier.verify(compact: token, now: Self.now).failure?.code
    }

    func testIssuerAndSubjectAreComparedAsTheirValuesEscapedOrNot() throws {
        XCTAssertNil(try verify(#""iss":"https://issuer.example.com""#))
        XCTAssertNil(try verify(#""iss":"\u0068ttps:\/\/issuer.example.com""#), "escapes are decoded before comparing")
        XCTAssertEqual(try verify(#""iss":"https://issuer.example.co""#), .issuerMismatch)
        XCTAssertEqual(try verify(#""iss":"https://issuer.example.comm""#), .issuerMismatch)
        XCTAssertEqual(try verify(#""iss":["https://issuer.example.com"]"#), .issuerMismatch)
        XCTAssertNil(try verify(#""iss":"a\"b""#, issuer: #"a"b"#))
        XCTAssertNil(try verify(#""iss":"é""#, issuer: "\u{E9}"))
        XCTAssertEqual(try verify(#""iss":"é""#, issuer: "e\u{301}"), .issuerMismatch, "bytes, not canonical equivalence")

        let iss = #""iss":"https://issuer.example.com","#
        XCTAssertNil(try verify(iss + #""sub":"user-1""#, subject: "user-1"))
        XCTAssertNil(try verify(iss + #""sub":"user\u002d1""#, subject: "user-1"))
        XCTAssertEqual(try verify(iss + #""sub":"user-2""#, subject: "user-1"), .subjectMismatch)
        XCTAssertEqual(try verify(iss + #""sub":1"#, subject: "1"), .subjectMismatch)
        XCTAssertEqual(try verify(iss + #""sub":null"#, subject: "null"), .subjectMismatch)
        XCTAssertEqual(try verify(String(iss.dropLast()), subject: "user-1"), .subjectMismatch, "absent")
    }

    func testAudienceStringsAndArraysMixedAndEscaped() throws {
        let iss = #""iss":"https://issuer.example.com","#
        let audiences = ["api", #"a"b"#, "x y"]
        let named = [
            #""aud":"api""#, #""aud":"\u0061pi""#, #""aud":["other","api"]"#, #""aud":[ "other" , "api" ]"#,
            #""aud":["other",{"aud":"nope"},"api"]"#, #""aud":[1,null,true,"api"]"#, #""aud":["a\"b"]"#,
            #""aud":["\u0061pi"]"#, #""aud":"x y""#, #""aud":[["x"],"x y"]"#, "\"aud\":[\n\"api\"\t]",
        ]
        for aud in named { XCTAssertNil(try verify(iss + aud, audiences: audiences), aud) }
        let notNamed = [
            #""aud":"ap""#, #""aud":"apii""#, #""aud":"API""#, #""aud":[]"#, #""aud":["other"]"#, #""aud":[["api"]]"#,
            #""aud":{"api":"api"}"#, #""aud":[{"x":"api"}]"#, #""aud":["a\\","b"]"#, #""aud":null"#,
            #""aud":1"#, #""aud":"x""#, #""aud":"y""#, #""aud":["x","y"]"#, #""aud":"api ""#, #""aud":"\"api\"""#,
        ]
        for aud in notNamed { XCTAssertEqual(try verify(iss + aud, audiences: audiences), .audienceMismatch, aud) }
        XCTAssertEqual(try verify(String(iss.dropLast()), audiences: audiences), .audienceMismatch, "absent")
        XCTAssertNil(try verify(iss + #""aud":1"#), "no audiences configured: aud is not read")
    }

    /// In place or built, `aud` gets the same answer: every corpus entry both ways.
    func testAudienceInPlaceAgreesWithTheBuiltValue() throws {
        let audiences = ["api", "b"]
        let texts = [#""api""#, #"["b"]"#, #"[]"#, #"["a","api"]"#, #"["ap","i"]"#, #"[ "b" ]"#, #""""#, #"[""]"#, #"["", "b"]"#]
        for text in texts {
            let token = try Self.token(payload: Array(#"{"aud":\#(text)}"#.utf8)).get()
            let inPlace = token.withClaimText(at: 0) { IdentityClaims.names(audiences, inPlace: $0) }
            let built: Bool
            switch token.claim("aud") {
            case .string(let value, _)?: built = audiences.contains(value)
            case .array(let elements, _)?: built = elements.contains { $0.stringValue.map(audiences.contains) ?? false }
            default: built = false
            }
            XCTAssertEqual(inPlace, built, text)
        }
    }
}
