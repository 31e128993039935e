import BundleFormat
import Compiler
import Diagnostics
import Foundation
import FrontEnd
import TestSupport
import XCTest

/// Remote key sources through the pipeline: lowering without `--fetch-jwks` (only the
/// URL), and with a fake fetcher (no network): the bootstrap set checked as an inline
/// JWKS and located at the URL, discovery's issuer and `jwks_uri` rules, one fetch per
/// URL, and reproducible bytes.
final class RemoteKeyCompilationTests: XCTestCase {
    static let publicKey = #"{"kty":"OKP","crv":"Ed25519","kid":"idp-1","x":"N9U1aWxtwbHgcb1GT8_mRwFFKQ62HQqItV4JhU-E2xQ"}"#
    static let jwks = Array(#"{"keys":[\#(publicKey)]}"#.utf8)
    /// A set whose key carries its private member `d`.
    static let poisoned = Array(#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"5KVoZRh6HkM8KNN7c0ny3GWoZ2BdvxVk2ss8R4Hh-e4","d":"wVh834BVy7btFC26dbvnQILDmE6gPX6dhq-m784kaKo"}]}"#.utf8)

    /// Serves fixed bodies by URL and counts the fetches.
    final class FakeFetcher: RemoteKeyFetching, @unchecked Sendable {
        let bodies: [String: [UInt8]]
        let time: UInt64
        private let lock = NSLock()
        private var counts: [String: Int] = [:]

        init(_ bodies: [String: [UInt8]], time: UInt64 = 1_796_211_381) {
            self.bodies = bodies
            self.time = time
        }

        func fetch(_ url: String) -> Result<[UInt8], RemoteFetchFailure> {
            lock.lock()
            counts[url, default: 0] += 1
            lock.unlock()
            return bodies[url].map { .success($0) } ?? .failure(RemoteFetchFailure("HTTP status 404"))
        }

        func now() -> UInt64 { time }

        func count(_ url: String) -> Int {
            lock.lock()
            defer { lock.unlock() }
            return counts[url] ?? 0
        }
    }

    func entry(_ name: String, _ source: String, issuer: String = "https://idp.example.com") -> String {
        "version: 1\nname: \(name)\nissuer: \(issuer)\n\(source)\nalgorithms: [EdDSA]\nauthorization: {mode: blacklist, rules: [{path: /\(name)/**}]}\n"
    }

    func compile(_ source: MarkedSource, fetcher: FakeFetcher? = nil) -> Pipeline.CompileOutcome {
        Pipeline().compile(files: [source.file], fetcher: fetcher)
    }

    func testWithoutFetchingTheBundleRecordsOnlyTheURL() throws {
        let source = MarkedSource(entry("api", "jwksUri: https://idp.example.com/jwks\njwksRefresh: {default: 5m, cooldown: 1s}")
                                  + "---\n" + entry("disc", "discovery: true", issuer: "https://login.example.com/tenant/"))
        let outcome = compile(source)
        XCTAssertNoDiagnostics(outcome.check.diagnostics.sorted)
        let program = try XCTUnwrap(outcome.program)
        let api = try XCTUnwrap(program.entries.first { $0.name == "api" })
        XCTAssertEqual(api.remoteKeys, RemoteKeys(
            url: "https://idp.example.com/jwks", discovery: false, allowInsecure: false,
            refresh: RemoteKeys.Refresh(defaultInterval: 300, minInterval: 60, maxInterval: 3600, maxStale: 86_400, cooldown: 1)))
        XCTAssertEqual(api.keyIndices, [], "no bootstrap keys")
        XCTAssertEqual(api.algorithms, ["EdDSA"], "the allow-list as written")
        let disc = try XCTUnwrap(program.entries.first { $0.name == "disc" })
        XCTAssertEqual(disc.remoteKeys?.url, "https://login.example.com/tenant/.well-known/openid-configuration")
        XCTAssertEqual(disc.remoteKeys?.discovery, true)
        XCTAssertNil(disc.remoteKeys?.bootstrapFetchedAt)
        XCTAssertTrue(program.keys.isEmpty)
        XCTAssertEqual(try BundleReader().read(try XCTUnwrap(outcome.bundle)), program)
        XCTAssertEqual(compile(source).bundle, outcome.bundle, "reproducible: no time is recorded without fetching")
    }

    func testFetchingEmbedsTheSetAsBootstrapKeysOncePerURL() throws {
        let url = "https://idp.example.com/jwks"
        let source = MarkedSource(entry("a", "jwksUri: \(url)") + "---\n" + entry("b", "jwksUri: \(url)", issuer: "https://other.example.com"))
        let fetcher = FakeFetcher([url: Self.jwks])
        let outcome = compile(source, fetcher: fetcher)
        XCTAssertNoDiagnostics(outcome.check.diagnostics.sorted)
        XCTAssertEqual(fetcher.count(url), 1, "one fetch per URL")
        let program = try XCTUnwrap(outcome.program)
        for entry in program.entries {
            XCTAssertEqual(entry.remoteKeys?.bootstrapFetchedAt, 1_796_211_381)
            XCTAssertEqual(entry.keyIndices.map { program.keys[Int($0)].kid }, ["idp-1"])
        }
        XCTAssertEqual(program.sourceMap[Int(program.keys[0].source)].line, 4, "a bootstrap key's place is its URL")
        XCTAssertEqual(compile(source, fetcher: FakeFetcher([url: Self.jwks])).bundle, outcome.bundle, "the same set at the same time: the same bytes")
        XCTAssertNotEqual(compile(source, fetcher: FakeFetcher([url: Self.jwks], time: 1)).bundle, outcome.bundle)
    }

    func testAPoisonedSetIsRefusedAtTheURL() {
        let source = MarkedSource(entry("api", "jwksUri: ⟨https://idp.example.com/jwks⟩"))
        let outcome = compile(source, fetcher: FakeFetcher(["https://idp.example.com/jwks": Self.poisoned]))
        XCTAssertNil(outcome.bundle)
        XCTAssertDiagnostics(outcome.check.diagnostics.sorted, [
            Expected(.privateKeyLeaked, at: source.span, message: "`https://idp.example.com/jwks`: key 0: contains private key member `d`",
                     hint: "rotated there"),
        ])
    }

    func testEveryInlineCheckAppliesToAFetchedSet() {
        let url = "https://idp.example.com/jwks"
        let cases: [([UInt8], DiagnosticCode, String)] = [
            (Array("{\"keys\": [".utf8), .jwksSyntax, "is not valid JSON"),
            (Array(#"{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}"#.utf8), .keyWeak, "bits"),
            (Array(#"{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"RS256","x":"N9U1aWxtwbHgcb1GT8_mRwFFKQ62HQqItV4JhU-E2xQ"}]}"#.utf8), .keyAlgorithmMismatch, "RS256"),
            (Array(#"{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}"#.utf8), .privateKeyLeaked, "HMAC secret published"),
            (Array(#"{"keys":[]}"#.utf8), .noVerificationKey, "no valid verification key"),
        ]
        for (body, code, words) in cases {
            let source = MarkedSource(entry("api", "jwksUri: ⟨\(url)⟩"))
            let diagnostics = compile(source, fetcher: FakeFetcher([url: body])).check.diagnostics.sorted.filter { $0.severity == .error }
            XCTAssertEqual(diagnostics.map(\.code), [code], String(decoding: body, as: UTF8.self))
            XCTAssertSpan(diagnostics.first?.span, source.span)
            XCTAssertTrue(diagnostics.first?.message.contains(words) == true, diagnostics.first?.message ?? "")
            XCTAssertTrue(diagnostics.first?.message.contains("`\(url)`") == true, "names the URL: \(diagnostics.first?.message ?? "")")
        }
    }

    func testDiscoveryRequiresTheSameIssuerAndASafeJwksURI() throws {
        let configuration = "https://idp.example.com/.well-known/openid-configuration"
        func document(_ issuer: String, _ jwksURI: String) -> [UInt8] {
            Array(#"{"issuer":"\#(issuer)","jwks_uri":"\#(jwksURI)","id_token_signing_alg_values_supported":["EdDSA"]}"#.utf8)
        }
        let good = MarkedSource(entry("api", "discovery: true"))
        let fetcher = FakeFetcher([configuration: document("https://idp.example.com", "https://keys.example.com/jwks"),
                                   "https://keys.example.com/jwks": Self.jwks])
        let outcome = compile(good, fetcher: fetcher)
        XCTAssertNoDiagnostics(outcome.check.diagnostics.sorted)
        XCTAssertEqual(try XCTUnwrap(outcome.program).entries[0].keyIndices.count, 1)
        XCTAssertEqual(outcome.program?.entries[0].remoteKeys?.url, configuration, "the runtime fetches the document, not the jwks_uri")

        let mismatch = MarkedSource(entry("api", "discovery: ⟨true⟩", issuer: "⟨https://idp.example.com⟩"))
        XCTAssertDiagnostics(compile(mismatch, fetcher: FakeFetcher([configuration: document("https://idp.example.com/", "https://keys.example.com/jwks")]))
            .check.diagnostics.sorted, [
                Expected(.remoteKeysUnavailable, at: mismatch[1], message: "is for the issuer `https://idp.example.com/`, not this entry's `https://idp.example.com`",
                         hint: "byte for byte", notes: [mismatch[0]]),
            ])
        let insecure = MarkedSource(entry("api", "discovery: ⟨true⟩"))
        XCTAssertDiagnostics(compile(insecure, fetcher: FakeFetcher([configuration: document("https://idp.example.com", "http://keys.example.com/jwks")]))
            .check.diagnostics.sorted, [
                Expected(.insecureKeyURL, at: insecure.span, message: "the discovery document's `jwks_uri` `http://keys.example.com/jwks` is not https"),
            ])
        for (body, words) in [("[1]", "not a JSON object"), (#"{"issuer":"https://idp.example.com"}"#, "no `jwks_uri`"), ("{", "not valid JSON"),
                              (#"{"jwks_uri":"https://k"}"#, "no `issuer`")] {
            let source = MarkedSource(entry("api", "discovery: ⟨true⟩"))
            XCTAssertDiagnostics(compile(source, fetcher: FakeFetcher([configuration: Array(body.utf8)])).check.diagnostics.sorted, [
                Expected(.remoteKeysUnavailable, at: source.span, message: words),
            ], body)
        }
    }

    func testAFailedFetchIsLocatedAtTheURL() {
        let source = MarkedSource(entry("api", "jwksUri: ⟨https://idp.example.com/jwks⟩"))
        XCTAssertDiagnostics(compile(source, fetcher: FakeFetcher([:])).check.diagnostics.sorted, [
            Expected(.remoteKeysUnavailable, at: source.span, message: "cannot fetch the JWKS `https://idp.example.com/jwks`: HTTP status 404",
                     hint: "without `--fetch-jwks`"),
        ])
    }

    func testDisabledEntriesAreNotFetched() throws {
        let source = MarkedSource(entry("api", "jwksUri: https://idp.example.com/jwks\nenabled: false"))
        let fetcher = FakeFetcher([:])
        XCTAssertNoDiagnostics(compile(source, fetcher: fetcher).check.diagnostics.sorted)
        XCTAssertEqual(fetcher.count("https://idp.example.com/jwks"), 0)
    }

    func testDiffReportsAChangedSourceURLOrRefreshAsAKeysChange() throws {
        func program(_ source: String) throws -> DecisionProgram {
            try XCTUnwrap(compile(MarkedSource(source)).program)
        }
        let inline = try program("version: 1\nname: api\nissuer: https://idp.example.com\njwks: {keys: [\(Self.publicKey)]}\nauthorization: {mode: blacklist, rules: [{path: /api/**}]}\n")
        let old = try program(entry("api", "jwksUri: https://idp.example.com/jwks"))
        let moved = try program(entry("api", "jwksUri: https://evil.example.net/jwks"))
        let refreshed = try program(entry("api", "jwksUri: https://idp.example.com/jwks\njwksRefresh: {maxStale: 1h}"))
        let discovery = try program(entry("api", "discovery: true"))
        func details(_ a: DecisionProgram, _ b: DecisionProgram) -> [String] {
            PolicyDiff.compare(old: a, new: b).changes.filter { $0.changeClass == .keys }.flatMap(\.details)
        }
        XCTAssertEqual(details(old, moved), ["~ key source jwksUri https://idp.example.com/jwks -> jwksUri https://evil.example.net/jwks"])
        XCTAssertEqual(details(old, refreshed), ["~ key refresh default 10m, min 1m, max 1h, max stale 1d, cooldown 30s -> default 10m, min 1m, max 1h, max stale 1h, cooldown 30s"])
        XCTAssertEqual(details(old, discovery), ["~ key source jwksUri https://idp.example.com/jwks -> discovery https://idp.example.com/.well-known/openid-configuration"])
        XCTAssertEqual(details(inline, old).first, "~ key source inline -> jwksUri https://idp.example.com/jwks")
        XCTAssertTrue(details(inline, old).contains { $0.hasPrefix("- key ") }, "the inline key is gone")
        XCTAssertEqual(PolicyDiff.compare(old: old, new: old).changes, [])
        // Fetching again later is not a change; new bootstrap keys are.
        let url = "https://idp.example.com/jwks"
        let source = MarkedSource(entry("api", "jwksUri: \(url)"))
        let first = try XCTUnwrap(compile(source, fetcher: FakeFetcher([url: Self.jwks], time: 1)).program)
        let later = try XCTUnwrap(compile(source, fetcher: FakeFetcher([url: Self.jwks], time: 2)).program)
        XCTAssertEqual(PolicyDiff.compare(old: first, new: later).changes, [])
        XCTAssertEqual(details(old, first).count, 1)
        XCTAssertTrue(details(old, first)[0].hasPrefix("+ key "))
    }
}
