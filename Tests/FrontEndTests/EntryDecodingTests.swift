import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// Every key of an authentication entry reaches the AST; omitted keys take their defaults.
final class EntryDecodingTests: XCTestCase {
    func testDefaults() throws {
        let entry = try XCTUnwrap(decodeEntry(entryYAML(authorization: "authorization:\n  mode: whitelist\n  rules:\n    - {}\n")))
        XCTAssertEqual(entry.version.value, 1)
        XCTAssertEqual(entry.enabled.value, true)
        XCTAssertNil(entry.enabled.span)
        XCTAssertNil(entry.subject)
        XCTAssertEqual(entry.audiences.count, 0)
        XCTAssertNil(entry.algorithms)
        XCTAssertEqual(entry.clockSkew.value, 60)
        XCTAssertEqual(entry.requireExpiration.value, true)
        XCTAssertNil(entry.maxLifetime)
        XCTAssertEqual(entry.tokenLocations.count, 1)
        XCTAssertEqual(entry.tokenLocations.first?.source, .header)
        XCTAssertEqual(entry.tokenLocations.first?.name, "Authorization")
        XCTAssertEqual(entry.tokenLocations.first?.prefix, "Bearer ")
        XCTAssertEqual(entry.tokenLocations.first?.passthrough, false)
        XCTAssertTrue(entry.claims.isEmpty)
        XCTAssertTrue(entry.forwardClaims.isEmpty)
        XCTAssertEqual(entry.authorization.mode.value, .whitelist)
        let rule = try XCTUnwrap(entry.authorization.rules.first)
        XCTAssertEqual(rule.domain.value, .any)
        XCTAssertEqual(rule.path.value, .any)
        XCTAssertEqual(rule.ignoreCase.value, false, "whitelist rules compare paths exactly")
    }

    func testIgnoreCaseDefaultsToTrueInBlacklistMode() {
        let entry = decodeEntry(entryYAML(authorization: "authorization: { mode: blacklist, rules: [{ path: /admin/** }, { path: /x, ignoreCase: false }] }\n"))
        XCTAssertEqual(entry?.authorization.rules.map(\.ignoreCase.value), [true, false])
    }

    func testEveryKeyIsDecoded() throws {
        let source = MarkedSource("""
            version: ⟨1⟩
            name: ⟨partner-api⟩
            enabled: ⟨false⟩
            type: jwt
            issuer: ⟨https://auth.example.com⟩
            subject: ⟨partner-service⟩
            audiences: [⟨ai-gateway⟩, ⟨tools⟩]
            algorithms: [⟨RS256⟩, EdDSA]
            clockSkew: ⟨30s⟩
            requireExpiration: ⟨false⟩
            maxLifetime: ⟨24h⟩
            jwks:
              keys: []
            token:
              from: query
              name: access_token
            claims:
              scope: { contains: chat:write }
            forwardClaims:
              sub: ⟨X-Partner-Id⟩
            authorization:
              mode: ⟨blacklist⟩
              rules:
                - { domain: ⟨API.Example.com⟩, path: ⟨/v1/*/items/**⟩, ignoreCase: ⟨false⟩ }

            """)
        let (set, diagnostics) = decode(source)
        XCTAssertNoDiagnostics(diagnostics)
        let entry = try XCTUnwrap(set.entries.first)
        XCTAssertEqual(entry.version.value, 1)
        XCTAssertSpan(entry.version.span, source[0])
        XCTAssertEqual(entry.name.value, "partner-api")
        XCTAssertSpan(entry.name.span, source[1])
        XCTAssertEqual(entry.enabled.value, false)
        XCTAssertSpan(entry.enabled.span, source[2])
        XCTAssertEqual(entry.issuer.value, "https://auth.example.com")
        XCTAssertSpan(entry.issuer.span, source[3])
        XCTAssertEqual(entry.subject?.value, "partner-service")
        XCTAssertSpan(entry.subject?.span, source[4])
        XCTAssertEqual(entry.audiences.map(\.value), ["ai-gateway", "tools"])
        XCTAssertSpan(entry.audiences[0].span, source[5])
        XCTAssertSpan(entry.audiences[1].span, source[6])
        XCTAssertEqual(entry.algorithms?.map(\.value), ["RS256", "EdDSA"])
        XCTAssertSpan(entry.algorithms?.first?.span, source[7])
        XCTAssertEqual(entry.clockSkew.value, 30)
        XCTAssertSpan(entry.clockSkew.span, source[8])
        XCTAssertEqual(entry.requireExpiration.value, false)
        XCTAssertSpan(entry.requireExpiration.span, source[9])
        XCTAssertEqual(entry.maxLifetime?.value, 86_400)
        XCTAssertSpan(entry.maxLifetime?.span, source[10])
        guard case .mapping(let keys) = entry.jwks else { return XCTFail("jwks is \(String(describing: entry.jwks))") }
        XCTAssertEqual(keys.mapping?.first?.keyText, "keys")
        XCTAssertEqual(entry.tokenLocations.map(\.source), [.query])
        XCTAssertEqual(entry.tokenLocations.map(\.name), ["access_token"])
        XCTAssertEqual(entry.tokenLocations.map(\.prefix), [""])
        XCTAssertEqual(entry.claims.map(\.path.value), [["scope"]])
        XCTAssertEqual(entry.claims.first?.requirements.map { describe($0.kind) }, ["contains \"chat:write\""])
        XCTAssertEqual(entry.forwardClaims.map(\.claim.value), [["sub"]])
        XCTAssertEqual(entry.forwardClaims.map(\.header.value), ["x-partner-id"], "header names are lowercased")
        XCTAssertSpan(entry.forwardClaims.first?.header.span, source[11])
        XCTAssertEqual(entry.authorization.mode.value, .blacklist)
        XCTAssertSpan(entry.authorization.mode.span, source[12])
        let rule = try XCTUnwrap(entry.authorization.rules.first)
        XCTAssertEqual(rule.domain.value, .exact("api.example.com"))
        XCTAssertSpan(rule.domain.span, source[13])
        XCTAssertEqual(rule.path.value, PathPattern(segments: [.literal("v1"), .anySegment, .literal("items")], matchesSubtree: true))
        XCTAssertSpan(rule.path.span, source[14])
        XCTAssertEqual(rule.ignoreCase.value, false)
        XCTAssertSpan(rule.ignoreCase.span, source[15])
        XCTAssertEqual(entry.span.file, source.file)
    }

    func testJWKSAsAJSONString() throws {
        let source = MarkedSource(entryYAML().replacingOccurrences(of: "jwks: {keys: []}", with: "jwks: ⟨|\n  {\"keys\": []}⟩"))
        let entry = try XCTUnwrap(decodeEntry(String(decoding: source.file.bytes, as: UTF8.self)))
        guard case .jsonText(let node) = entry.jwks else { return XCTFail("jwks is \(String(describing: entry.jwks))") }
        XCTAssertEqual(node.scalar?.value, "{\"keys\": []}\n")
        let quoted = try XCTUnwrap(decodeEntry(entryYAML().replacingOccurrences(of: "jwks: {keys: []}", with: "jwks: '{\"keys\": []}'")))
        guard case .jsonText = quoted.jwks else { return XCTFail("jwks is \(String(describing: quoted.jwks))") }
    }

    func testSeveralDocumentsAreSeveralEntriesAndEmptyDocumentsAreIgnored() {
        let yaml = "---\n# nothing here\n---\n" + entryYAML(name: "first") + "---\n---\n" + entryYAML(name: "second") + "...\n"
        let (set, diagnostics) = decode(MarkedSource(yaml))
        XCTAssertNoDiagnostics(diagnostics)
        XCTAssertEqual(set.entries.map(\.name.value), ["first", "second"])
    }

    func testEntriesKeepFileOrderThenDocumentOrder() {
        let a = MarkedSource(entryYAML(name: "a1") + "---\n" + entryYAML(name: "a2"), path: "a.yaml")
        let b = MarkedSource(entryYAML(name: "b1"), path: "b.yaml")
        let (set, diagnostics) = decode(a, b)
        XCTAssertNoDiagnostics(diagnostics)
        XCTAssertEqual(set.entries.map(\.name.value), ["a1", "a2", "b1"])
        XCTAssertEqual(set.files.map(\.path), ["a.yaml", "b.yaml"])
    }

    func testAnEmptyFileHasNoEntries() {
        let (set, diagnostics) = decode(MarkedSource(""), MarkedSource("# comments only\n"))
        XCTAssertNoDiagnostics(diagnostics)
        XCTAssertTrue(set.entries.isEmpty)
    }
}
