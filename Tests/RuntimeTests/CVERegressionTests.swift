import Runtime
import XCTest

/// Each test names the gateway bypass it guards against.
final class CVERegressionTests: XCTestCase {
    /// Envoy CVE-2019-9901: the path was matched without normalisation, so
    /// `/public/../admin` slipped past a rule for `/admin`.
    func testEnvoyCVE_2019_9901_dotSegmentsCannotEscapeToAdmin() {
        assertPath("/public/../admin", "/admin")
        assertPath("/public/./../admin", "/admin")
        assertPath("/public/%2e%2e/admin", "/admin")
        assertPath("/public/%2E./admin/", "/admin")
        assertPath("/../../admin", "/admin")
        assertRefused("/public/..\\admin", .backslash)
        assertRefused("/public/..;/admin", .semicolon)
    }

    /// Backend reinterpretation: Windows and IIS drop trailing dots and spaces from a
    /// segment, so `/admin.` and `/admin%20` reach `/admin` after the gateway decided on
    /// another path. Refused, raw or encoded, at the end of the path or inside it.
    func testTrailingDotsAndSpacesThatWindowsBackendsDropAreRefused() {
        for target in ["/admin.", "/admin..", "/admin...", "/admin%2E", "/admin%2e/users", "/admin./users", "/admin%20",
                       "/admin%20/users", "/v1/admin.?x=1", "/a/b./c"] {
            assertRefused(target, .trailingDotOrSpace)
        }
        assertRefused("/admin%09", .controlCharacter)
        // Dots and spaces elsewhere in a segment are ordinary.
        assertPath("/v1.2/admin", "/v1.2/admin")
        assertPath("/.well-known/jwks.json", "/.well-known/jwks.json")
        assertPath("/a%20b", "/a%20b")
        assertPath("/public/../admin", "/admin")
        assertPath("/a/./b/", "/a/b")
    }

    /// Backend reinterpretation: frameworks that apply Unicode compatibility normalisation
    /// (NFKC, "best fit" code pages) turn fullwidth forms into ASCII, so `/%EF%BC%A1dmin`
    /// (U+FF21, fullwidth `A`) reaches `/Admin`. Every character of U+FF00–U+FFEF is refused.
    func testFullwidthAndHalfwidthFormsAreRefused() {
        for target in ["/%EF%BC%A1dmin", "/%ef%bc%a1dmin", "/%EF%BC%80", "/a/%EF%BD%81", "/%EF%BE%80x", "/%EF%BF%AF", "/x%EF%BF%A0"] {
            assertRefused(target, .fullwidthForm)
        }
        // Neighbours of the block are ordinary UTF-8: U+FEFF, U+FFF0..U+FFFD, U+E000.
        for target in ["/%EF%BB%BF", "/%EF%BF%B0", "/%EF%BF%BD", "/%EE%80%80", "/caf%C3%A9"] {
            guard normalized(target) != nil else { return XCTFail("`\(target)` is refused") }
        }
    }

    /// Envoy CVE-2021-29492: escaped slashes (`%2F`, `%5C`) were not normalised, so
    /// `/public%2F..%2Fadmin` reached `/admin` on a backend that decodes them.
    func testEnvoyCVE_2021_29492_escapedSlashesAreRefused() {
        assertRefused("/public%2F..%2Fadmin", .encodedSlash)
        assertRefused("/public%2f..%2fadmin", .encodedSlash)
        assertRefused("/public%5C..%5Cadmin", .encodedBackslash)
        assertRefused("/admin%2F", .encodedSlash)
        assertRefused("/%2Fadmin", .encodedSlash)
    }

    /// Istio CVE-2021-31920: multiple slashes or escaped slashes bypassed path-based
    /// authorization policies (`//admin`, `/admin%2Fx`).
    func testIstioCVE_2021_31920_multipleAndEscapedSlashesCannotBypassRules() {
        assertPath("//admin", "/admin")
        assertPath("///admin//users///", "/admin/users")
        assertRefused("/public//..", .ambiguousDotSegment)
        assertRefused("/a//../admin", .ambiguousDotSegment)
        assertRefused("/public%2F%2Fadmin", .encodedSlash)
        assertRefused("/admin%2Fusers", .encodedSlash)
        // A `..` that meets an empty segment only after an earlier `..` removed the
        // segment above it: merged, `/v1/catalog/foo`; RFC 3986 alone, `/v1/admin/catalog/foo`.
        assertRefused("/v1/admin//x/../../catalog/foo", .ambiguousDotSegment)
        assertRefused("/v1/admin//./x/../../catalog/foo", .ambiguousDotSegment)
        assertRefused("/a//b/c/../../../d", .ambiguousDotSegment)
        // Where both readings agree, the path is accepted.
        assertPath("/a//b/../c", "/a/c")
        assertPath("/a/b//c/../d", "/a/b/d")
        assertPath("/a/x/../../b", "/b")
        assertPath("/" + String(repeating: "s/", count: 70) + "t", "/" + String(repeating: "s/", count: 70) + "t")
        assertRefused("/" + String(repeating: "s/", count: 70) + "..", .ambiguousDotSegment)
    }

    /// Istio CVE-2021-39155: host matching was case-sensitive, so `ADMIN.example.com`
    /// missed the rules for `admin.example.com`.
    func testIstioCVE_2021_39155_hostIsCaseInsensitive() {
        XCTAssertEqual(host("ADMIN.Example.COM"), .name("admin.example.com", labelsReversed: ["com", "example", "admin"]))
        XCTAssertEqual(host(nil, headers: [HTTPHeader("Host", "Admin.Example.Com:443")]), hostName("admin.example.com"))
        XCTAssertEqual(host("admin.example.com."), hostName("admin.example.com"))
    }

    /// Istio CVE-2021-39156: a `#` fragment in the path defeated path matching
    /// (`/admin#/public` matched a rule for `/public/*`, or `/admin` rules missed it).
    func testIstioCVE_2021_39156_fragmentIsDroppedBeforeMatching() {
        assertPath("/admin#/public", "/admin")
        assertPath("/admin#", "/admin")
        assertPath("/admin#/../public", "/admin")
        assertPath("/public/..#/public", "/")
        XCTAssertNil(normalized("/admin#?x=1")?.rawQuery)
        assertRefused("#/admin", .targetNotAbsolutePath)
    }
}
