import JOSE
import XCTest

/// Strict base64url and strict JSON.
final class EncodingTests: XCTestCase {
    func error(_ text: String) -> Base64URLError? {
        if case .failure(let error) = Base64URL.decode(text) { return error }
        return nil
    }

    func testBase64URLRoundTrip() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + 11) & 0xFF) }
            XCTAssertEqual(try Base64URL.decode(Base64URL.encode(bytes)).get(), bytes)
        }
    }

    /// The decoder (four characters at a time through shifted tables, then one at a time)
    /// against a one-character-at-a-time reference, on random texts mostly of the
    /// alphabet with a few bytes outside it: the same bytes, or the same error at the same
    /// offset, for every length and position.
    func testBase64URLDecoderMatchesAReference() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        func reference(_ text: [UInt8]) -> Result<[UInt8], Base64URLError> {
            var out: [UInt8] = [], accumulator: UInt32 = 0, pending = 0
            for (offset, byte) in text.enumerated() {
                guard let value = alphabet.firstIndex(of: byte) else {
                    let kind: Base64URLError.Kind = byte == UInt8(ascii: "=") ? .padding
                        : byte == 0x20 || byte == 0x09 ? .whitespace : byte == 0x0A || byte == 0x0D ? .lineBreak : .invalidCharacter
                    return .failure(Base64URLError(kind: kind, offset: offset))
                }
                accumulator = accumulator << 6 | UInt32(value)
                pending += 1
                if pending == 4 {
                    out += [UInt8(accumulator >> 16 & 0xFF), UInt8(accumulator >> 8 & 0xFF), UInt8(accumulator & 0xFF)]
                    accumulator = 0
                    pending = 0
                }
            }
            switch pending {
            case 1: return .failure(Base64URLError(kind: .impossibleLength, offset: text.count))
            case 2:
                if accumulator & 0x0F != 0 { return .failure(Base64URLError(kind: .nonCanonical, offset: text.count - 1)) }
                out.append(UInt8(accumulator >> 4 & 0xFF))
            case 3:
                if accumulator & 0x03 != 0 { return .failure(Base64URLError(kind: .nonCanonical, offset: text.count - 1)) }
                out += [UInt8(accumulator >> 10 & 0xFF), UInt8(accumulator >> 2 & 0xFF)]
            default: break
            }
            return .success(out)
        }
        var generator = SystemRandomNumberGenerator()
        let strangers: [UInt8] = [UInt8(ascii: "="), 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: "+"), UInt8(ascii: "/"), 0x00, 0x80, 0xFF, UInt8(ascii: ".")]
        for round in 0..<3000 {
            let length = round % 120
            let text: [UInt8] = (0..<length).map { _ in
                Int.random(in: 0..<200, using: &generator) == 0 ? strangers.randomElement(using: &generator)! : alphabet.randomElement(using: &generator)!
            }
            XCTAssertEqual(Base64URL.decode(text), reference(text), "\(String(decoding: text, as: UTF8.self))")
        }
    }

    func testBase64URLRejections() {
        XCTAssertEqual(error("QQ=="), Base64URLError(kind: .padding, offset: 2))
        XCTAssertEqual(error("QU JD"), Base64URLError(kind: .whitespace, offset: 2))
        XCTAssertEqual(error("QUJD\nREVG"), Base64URLError(kind: .lineBreak, offset: 4))
        XCTAssertEqual(error("QUJD\r\nREVG"), Base64URLError(kind: .lineBreak, offset: 4))
        XCTAssertEqual(error("QU+D"), Base64URLError(kind: .invalidCharacter, offset: 2))
        XCTAssertEqual(error("QR"), Base64URLError(kind: .nonCanonical, offset: 1))
        XCTAssertEqual(error("QUI"), nil)
        XCTAssertEqual(error("QUJ"), Base64URLError(kind: .nonCanonical, offset: 2))
        XCTAssertEqual(error("QUJDR"), Base64URLError(kind: .impossibleLength, offset: 5))
        XCTAssertTrue(error("QUJD\nREVG")!.message.contains("looks line-wrapped"))
    }

    func parseError(_ text: String) -> JSONParseError? {
        do {
            _ = try StrictJSON.parse(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    func testSpansAndMemberOrder() throws {
        let value = try StrictJSON.parse(Array(#" {"b": [1, "x"], "a": {"c": null}} "#.utf8))
        XCTAssertEqual(value.span, 1..<34)
        XCTAssertEqual(value.members?.map(\.name), ["b", "a"])
        XCTAssertEqual(value.members?[0].nameSpan, 2..<5)
        XCTAssertEqual(value[member: "b"]?.elements?[1].span, 11..<14)
        XCTAssertEqual(value[member: "a"]?[member: "c"], .null(span: 28..<32))
    }

    func testNumbersKeepTheirText() throws {
        let value = try StrictJSON.parse(Array(#"[1700000000, -0.5, 1e400, 2.5E+3]"#.utf8))
        let numbers = value.elements!.map { $0.numberValue! }
        XCTAssertEqual(numbers.map(\.text), ["1700000000", "-0.5", "1e400", "2.5E+3"])
        XCTAssertEqual(numbers.map(\.double), [1_700_000_000, -0.5, nil, 2500])
    }

    func testStringsAndEscapes() throws {
        let value = try StrictJSON.parse(Array(#"["a\"b\\\/\n\u00e9\ud83d\ude00", "é"]"#.utf8))
        XCTAssertEqual(value.elements?[0].stringValue, "a\"b\\/\né😀")
        XCTAssertEqual(value.elements?[1].stringValue, "é")
    }

    func testRejections() {
        XCTAssertEqual(parseError(#"{"a":1,"a":2}"#)?.kind, .duplicateMember("a"))
        XCTAssertEqual(parseError(#"{"a":1,"a":2}"#)?.offset, 7)
        XCTAssertEqual(parseError("\"ab\ncd\"")?.kind, .lineBreakInString)
        XCTAssertTrue(parseError("\"ab\ncd\"")!.message.contains("looks line-wrapped"))
        XCTAssertEqual(parseError("[01]")?.kind, .invalidNumber)
        XCTAssertEqual(parseError("[1.]")?.kind, .invalidNumber)
        XCTAssertEqual(parseError("[NaN]")?.kind, .unexpectedByte(UInt8(ascii: "N")))
        XCTAssertEqual(parseError("[Infinity]")?.kind, .unexpectedByte(UInt8(ascii: "I")))
        XCTAssertEqual(parseError("[1,]")?.kind, .unexpectedByte(UInt8(ascii: "]")))
        XCTAssertEqual(parseError("{} x")?.kind, .trailingContent)
        XCTAssertEqual(parseError(#"["\ud800"]"#)?.kind, .loneSurrogate)
        XCTAssertEqual(parseError(#"["\x"]"#)?.kind, .invalidEscape)
        XCTAssertEqual(parseError(String(repeating: "[", count: 40) + String(repeating: "]", count: 40))?.kind, .tooDeep(limit: 32))
        XCTAssertNotNil(parseError("'a'"))
    }

    func testInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xFF, 0x22], [0x22, 0xE2, 0x82, 0x22], [0xEF, 0xBB, 0xBF, 0x31]] {
            XCTAssertThrowsError(try StrictJSON.parse(bytes)) { error in
                XCTAssertEqual((error as? JSONParseError)?.kind, .invalidUTF8, "\(bytes)")
            }
        }
    }

    func testSizeLimit() {
        XCTAssertThrowsError(try StrictJSON.parse(Array("[1]".utf8), limits: JSONLimits(maxDepth: 4, maxBytes: 2)))
    }

    func testManyMembersUseTheHashedDuplicateCheck() {
        let members = (0..<100).map { #""m\#($0)":1"# }.joined(separator: ",")
        XCTAssertNil(parseError("{" + members + "}"))
        XCTAssertEqual(parseError("{" + members + #","m57":2}"#)?.kind, .duplicateMember("m57"))
    }

    /// Member names and `UTF8Bytes.equal` compare bytes, never Unicode canonical
    /// equivalence (RFC 7515 §5.3, RFC 7519 §7.3), though Swift's `==` would.
    func testMemberLookupComparesBytesNotCanonicalEquivalence() throws {
        let precomposed = "\u{E9}"          // é
        let decomposed = "e\u{301}"          // e + combining acute
        let marksOneOrder = "a\u{301}\u{316}", marksOtherOrder = "a\u{316}\u{301}"
        XCTAssertEqual(precomposed, decomposed)
        XCTAssertEqual(marksOneOrder, marksOtherOrder)  // same length in UTF-8, other bytes
        XCTAssertFalse(UTF8Bytes.equal(precomposed, decomposed))
        XCTAssertFalse(UTF8Bytes.equal(marksOneOrder, marksOtherOrder))
        XCTAssertFalse(UTF8Bytes.equal("K", "\u{212A}"))
        XCTAssertTrue(UTF8Bytes.equal(marksOneOrder, "a\u{301}\u{316}"))
        XCTAssertTrue(UTF8Bytes.equal("iss", "iss"))
        XCTAssertTrue(UTF8Bytes.equal(String(repeating: "x", count: 40), String(repeating: "x", count: 40)))
        XCTAssertFalse(UTF8Bytes.equal(String(repeating: "x", count: 40), String(repeating: "x", count: 39) + "y"))

        let object = try StrictJSON.parse(Array(#"{"\#(marksOneOrder)": 1, "kid": 2, "\#(decomposed)": 3}"#.utf8))
        XCTAssertNotNil(object[member: marksOneOrder])
        XCTAssertNil(object[member: marksOtherOrder])
        XCTAssertNotNil(object[member: decomposed])
        XCTAssertNil(object[member: precomposed])
        XCTAssertNil(object[member: "\u{212A}id"])
        XCTAssertNotNil(object.member("kid"))
        XCTAssertNil(object.member("\u{212A}id"))
    }

    /// The duplicate check compares member keys: names that share their first bytes but
    /// differ later are distinct, equal long names are duplicates, and names equal only
    /// under canonical equivalence (which a key of bytes cannot see) are still refused.
    func testDuplicateCheckThroughKeys() throws {
        XCTAssertNil(parseError(#"{"groupsA":1,"groupsB":2,"groups":3,"group":4}"#))
        XCTAssertEqual(parseError(#"{"permissions":1,"permissionz":2,"permissions":3}"#)?.kind, .duplicateMember("permissions"))
        XCTAssertEqual(parseError(#"{"abc":1,"abc":2}"#)?.kind, .duplicateMember("abc"))
        XCTAssertEqual(parseError(#"{"Kid":1,"\#u{212A}id":2}"#)?.kind, .duplicateMember("\u{212A}id"))
        XCTAssertEqual(parseError(#"{"\#u{212A}id":1,"Kid":2}"#)?.kind, .duplicateMember("Kid"))
        XCTAssertEqual(parseError(#"{"\#u{E9}":1,"e\#u{301}":2}"#)?.kind, .duplicateMember("e\u{301}"))
        let long = String(repeating: "y", count: 200)
        XCTAssertEqual(parseError("{\"\(long)\":1,\"\(long)\":2}")?.kind, .duplicateMember(long))
        XCTAssertNil(parseError("{\"\(long)\":1,\"\(long)z\":2}"))
        let object = try StrictJSON.parse(Array(#"{"permissions":1,"permissionz":2,"abc":3}"#.utf8))
        XCTAssertEqual(object[member: "permissionz"]?.numberValue?.double, 2)
        XCTAssertEqual(object[member: JSONMemberName("permissions")]?.numberValue?.double, 1)
        XCTAssertEqual(object[member: JSONMemberName("abc")]?.numberValue?.double, 3)
        XCTAssertNil(object[member: JSONMemberName("permission")])
    }
}
