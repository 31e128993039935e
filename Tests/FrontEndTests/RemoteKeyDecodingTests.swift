import Diagnostics
import FrontEnd
import TestSupport
import XCTest

/// `jwksUri`, `discovery`, `jwksRefresh` and `allowInsecureJwksUri`: what they decode to,
/// and every error located with its hint.
final class RemoteKeyDecodingTests: XCTestCase {
    /// An entry whose key source is `source` (one or more lines).
    func remoteYAML(_ source: String, algorithms: String? = "algorithms: [RS256]\n", issuer: String = "https://idp.example.com") -> String {
        "version: 1\nname: api\nissuer: \(issuer)\n" + source + (algorithms ?? "") + "authorization: {mode: whitelist}\n"
    }

    func testJwksUriDecodesWithTheDefaultRefresh() throws {
        let source = MarkedSource(remoteYAML("jwksUri: ⟨https://idp.example.com/.well-known/jwks.json⟩\n"))
        let (set, diagnostics) = decode(source)
        XCTAssertNoDiagnostics(diagnostics)
        let remote = try XCTUnwrap(set.entries.first?.remoteKeys)
        XCTAssertNil(set.entries.first?.jwks, "no keys in the policy")
        XCTAssertEqual(remote.kind, .jwksUri)
        XCTAssertEqual(remote.url.text, "https://idp.example.com/.well-known/jwks.json")
        XCTAssertEqual(remote.url.host, "idp.example.com")
        XCTAssertSpan(remote.span, source.span)
        XCTAssertEqual(remote.refresh, KeyRefresh.defaults)
        XCTAssertEqual([remote.refresh.defaultInterval.value, remote.refresh.minInterval.value, remote.refresh.maxInterval.value,
                        remote.refresh.maxStale.value, remote.refresh.cooldown.value], [600, 60, 3600, 86_400, 30])
        XCTAssertEqual(remote.allowInsecure.value, false)
        XCTAssertNil(remote.fetchedAt)
    }

    func testDiscoveryFetchesTheIssuersConfigurationWithoutItsTrailingSlash() throws {
        for issuer in ["https://idp.example.com/realms/a/", "https://idp.example.com/realms/a"] {
            let entry = try XCTUnwrap(decodeEntry(remoteYAML("discovery: true\n", issuer: issuer)))
            XCTAssertEqual(entry.remoteKeys?.kind, .discovery)
            XCTAssertEqual(entry.remoteKeys?.url.text, "https://idp.example.com/realms/a/.well-known/openid-configuration")
        }
        let off = decode(MarkedSource(remoteYAML("discovery: false\njwks: {keys: []}\n"))).set.entries.first
        XCTAssertNil(off?.remoteKeys, "`discovery: false` is no key source")
    }

    func testRefreshSettingsAndLoopbackHTTP() throws {
        let source = MarkedSource(remoteYAML("""
            jwksUri: http://127.0.0.1:8080/jwks
            allowInsecureJwksUri: ⟨true⟩
            jwksRefresh: {default: ⟨5m⟩, min: 1s, max: 2h, maxStale: 7d, cooldown: 10s}

            """))
        let (set, diagnostics) = decode(source)
        XCTAssertNoDiagnostics(diagnostics)
        let remote = try XCTUnwrap(set.entries.first?.remoteKeys)
        XCTAssertEqual(remote.allowInsecure.value, true)
        XCTAssertSpan(remote.allowInsecure.span, source[0])
        XCTAssertEqual(remote.refresh.defaultInterval.value, 300)
        XCTAssertSpan(remote.refresh.defaultInterval.span, source[1])
        XCTAssertEqual(remote.refresh.minInterval.value, 1)
        XCTAssertEqual(remote.refresh.maxInterval.value, 7200)
        XCTAssertEqual(remote.refresh.maxStale.value, 7 * 86_400)
        XCTAssertEqual(remote.refresh.cooldown.value, 10)
        for host in ["localhost", "LocalHost", "127.0.0.1", "127.255.0.9", "[::1]"] {
            XCTAssertNotNil(decodeEntry(remoteYAML("jwksUri: http://\(host):9000/k\nallowInsecureJwksUri: true\n")), host)
        }
    }

    func testEveryKeySourceCountsAndTheErrorNamesAllFour() {
        let neither = MarkedSource("⟨version: 1⟩\nname: a\nissuer: https://x\nauthorization: {mode: whitelist}\n")
        XCTAssertDiagnostics(decode(neither).diagnostics, [
            Expected(.jwksSourceCount, at: neither.span, message: "give one of `jwks`, `jwksFile`, `jwksUri` or `discovery: true`", hint: "jwksUri"),
        ])
        let two = MarkedSource(remoteYAML("⟨jwks⟩: {keys: []}\n⟨jwksUri⟩: https://idp.example.com/k\n"))
        XCTAssertDiagnostics(decode(two).diagnostics, [
            Expected(.jwksSourceCount, at: two[1], message: "not `jwks` and `jwksUri`", hint: "do not mix", notes: [two[0]]),
        ])
        let three = MarkedSource(remoteYAML("⟨jwksUri⟩: https://idp.example.com/k\n⟨discovery⟩: true\n⟨jwksFile⟩: k.json\n"))
        XCTAssertDiagnostics(decode(three).diagnostics, [
            Expected(.jwksSourceCount, at: three[1], message: "not `jwksUri` and `discovery` and `jwksFile`", notes: [three[0], three[2]]),
        ])
    }

    func testRemoteSettingsNeedARemoteSource() {
        let source = MarkedSource("version: 1\nname: a\nissuer: https://x\n⟨jwks⟩: {keys: []}\n⟨allowInsecureJwksUri⟩: true\n⟨jwksRefresh⟩: {default: 5m}\nauthorization: {mode: whitelist}\n")
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.remoteSettingWithoutRemoteKeys, at: source[1], message: "`allowInsecureJwksUri` applies only to keys fetched at run time", hint: "jwksUri", notes: [source[0]]),
            Expected(.remoteSettingWithoutRemoteKeys, at: source[2], message: "`jwksRefresh` applies only", notes: [source[0]]),
        ])
    }

    func testRefreshBoundsMustBeInOrder() {
        let low = MarkedSource(remoteYAML("jwksUri: https://idp.example.com/k\njwksRefresh: {default: ⟨30s⟩}\n"))
        XCTAssertDiagnostics(decode(low).diagnostics, [
            Expected(.jwksRefreshOrder, at: low.span, message: "`min` (1m, the default) is longer than `default` (30s)", hint: "clamped"),
        ])
        let high = MarkedSource(remoteYAML("jwksUri: https://idp.example.com/k\njwksRefresh: {default: ⟨2h⟩, max: ⟨1h⟩}\n"))
        XCTAssertDiagnostics(decode(high).diagnostics, [
            Expected(.jwksRefreshOrder, at: high[1], message: "`default` (2h) is longer than `max` (1h)", notes: [high[0]]),
        ])
        let bad = MarkedSource(remoteYAML("jwksUri: https://idp.example.com/k\njwksRefresh: {default: ⟨0s⟩, ⟨maxstale⟩: 1h}\n"))
        XCTAssertDiagnostics(decode(bad).diagnostics, [
            Expected(.invalidDuration, at: bad[0], message: "between 1s and 366d"),
            Expected(.unknownKey, at: bad[1], hint: "did you mean `maxStale`?"),
        ])
    }

    func testOnlyHTTPSExceptLoopbackWithTheFlag() {
        let plain = MarkedSource(remoteYAML("jwksUri: ⟨http://127.0.0.1:8080/jwks⟩\n"))
        XCTAssertDiagnostics(decode(plain).diagnostics, [
            Expected(.insecureKeyURL, at: plain.span, message: "is plain http", hint: "add `allowInsecureJwksUri: true`"),
        ])
        let remoteHTTP = MarkedSource(remoteYAML("jwksUri: ⟨http://idp.example.com/jwks⟩\nallowInsecureJwksUri: ⟨true⟩\n"))
        XCTAssertDiagnostics(decode(remoteHTTP).diagnostics, [
            Expected(.insecureKeyURL, at: remoteHTTP[0], message: "is not https", hint: "only for loopback addresses", notes: [remoteHTTP[1]]),
        ])
        for host in ["127.0.0.1.example.com", "128.0.0.1", "localhost.example.com", "[::2]"] {
            let source = MarkedSource(remoteYAML("jwksUri: ⟨http://\(host)/k⟩\nallowInsecureJwksUri: true\n"))
            XCTAssertEqual(decode(source).diagnostics.map(\.code), [.insecureKeyURL], host)
        }
        let discovery = MarkedSource(remoteYAML("discovery: ⟨true⟩\n", issuer: "⟨http://idp.example.com⟩"))
        XCTAssertDiagnostics(decode(discovery).diagnostics, [
            Expected(.insecureKeyURL, at: discovery[1], message: "`discovery` would fetch `http://idp.example.com/.well-known/openid-configuration`", notes: [discovery[0]]),
        ])
    }

    func testURLsAreParsedStrictly() {
        let cases: [(String, String, String)] = [
            ("https://user:pw@idp.example.com/k", "userinfo", "remove the credentials"),
            ("https://idp.example.com/k#keys", "fragment", "remove the fragment"),
            ("https://idp.example.com/a b", "whitespace", "percent-encode"),
            ("https://idp.example.com/k\\u0007", "control character", "remove it"),
            ("ftp://idp.example.com/k", "scheme `ftp`", "https"),
            ("HTTPS://idp.example.com/k", "scheme `HTTPS`", "lowercase"),
            ("idp.example.com/k", "no scheme", "https://"),
            ("https:///k", "no host", "host"),
            ("https://idp.example.com:0/k", "invalid port `0`", "1 to 65535"),
            ("https://idp.example.com:99999/k", "invalid port", "1 to 65535"),
            ("https://idp_example.com/k", "invalid host", "labels"),
            ("https://idp.example.com/%zz", "`%`", "%25"),
            ("https://idp.exämple.com/k", "outside ASCII", "punycode"),
            ("https://[::1/k", "unclosed `[`", "[::1]"),
        ]
        for (url, message, hint) in cases {
            let source = MarkedSource(remoteYAML("jwksUri: ⟨\"\(url)\"⟩\n"))
            XCTAssertDiagnostics(decode(source).diagnostics, [Expected(.invalidKeyURL, at: source.span, message: message, hint: hint)], url)
        }
        XCTAssertNotNil(decodeEntry(remoteYAML("jwksUri: https://login.example.com:8443/tenant/discovery/v2.0/keys?p=b2c_1_signin\n")))
        let issuer = MarkedSource(remoteYAML("discovery: ⟨true⟩\n", issuer: "⟨partner-idp⟩"))
        XCTAssertDiagnostics(decode(issuer).diagnostics, [
            Expected(.invalidKeyURL, at: issuer[1], message: "needs the issuer to be a URL", hint: "jwksUri", notes: [issuer[0]]),
        ])
    }

    func testRemoteKeysNeedAnAllowList() {
        let source = MarkedSource(remoteYAML("⟨jwksUri⟩: https://idp.example.com/k\n", algorithms: nil).replacingOccurrences(of: "version: 1", with: "⟨version: 1⟩"))
        XCTAssertDiagnostics(decode(source).diagnostics, [
            Expected(.remoteKeysNeedAlgorithms, at: source[0], message: "cannot infer the allowed algorithms from keys it has not seen",
                     hint: "list them", notes: [source[1]]),
        ])
        // Still reported when the URL itself is wrong: both problems in one run.
        let both = decode(MarkedSource(remoteYAML("jwksUri: http://idp.example.com/k\n", algorithms: nil))).diagnostics
        XCTAssertEqual(Set(both.map(\.code)), [.insecureKeyURL, .remoteKeysNeedAlgorithms])
    }

    func testKeyURLLoopbackAndOrigin() throws {
        func url(_ text: String) throws -> KeyURL { try KeyURL.parse(text).get() }
        XCTAssertTrue(try url("http://127.0.0.1/").isLoopback)
        XCTAssertTrue(try url("http://[::1]:80/").isLoopback)
        XCTAssertFalse(try url("http://127.0.0.01/").isLoopback, "no leading zeros")
        XCTAssertFalse(try url("http://127.0.0.256/").isLoopback)
        XCTAssertEqual(try url("https://a.example.com:8443/x?y").port, 8443)
        XCTAssertEqual(try url("https://a.example.com").pathAndQuery, "")
        XCTAssertTrue(try url("https://A.example.com/x").sameOrigin(as: url("https://a.example.com/y")))
        XCTAssertFalse(try url("https://a.example.com/x").sameOrigin(as: url("https://a.example.com:444/x")))
    }
}
