#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The protected header of a JWS, as far as this verifier reads it.
public struct JWSHeader: Sendable {
    /// The algorithm, when it is one this module supports.
    public let alg: JWSAlgorithm?
    /// The `alg` text exactly as sent.
    public let algName: String
    /// The key id, if any.
    public let kid: String?
    /// The media type, if any.
    public let typ: String?
}

/// A compact JWS split, decoded and parsed, but not yet trusted.
///
/// Produced by ``parse(_:maxBytes:)``, which runs the structural stages in order:
/// size → segments and base64url → header JSON → payload JSON → `alg` → `crit`/`b64`.
///
/// The payload is validated whole (strict JSON, duplicate names rejected at every depth),
/// but only its member names are kept: a claim's value is read in place from the decoded
/// bytes, or built into a ``JSONValue`` when it is asked for (`claim(_:)`). A
/// decision reads a few claims; building and freeing every string and array of a claim
/// set cost more than the rest of the parse.
///
/// The parts live in one immutable object, so a copy of a token (into a cache, a decision
/// context, a decision) is one reference count, not one per part.
public struct JWSToken: Sendable {
    private let parts: Parts

    /// The protected header.
    public var header: JWSHeader { parts.header }
    /// The whole protected header, built (spans are offsets in the decoded header). The
    /// verifier reads only ``header``, whose members are read in place at parse time.
    public var headerJSON: JSONValue {
        let range = parts.headerRange
        return parts.decoded.withUnsafeBufferPointer { Self.buildDocument(UnsafeBufferPointer(rebasing: $0[range])) }
    }
    /// The claims, built whole (spans are offsets in the decoded payload). A decision never
    /// asks for this: it reads the claims it needs with `claim(_:)`.
    public var payload: JSONValue { withPayload(Self.buildDocument) }

    /// A document the parse validated, built whole.
    private static func buildDocument(_ buffer: UnsafeBufferPointer<UInt8>) -> JSONValue {
        var parser = JSONParser(bytes: buffer, maxDepth: jsonLimits.maxDepth)
        do throws(JSONParseError) {
            return try parser.parseDocument()
        } catch {
            preconditionFailure("a validated document failed to parse again: \(error)")
        }
    }
    /// The unverified `iss`, when it is a string.
    public var issuer: String? {
        registered.iss >= 0 ? claimValue(at: registered.iss).stringValue : nil
    }
    /// The number of top-level claims.
    public var claimCount: Int { parts.claims.count }
    /// Where `iss`, `exp`, `nbf`, `iat`, `sub` and `aud` are among the payload's members,
    /// found once at parse time (a token the cache holds is checked again on every hit).
    var registered: RegisteredClaims { parts.registered }

    /// The compact serialization as received.
    public var compact: String { String(parts.compact) }
    /// Whether the token's text is the whole of the string it slices (so holding the token
    /// holds nothing else).
    var ownsItsText: Bool {
        let text = parts.compact
        return text.startIndex == text.base.startIndex && text.endIndex == text.base.endIndex
    }
    /// The length of `compact` in bytes.
    public var compactLength: Int { parts.compact.utf8.count }

    /// This token holding its own copy of its text. A token parsed from a slice of a longer
    /// text (a request header, a cookie) keeps that slice, so the whole text stays alive
    /// while the token does: what outlives the request (the verified-token cache) keeps
    /// a detached token.
    public func detached() -> JWSToken {
        if ownsItsText { return self }
        let text = parts.compact, old = parts
        return JWSToken(header: old.header, claims: old.claims, compact: String(text)[...], signingInputLength: old.signingInputLength,
                        decoded: old.decoded, headerRange: old.headerRange, payloadRange: old.payloadRange, signatureRange: old.signatureRange)
    }
    /// Length of `header.payload` in `compact`.
    var signingInputLength: Int { parts.signingInputLength }
    /// The three decoded segments back to back, in one allocation.
    var decoded: [UInt8] { parts.decoded }
    var signatureRange: Range<Int> { parts.signatureRange }

    private final class Parts: Sendable {
        let header: JWSHeader
        /// The payload's members in source order, names read and values not built: each
        /// value is `.null(span:)` of where the value is in the decoded payload.
        let claims: [JSONMember]
        let registered: RegisteredClaims
        /// The token's text: a slice of what it was parsed from (see ``detached()``).
        let compact: Substring
        let signingInputLength: Int
        let decoded: [UInt8]
        let headerRange: Range<Int>
        let payloadRange: Range<Int>
        let signatureRange: Range<Int>

        init(header: JWSHeader, claims: [JSONMember], compact: Substring, signingInputLength: Int, decoded: [UInt8],
             headerRange: Range<Int>, payloadRange: Range<Int>, signatureRange: Range<Int>) {
            self.header = header
            self.claims = claims
            registered = RegisteredClaims(claims)
            self.compact = compact
            self.signingInputLength = signingInputLength
            self.decoded = decoded
            self.headerRange = headerRange
            self.payloadRange = payloadRange
            self.signatureRange = signatureRange
        }
    }

    private init(header: JWSHeader, claims: [JSONMember], compact: Substring, signingInputLength: Int, decoded: [UInt8],
                 headerRange: Range<Int>, payloadRange: Range<Int>, signatureRange: Range<Int>) {
        parts = Parts(header: header, claims: claims, compact: compact, signingInputLength: signingInputLength,
                      decoded: decoded, headerRange: headerRange, payloadRange: payloadRange, signatureRange: signatureRange)
    }

    /// JSON bounds for headers and claim sets.
    public static let jsonLimits = JSONLimits(maxDepth: 16, maxBytes: 1 << 20)

    /// The decoded signature bytes.
    public var signature: [UInt8] { Array(decoded[signatureRange]) }

    /// The JWS signing input, `BASE64URL(header) '.' BASE64URL(payload)`.
    public var signingInput: [UInt8] { Array(parts.compact.utf8.prefix(signingInputLength)) }

    // MARK: Claims

    /// The claim at `path` (object member names from the top), if present.
    public func claim(_ path: [String]) -> JSONValue? {
        claim(path.map(JSONMemberName.init))
    }

    /// The claim at `path`, with the names' keys made beforehand (see ``JSONMemberName``).
    public func claim(_ path: [JSONMemberName]) -> JSONValue? {
        guard let first = path.first, let index = claimIndex(first) else { return nil }
        var current = claimValue(at: index)
        for name in path.dropFirst() {
            guard let next = current[member: name] else { return nil }
            current = next
        }
        return current
    }

    /// The top-level claim `name`, if present.
    public func claim(_ name: String) -> JSONValue? {
        claimIndex(JSONMemberName(name)).map(claimValue(at:))
    }

    /// Whether the top-level string claim `path[0]` satisfies `test`, given its text, when
    /// `path` has one name and the claim is a string written without escapes (so its bytes
    /// between the quotes are its value): nil otherwise (absent, another type, escaped, a
    /// deeper path), and the caller reads the claim with `claim(_:)`. The bytes are valid
    /// UTF-8 and must not escape `test`. (Not generic: a generic across the module boundary
    /// would run unspecialised, at several times the cost, on every decision.)
    public func testPlainStringClaim(_ path: [JSONMemberName], _ test: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool? {
        guard path.count == 1, let index = claimIndex(path[0]) else { return nil }
        return withPlainString(at: index, test)
    }

    /// The top-level string claim `path[0]` when it is written without escapes (see
    /// ``testPlainStringClaim(_:_:)``), else nil.
    public func plainStringClaim(_ path: [JSONMemberName]) -> String? {
        guard path.count == 1, let index = claimIndex(path[0]) else { return nil }
        return withPlainString(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether the token has an `iss` claim that is a string equal to `issuer`, byte for
    /// byte; compared in place.
    public func hasIssuer(_ issuer: String) -> Bool {
        registered.iss >= 0 && stringClaim(at: registered.iss, equals: issuer)
    }

    /// Where the top-level claim `name` is among the payload's members.
    func claimIndex(_ name: JSONMemberName) -> Int? {
        withPayload { JSONParser.index(of: name, in: parts.claims, text: $0) }
    }

    /// The value of the member at `index`, built.
    func claimValue(at index: Int) -> JSONValue {
        let span = parts.claims[index].value.span
        return withPayload { JSONParser.buildValue(at: span, in: $0, maxDepth: Self.jsonLimits.maxDepth) }
    }

    /// Runs `body` with the JSON text of the value of the member at `index`.
    func withClaimText<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let span = parts.claims[index].value.span
        return withPayload { body(UnsafeBufferPointer(rebasing: $0[span])) }
    }

    /// Runs `body` with the bytes between the quotes when the member at `index` is a string
    /// written without escapes; nil otherwise.
    func withPlainString<R>(at index: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        withClaimText(at: index) { text in Self.plainStringContent(text).map(body) }
    }

    /// Whether the member at `index` is a string equal to `expected`, byte for byte.
    func stringClaim(at index: Int, equals expected: String) -> Bool {
        if let equal = withPlainString(at: index, { UTF8Bytes.equal($0, expected) }) { return equal }
        guard case .string(let text, _) = claimValue(at: index) else { return false }
        return UTF8Bytes.equal(text, expected)
    }

    /// The member at `index` as a NumericDate, read in place: a finite number, else nil
    /// (another type, or a number such as `1e400`). The same value ``JSONNumber/double``
    /// would hold.
    func finiteNumber(at index: Int) -> Double? {
        withClaimText(at: index) { text in
            guard let first = text.first, first == UInt8(ascii: "-") || first &- UInt8(ascii: "0") < 10 else { return nil }
            if let value = JSONNumber.smallInteger(text) { return value }
            guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
            return value
        }
    }

    /// The bytes between the quotes when `text`, a validated JSON value, is a string
    /// written without escapes (so those bytes are its value); nil otherwise.
    static func plainStringContent(_ text: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        guard text.count >= 2, text[0] == UInt8(ascii: "\"") else { return nil }
        let content = UnsafeBufferPointer(rebasing: text[1..<(text.count - 1)])
        return isPlain(content) ? content : nil
    }

    /// No backslash: a validated string's bytes are then its value.
    static func isPlain(_ content: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = content.baseAddress, !content.isEmpty else { return true }
        return memchr(base, 0x5C, content.count) == nil
    }

    private func withPayload<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let range = parts.payloadRange
        return parts.decoded.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
    }

    // MARK: Parsing

    /// Splits, decodes and parses a compact JWS without verifying anything cryptographic.
    public static func parse(_ token: String, maxBytes: Int = TokenPolicy.defaultMaxTokenBytes) -> Result<JWSToken, VerificationFailure> {
        parse(slice: token[...], maxBytes: maxBytes)
    }

    /// Splits, decodes and parses a compact JWS that is a slice of a header, parameter or
    /// cookie (the decision path), read in place: the token keeps the slice (see
    /// ``detached()``), so the text is neither copied nor revalidated.
    public static func parse(_ token: Substring, maxBytes: Int = TokenPolicy.defaultMaxTokenBytes) -> Result<JWSToken, VerificationFailure> {
        parse(slice: token, maxBytes: maxBytes)
    }

    /// Splits, decodes and parses a compact JWS given as a substring or other string view.
    public static func parse(_ token: some StringProtocol, maxBytes: Int = TokenPolicy.defaultMaxTokenBytes) -> Result<JWSToken, VerificationFailure> {
        let size = token.utf8.count
        if size > maxBytes { return .failure(VerificationFailure(.tooLarge(size: size, limit: maxBytes))) }
        return parse(slice: String(decoding: token.utf8, as: UTF8.self)[...], maxBytes: maxBytes)
    }

    private static func parse(slice token: Substring, maxBytes: Int) -> Result<JWSToken, VerificationFailure> {
        let size = token.utf8.count
        if size > maxBytes { return .failure(VerificationFailure(.tooLarge(size: size, limit: maxBytes))) }
        return UTF8Bytes.withBytes(token) { parse(bytes: $0, source: token) }
    }

    /// Parses a compact JWS given as UTF-8 bytes.
    public static func parse(utf8 bytes: [UInt8], maxBytes: Int = TokenPolicy.defaultMaxTokenBytes) -> Result<JWSToken, VerificationFailure> {
        if bytes.count > maxBytes { return .failure(VerificationFailure(.tooLarge(size: bytes.count, limit: maxBytes))) }
        return bytes.withUnsafeBufferPointer { parse(bytes: $0, source: nil) }
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>, source: Substring?) -> Result<JWSToken, VerificationFailure> {
        let (dots, firstDot, secondDot) = countDots(bytes)
        if dots == 4 { return .failure(VerificationFailure.malformed(.jwe)) }
        if dots != 2 { return .failure(VerificationFailure.malformed(.segmentCount(dots + 1))) }

        // All three segments decode into one allocation, back to back.
        let headerText = UnsafeBufferPointer(rebasing: bytes[0..<firstDot])
        let payloadText = UnsafeBufferPointer(rebasing: bytes[(firstDot + 1)..<secondDot])
        let signatureText = UnsafeBufferPointer(rebasing: bytes[(secondDot + 1)...])
        let capacity = Base64URL.decodedLength(headerText.count) + Base64URL.decodedLength(payloadText.count)
            + Base64URL.decodedLength(signatureText.count)
        var failure: VerificationFailure?
        var headerRange = 0..<0
        var payloadRange = 0..<0
        var signatureRange = 0..<0
        let decoded = [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            count = 0
            let base = out.baseAddress!
            func decodeSegment(_ segment: VerificationFailure.Segment, _ text: UnsafeBufferPointer<UInt8>, _ range: inout Range<Int>) -> Bool {
                switch Base64URL.decode(text, into: base + count) {
                case .failure(let error):
                    failure = .malformed(.base64url(segment, error))
                    return false
                case .success(let written):
                    range = count..<(count + written)
                    count += written
                    return true
                }
            }
            guard decodeSegment(.header, headerText, &headerRange),
                  decodeSegment(.payload, payloadText, &payloadRange),
                  decodeSegment(.signature, signatureText, &signatureRange)
            else {
                count = 0
                return
            }
        }
        if let failure { return .failure(failure) }

        // Both documents are validated whole and kept as member names and spans; the
        // header's few parameters are built here, the claims when asked for.
        let parsed = decoded.withUnsafeBufferPointer { buffer -> Result<(JWSHeader, [JSONMember]), VerificationFailure> in
            let claims: [JSONMember]?
            var parser = JSONParser(bytes: UnsafeBufferPointer(start: nil, count: 0), maxDepth: jsonLimits.maxDepth)
            // One member stack for both documents: the header's members are read on it,
            // then its storage holds the payload's, which the claims take.
            parser.memberStack.reserveCapacity(16)
            let headerBytes = UnsafeBufferPointer(rebasing: buffer[headerRange])
            let headerIsObject: Bool
            do throws(JSONParseError) {
                headerIsObject = try parser.parseShallowDocumentOnStack(headerBytes)
            } catch {
                return .failure(.malformed(.json(.header, error)))
            }
            guard headerIsObject else { return .failure(.malformed(.notAnObject(.header))) }
            // Read now, reported after the payload's JSON (the order of the stages).
            let header = readHeader(parser.memberStack, in: headerBytes)
            do throws(JSONParseError) {
                claims = try parser.parseShallowDocument(UnsafeBufferPointer(rebasing: buffer[payloadRange]))
            } catch {
                return .failure(.malformed(.json(.payload, error)))
            }
            guard let claims else { return .failure(VerificationFailure.malformed(.notAnObject(VerificationFailure.Segment.payload))) }
            return header.map { ($0, claims) }
        }
        let jwsHeader: JWSHeader
        let claims: [JSONMember]
        switch parsed {
        case .failure(let failure): return .failure(failure)
        case .success(let values): (jwsHeader, claims) = values
        }
        let compact = source ?? String(decoding: bytes, as: UTF8.self)[...]
        return .success(JWSToken(
            header: jwsHeader, claims: claims, compact: compact, signingInputLength: secondDot, decoded: decoded,
            headerRange: headerRange, payloadRange: payloadRange, signatureRange: signatureRange))
    }

    /// The number of dots and the offsets of the first two (-1 when absent): `memchr`
    /// (vectorised by the C library) finds the first three, and only a token with a
    /// third dot, which is refused anyway, is counted to the end.
    static func countDots(_ bytes: UnsafeBufferPointer<UInt8>) -> (count: Int, first: Int, second: Int) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return (0, -1, -1) }
        let end = base + bytes.count
        func next(after start: UnsafePointer<UInt8>) -> UnsafePointer<UInt8>? {
            guard start < end, let found = memchr(start, 0x2E, end - start) else { return nil }
            return UnsafePointer(found.assumingMemoryBound(to: UInt8.self))
        }
        guard let first = next(after: base) else { return (0, -1, -1) }
        guard let second = next(after: first + 1) else { return (1, first - base, -1) }
        guard let third = next(after: second + 1) else { return (2, first - base, second - base) }
        var dots = 3
        var cursor = third + 1
        while cursor < end {
            if cursor.pointee == 0x2E { dots += 1 }
            cursor += 1
        }
        return (dots, first - base, second - base)
    }

    /// `alg` present and not `none`, then `crit` and `b64`, then the types of `kid` and `typ`.
    /// `members` are the header's, from ``JSONParser/parseShallowDocument(_:)`` of `bytes`;
    /// a parameter's value is read in place when it is a string without escapes, else built.
    private static func readHeader(_ members: [JSONMember], in bytes: UnsafeBufferPointer<UInt8>) -> Result<JWSHeader, VerificationFailure> {
        func value(at index: Int) -> JSONValue {
            JSONParser.buildValue(at: members[index].value.span, in: bytes, maxDepth: jsonLimits.maxDepth)
        }
        /// Absent: nil; present: its text, or nil inside when it is not a string.
        func string(_ name: JSONMemberName) -> String?? {
            guard let index = JSONParser.index(of: name, in: members, text: bytes) else { return nil }
            let text = UnsafeBufferPointer(rebasing: bytes[members[index].value.span])
            if let content = plainStringContent(text) {
                return .some(WellKnownStrings.match(content) ?? String(decoding: content, as: UTF8.self))
            }
            return .some(value(at: index).stringValue)
        }
        guard let alg = string(.alg) else { return .failure(VerificationFailure.malformed(.missingAlgorithm)) }
        guard let algName = alg else { return .failure(VerificationFailure.malformed(.headerMemberType("alg"))) }
        if JWSAlgorithm.isNone(algName) { return .failure(VerificationFailure(.algorithmNone(algName))) }
        if JSONParser.index(of: .crit, in: members, text: bytes) != nil { return .failure(VerificationFailure.malformed(.critical)) }
        if let index = JSONParser.index(of: .b64, in: members, text: bytes) {
            guard let flag = value(at: index).boolValue else { return .failure(VerificationFailure.malformed(.headerMemberType("b64"))) }
            if !flag { return .failure(VerificationFailure.malformed(.unencodedPayload)) }
        }
        var kid: String?
        if let value = string(.kid) {
            guard let text = value else { return .failure(VerificationFailure.malformed(.headerMemberType("kid"))) }
            kid = text
        }
        var typ: String?
        if let value = string(.typ) {
            guard let text = value else { return .failure(VerificationFailure.malformed(.headerMemberType("typ"))) }
            typ = text
        }
        return .success(JWSHeader(alg: JWSAlgorithm(rawValue: algName), algName: algName, kid: kid, typ: typ))
    }

    /// Runs `body` with the signing input and the signature, without copying either.
    func withSignatureParts<R>(_ body: (_ input: UnsafeBufferPointer<UInt8>, _ signature: UnsafeBufferPointer<UInt8>) -> R) -> R {
        decoded.withUnsafeBufferPointer { decodedBuffer in
            let signature = UnsafeBufferPointer(rebasing: decodedBuffer[signatureRange])
            return UTF8Bytes.withBytes(parts.compact) { body(UnsafeBufferPointer(rebasing: $0[0..<signingInputLength]), signature) }
        }
    }
}
