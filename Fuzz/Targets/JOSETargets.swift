import Foundation
import JOSE

/// JWS: the bytes are a compact token. `JWSToken.parse`, then verification under the
/// interop key set (Tests/JOSETests/Fixtures/interop.json: HS256/384/512, RS256/384/512,
/// PS256/384/512, ES256/384/512, EdDSA with Ed25519 and Ed448) and its policy, at the
/// fixture's clock. A token that verifies must name a supported algorithm, and parsing
/// and verifying must agree on the header.
enum JWSTarget {
    struct Fixture: Sendable {
        let verifier: JWTVerifier
        let now: Double
    }

    static let fixture: Fixture = {
        let path = FuzzTarget.repositoryRoot + "/Tests/JOSETests/Fixtures/interop.json"
        guard let data = FileManager.default.contents(atPath: path),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let jwks = object["jwks"], let issuer = object["issuer"] as? String,
              let now = (object["now"] as? NSNumber)?.doubleValue,
              let jwksData = try? JSONSerialization.data(withJSONObject: jwks)
        else { fatalError("cannot read \(path)") }
        let result = JWKSValidation.validate(json: Array(jwksData))
        guard result.issues.isEmpty, let keys = try? KeySet(jwks: result.keys) else { fatalError("the interop JWKS does not load") }
        let policy = TokenPolicy(issuer: issuer, subject: "user-42", audiences: ["api.example.com"], maxLifetime: 3600)
        return Fixture(verifier: JWTVerifier(keys: keys, policy: policy), now: now)
    }()

    static func run(_ bytes: [UInt8]) -> String? {
        let fixture = self.fixture
        let parsed = JWSToken.parse(utf8: bytes)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            if case .success = parsed { return "a token that is not UTF-8 parsed" }
            return nil
        }
        let result = fixture.verifier.verify(compact: text, now: fixture.now)
        switch (parsed, result) {
        case (.success(let token), .valid(let verified)):
            guard let alg = verified.header.alg else { return "verified without a known algorithm" }
            if alg.rawValue != token.header.algName { return "parse and verify disagree on alg" }
        case (.failure, .valid):
            return "parse failed but verification succeeded"
        case (.success(let token), .invalid):
            _ = token.claim("iss")
        case (.failure, .invalid):
            break
        }
        // A verified token also verifies through the already-parsed path.
        if case .success(let token) = parsed, result.isValid != fixture.verifier.verify(token, now: fixture.now).isValid {
            return "verify(compact:) and verify(token) disagree"
        }
        return nil
    }
}

/// JWKS: the bytes are a key set as `gatepass check` validates it (the same validation a
/// JWKS fetched at run time would take); the keys it accepts must load into a `KeySet`.
enum JWKSTarget {
    static func run(_ bytes: [UInt8]) -> String? {
        let result = JWKSValidation.validate(json: bytes)
        for issue in result.issues { _ = issue.message }
        if !result.keys.isEmpty, result.issues.allSatisfy({ $0.severity != .error }) {
            do {
                let keys = try KeySet(jwks: result.keys)
                if keys.keys.count != result.keys.count { return "KeySet dropped keys" }
            } catch {
                return "validated keys do not load: \(error)"
            }
        }
        return nil
    }
}

/// Strict JSON: the bytes through `StrictJSON.parse`; when Foundation's
/// `JSONSerialization` accepts the same bytes, both must give the same values. The strict
/// parser refuses by design what Foundation may accept (duplicate names, nesting past its
/// limit, a byte order mark, lone surrogates), and keeps numbers Foundation cannot
/// represent (`1e400`): those are not compared.
enum JSONTarget {
    static func run(_ bytes: [UInt8]) -> String? {
        if let problem = compareWithTokenPayload(bytes) { return problem }
        let strict: JSONValue
        do {
            strict = try StrictJSON.parse(bytes)
        } catch {
            _ = error.message
            return nil
        }
        if let problem = checkSpans(strict, count: bytes.count) { return problem }
        // Foundation drops a U+FEFF (byte order mark) that starts a string: `{"\u{FEFF}a":1}`
        // reads as `{"a":1}`, where RFC 8259 keeps the character. Not compared.
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        if bytes.count >= 3, (0...(bytes.count - 3)).contains(where: { bytes[$0..<($0 + 3)].elementsEqual(bom) }) { return nil }
        guard let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return nil
        }
        return compare(strict, foundation, at: "$")
    }

    /// The same bytes as a token's payload, which is parsed shallow (names and spans,
    /// values built on demand): the verdict, the error and its offset, the whole payload
    /// and every claim must be what the full parser gives.
    static func compareWithTokenPayload(_ bytes: [UInt8]) -> String? {
        let compact = Array((Base64URL.encode(Array(#"{"alg":"HS256"}"#.utf8)) + "." + Base64URL.encode(bytes) + ".c2ln").utf8)
        let token = JWSToken.parse(utf8: compact, maxBytes: Int.max)
        let full: JSONValue
        do {
            full = try StrictJSON.parse(bytes, limits: JWSToken.jsonLimits)
        } catch {
            if case .failure(let failure) = token, failure.detail == .malformed(.json(.payload, error)) { return nil }
            return "the token's payload and the full parser disagree on an error: \(error) vs \(token)"
        }
        guard let members = full.members else {
            if case .failure(let failure) = token, failure.detail == .malformed(.notAnObject(.payload)) { return nil }
            return "a payload that is not an object: \(token)"
        }
        guard case .success(let parsed) = token else { return "a valid object payload refused: \(token)" }
        if parsed.payload != full { return "the payload built again differs from the full parse" }
        if parsed.claimCount != members.count { return "claim count \(parsed.claimCount) vs \(members.count)" }
        for member in members {
            if parsed.claim(member.name) != member.value { return "claim \(member.name.debugDescription) differs" }
            if let plain = parsed.plainStringClaim([JSONMemberName(member.name)]), plain != member.value.stringValue {
                return "claim \(member.name.debugDescription) read in place differs"
            }
        }
        if let iss = full[member: "iss"]?.stringValue, !parsed.hasIssuer(iss) { return "the issuer compared in place differs" }
        return nil
    }

    static func checkSpans(_ value: JSONValue, count: Int) -> String? {
        let span = value.span
        if span.lowerBound < 0 || span.upperBound > count { return "span \(span) outside the input" }
        for member in value.members ?? [] {
            if member.nameSpan.upperBound > member.value.span.lowerBound { return "member name after its value" }
            if let problem = checkSpans(member.value, count: count) { return problem }
        }
        for element in value.elements ?? [] {
            if let problem = checkSpans(element, count: count) { return problem }
        }
        return nil
    }

    static func compare(_ strict: JSONValue, _ other: Any, at path: String) -> String? {
        switch strict {
        case .null:
            return other is NSNull ? nil : "\(path): null vs \(type(of: other))"
        case .bool(let value, _):
            guard let number = other as? NSNumber, isBoolean(number) else { return "\(path): boolean vs \(type(of: other))" }
            return number.boolValue == value ? nil : "\(path): \(value) vs \(number)"
        case .number(let number, _):
            guard let found = other as? NSNumber, !isBoolean(found) else { return "\(path): number vs \(type(of: other))" }
            guard let value = number.double else { return nil }  // not finite: nothing to compare
            // Foundation keeps integers that fit in 64 bits exactly; the strict parser rounds to Double.
            let converted = found.doubleValue
            if converted == value || !converted.isFinite { return nil }
            // Foundation keeps integers that fit in 64 bits exactly, and larger ones as
            // `Decimal`, whose conversion to Double may be off by an ulp or two: only a
            // real disagreement (sign, exponent, digits) is a finding.
            // The strict parser must give the correctly rounded Double, as the standard
            // library's parser does; Foundation's `Decimal` path can be off by several ulps for
            // long mantissas (found by this target: 151 digits read 1.1030000015349996e+150
            // where the correctly rounded value is 1.1030000015350009e+150).
            if let reference = Double(number.text), reference != value {
                return "\(path): number `\(number.text)` is \(value), not the correctly rounded \(reference)"
            }
            if let exact = Int64(number.text), found.int64Value == exact { return nil }
            if let exact = UInt64(number.text), found.uint64Value == exact { return nil }
            // Past 17 significant digits Foundation's value may be a few ulps off (above);
            // a sign, exponent or digit disagreement is still far outside either bound.
            let digits = number.text.prefix { $0 != "e" && $0 != "E" }.filter(\.isNumber).count
            let tolerance = digits > 17 ? 1e-12 : 1e-15
            if abs(converted - value) <= tolerance * max(abs(converted), abs(value)) { return nil }
            return "\(path): number `\(number.text)` is \(value) but Foundation reads \(converted)"
        case .string(let text, _):
            guard let found = other as? String else { return "\(path): string vs \(type(of: other))" }
            return Array(found.unicodeScalars) == Array(text.unicodeScalars) ? nil : "\(path): string differs"
        case .array(let elements, _):
            guard let found = other as? [Any] else { return "\(path): array vs \(type(of: other))" }
            if found.count != elements.count { return "\(path): \(elements.count) elements vs \(found.count)" }
            for (index, element) in elements.enumerated() {
                if let problem = compare(element, found[index], at: "\(path)[\(index)]") { return problem }
            }
            return nil
        case .object(let members, _):
            guard let found = other as? [String: Any] else { return "\(path): object vs \(type(of: other))" }
            // Swift strings compare by canonical equivalence: names that differ only in
            // normalisation are distinct to the strict parser (RFC 8259 compares code
            // points) but one key to a Swift dictionary. Not comparable.
            if Set(members.map(\.name)).count != members.count { return nil }
            if found.count != members.count { return "\(path): \(members.count) members vs \(found.count)" }
            for member in members {
                guard let value = found[member.name] else { return "\(path): member missing in Foundation's reading" }
                if let problem = compare(member.value, value, at: "\(path).\(member.name)") { return problem }
            }
            return nil
        }
    }

    /// On Linux, `JSONSerialization` gives booleans as NSNumbers of type `c`, and numbers
    /// never with that type.
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}

/// How the strict parser's reading of `bytes` differs from `foundationValue` (nil when
/// they agree or the strict parser refuses): the JSON target's comparison, for its tests.
public func strictJSONDisagreement(_ bytes: [UInt8], foundationValue: Any) -> String? {
    guard let strict = try? StrictJSON.parse(bytes) else { return nil }
    return JSONTarget.compare(strict, foundationValue, at: "$")
}
