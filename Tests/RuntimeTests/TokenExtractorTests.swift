import BundleFormat
import Runtime
import XCTest

final class TokenExtractorTests: XCTestCase {
    let bearer = TokenLocation(source: .header, name: "authorization", prefix: "Bearer ", passthrough: false)
    let queryToken = TokenLocation(source: .query, name: "access_token", prefix: "", passthrough: false)
    let cookieToken = TokenLocation(source: .cookie, name: "session", prefix: "", passthrough: true)

    func extract(_ headers: [HTTPHeader], target: String = "/", _ locations: [TokenLocation]) -> TokenExtraction {
        TokenExtractor.extract(from: HTTPRequest(host: "example.com", target: target, headers: headers), locations: locations)
    }

    func authorization(_ values: String...) -> [HTTPHeader] {
        values.map { HTTPHeader("Authorization", $0) }
    }

    var bearerFound: [FoundToken] { [FoundToken(source: .header, name: "authorization", passthrough: false)] }

    // MARK: Headers

    func testBearerHeaderYieldsTheToken() {
        XCTAssertEqual(extract(authorization("Bearer abc.def.ghi"), [bearer]), .token("abc.def.ghi", foundAt: bearerFound))
    }

    func testPrefixIsComparedCaseInsensitively() {
        for value in ["bearer abc", "BEARER abc", "Bearer abc", "bEaReR abc"] {
            XCTAssertEqual(extract(authorization(value), [bearer]), .token("abc", foundAt: bearerFound), value)
        }
    }

    func testExtraSpacesAndTabsAreSkipped() {
        for value in ["Bearer    abc", "Bearer\tabc", "Bearer \t abc", "Bearer abc  ", "Bearer abc\t", "  Bearer abc", "\tBearer\t\tabc \t"] {
            XCTAssertEqual(extract(authorization(value), [bearer]), .token("abc", foundAt: bearerFound), "`\(value)`")
        }
    }

    func testValueWithoutThePrefixIsNoToken() {
        for value in ["abc", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearerabc", "Bear abc", "Token abc", "xBearer abc"] {
            XCTAssertEqual(extract(authorization(value), [bearer]), TokenExtraction.none, "`\(value)`")
        }
    }

    func testPrefixWithNothingAfterItIsEmpty() {
        for value in ["Bearer", "Bearer ", "Bearer    ", "bearer\t", "BEARER \t "] {
            XCTAssertEqual(extract(authorization(value), [bearer]), .empty, "`\(value)`")
        }
    }

    func testEmptyHeaderWithoutPrefixIsEmpty() {
        let header = TokenLocation(source: .header, name: "x-token", prefix: "", passthrough: false)
        XCTAssertEqual(extract([HTTPHeader("X-Token", "")], [header]), .empty)
        XCTAssertEqual(extract([HTTPHeader("X-Token", "  ")], [header]), .empty)
        XCTAssertEqual(extract([HTTPHeader("X-Token", " abc ")], [header]),
                       .token("abc", foundAt: [FoundToken(source: .header, name: "x-token", passthrough: false)]))
    }

    func testPrefixWithoutTrailingSpaceNeedsNoSeparator() {
        let location = TokenLocation(source: .header, name: "x-token", prefix: "JWT=", passthrough: false)
        XCTAssertEqual(extract([HTTPHeader("x-token", "jwt=abc")], [location]).token, "abc")
        XCTAssertEqual(extract([HTTPHeader("x-token", "JWT= abc")], [location]).token, "abc")
        XCTAssertEqual(extract([HTTPHeader("x-token", "JWT=")], [location]), .empty)
        XCTAssertEqual(extract([HTTPHeader("x-token", "abc")], [location]), TokenExtraction.none)
    }

    func testBytesAfterThePrefixAreKeptExactly() {
        // The prefix match works on bytes; the rest of the value, non-ASCII included, is
        // returned as written, trimmed only of spaces and tabs.
        XCTAssertEqual(extract(authorization("Bearer  ab\u{20AC}c.d "), [bearer]).token, "ab\u{20AC}c.d")
        XCTAssertEqual(extract(authorization("B\u{00E9}arer abc"), [bearer]), TokenExtraction.none)
        let unicode = TokenLocation(source: .header, name: "x-token", prefix: "\u{00C9}t\u{00E9} ", passthrough: false)
        XCTAssertEqual(extract([HTTPHeader("x-token", "\u{00C9}t\u{00E9} abc")], [unicode]).token, "abc")
    }

    func testAPlaceMatchesItsLocationWithThePrefixInAnyCase() {
        XCTAssertTrue(FoundToken(source: .header, name: "authorization", prefix: "bearer ", passthrough: false).isPlace(of: bearer))
        XCTAssertTrue(FoundToken(source: .header, name: "authorization", prefix: "BEARER ", passthrough: false).isPlace(of: bearer))
        XCTAssertFalse(FoundToken(source: .header, name: "authorization", prefix: "Bearer", passthrough: false).isPlace(of: bearer))
        XCTAssertFalse(FoundToken(source: .header, name: "authorization", prefix: "Token ", passthrough: false).isPlace(of: bearer))
        XCTAssertFalse(FoundToken(source: .query, name: "authorization", prefix: "Bearer ", passthrough: false).isPlace(of: bearer))
        // Outside ASCII the comparison lowercases, as it did before it worked on bytes.
        let unicode = TokenLocation(source: .header, name: "x-token", prefix: "\u{00C9}T\u{00C9} ", passthrough: false)
        XCTAssertTrue(FoundToken(source: .header, name: "x-token", prefix: "\u{00E9}t\u{00E9} ", passthrough: false).isPlace(of: unicode))
        XCTAssertFalse(FoundToken(source: .header, name: "x-token", prefix: "\u{00E9}ta ", passthrough: false).isPlace(of: unicode))
    }

    func testHeaderNamesAreCaseInsensitive() {
        for name in ["authorization", "AUTHORIZATION", "Authorization", "aUtHoRiZaTiOn"] {
            XCTAssertEqual(extract([HTTPHeader(name, "Bearer abc")], [bearer]), .token("abc", foundAt: bearerFound), name)
        }
        let mixedCaseLocation = TokenLocation(source: .header, name: "Authorization", prefix: "Bearer ", passthrough: false)
        XCTAssertEqual(extract(authorization("Bearer abc"), [mixedCaseLocation]).token, "abc")
    }

    func testIdenticalDuplicateHeadersCountOnce() {
        XCTAssertEqual(extract(authorization("Bearer abc", "bearer  abc"), [bearer]), .token("abc", foundAt: bearerFound))
    }

    func testDifferentDuplicateHeadersAreAmbiguous() {
        XCTAssertEqual(extract(authorization("Bearer abc", "Bearer xyz"), [bearer]), .ambiguous)
        XCTAssertEqual(extract([HTTPHeader("Authorization", "Bearer abc"), HTTPHeader("AUTHORIZATION", "Bearer xyz")], [bearer]),
                       .ambiguous)
    }

    func testAnEmptyTokenNextToARealOneIsAmbiguous() {
        XCTAssertEqual(extract(authorization("Bearer", "Bearer abc"), [bearer]), .ambiguous)
        XCTAssertEqual(extract(authorization("Bearer", "Bearer "), [bearer]), .empty)
    }

    func testHeaderWithoutPrefixNextToOneWithItIsIgnored() {
        XCTAssertEqual(extract(authorization("Basic xyz", "Bearer abc"), [bearer]), .token("abc", foundAt: bearerFound))
    }

    // MARK: Query parameters

    func testQueryParameterYieldsTheToken() {
        XCTAssertEqual(extract([], target: "/a?x=1&access_token=abc&y=2", [queryToken]),
                       .token("abc", foundAt: [FoundToken(queryToken)]))
    }

    func testQueryValueIsPercentDecodedWithPlusLeftAsPlus() {
        XCTAssertEqual(extract([], target: "/?access_token=a+b", [queryToken]).token, "a+b")
        XCTAssertEqual(extract([], target: "/?access_token=a%2Bb", [queryToken]).token, "a+b")
        XCTAssertEqual(extract([], target: "/?access_token=a%2bb%2E", [queryToken]).token, "a+b.")
        XCTAssertEqual(extract([], target: "/?access_token=a%20b", [queryToken]).token, "a b")
        XCTAssertEqual(extract([], target: "/?access_token=a+b&access_token=a%2Bb", [queryToken]),
                       .token("a+b", foundAt: [FoundToken(queryToken)]), "`+` and `%2B` are the same token")
    }

    func testBrokenEscapeInQueryValueIsKeptAsWritten() {
        XCTAssertEqual(extract([], target: "/?access_token=a%zz", [queryToken]).token, "a%zz")
        XCTAssertEqual(extract([], target: "/?access_token=a%2", [queryToken]).token, "a%2")
    }

    func testEmptyQueryValueIsNoToken() {
        XCTAssertEqual(extract([], target: "/?access_token=", [queryToken]), TokenExtraction.none)
        XCTAssertEqual(extract([], target: "/?access_token", [queryToken]), TokenExtraction.none)
        XCTAssertEqual(extract([], target: "/?access_token=&access_token=abc", [queryToken]).token, "abc")
    }

    func testQueryNamesAreCaseSensitiveAndAPercentEncodedTokenNameIsRefused() {
        XCTAssertEqual(extract([], target: "/?Access_Token=abc", [queryToken]), TokenExtraction.none)
        XCTAssertEqual(extract([], target: "/?ACCESS_TOKEN=abc", [queryToken]), TokenExtraction.none)
        // A backend that decodes names reads `acc%65ss_token` as the token parameter, but a
        // proxy removing `access_token` would leave it: refused as ambiguous.
        XCTAssertEqual(extract([], target: "/?acc%65ss_token=abc", [queryToken]), .ambiguous)
        XCTAssertEqual(extract([], target: "/?access_token=abc&acc%65ss%5Ftoken=xyz", [queryToken]), .ambiguous)
    }

    func testDifferentQueryValuesAreAmbiguous() {
        XCTAssertEqual(extract([], target: "/?access_token=abc&access_token=xyz", [queryToken]), .ambiguous)
    }

    func testQueryInTheFragmentIsIgnored() {
        XCTAssertEqual(extract([], target: "/a#?access_token=abc", [queryToken]), TokenExtraction.none)
        XCTAssertEqual(extract([], target: "/a?access_token=abc#&access_token=xyz", [queryToken]).token, "abc")
    }

    // MARK: Cookies

    func testCookieYieldsTheToken() {
        XCTAssertEqual(extract([HTTPHeader("Cookie", "theme=dark; session=abc; lang=en")], [cookieToken]),
                       .token("abc", foundAt: [FoundToken(source: .cookie, name: "session", passthrough: true)]))
    }

    func testQuotedCookieIsUnquoted() {
        XCTAssertEqual(extract([HTTPHeader("Cookie", "session=\"abc\"")], [cookieToken]).token, "abc")
        XCTAssertEqual(extract([HTTPHeader("Cookie", "session=\"\"")], [cookieToken]), TokenExtraction.none)
        XCTAssertEqual(extract([HTTPHeader("Cookie", "session=\"abc\"; session=abc")], [cookieToken]).token, "abc")
    }

    func testCookiesFromSeveralCookieHeadersAreRead() {
        let headers = [HTTPHeader("Cookie", "theme=dark"), HTTPHeader("cookie", "session=abc")]
        XCTAssertEqual(extract(headers, [cookieToken]).token, "abc")
        let two = [HTTPHeader("Cookie", "session=abc"), HTTPHeader("COOKIE", "session=xyz")]
        XCTAssertEqual(extract(two, [cookieToken]), .ambiguous)
        let same = [HTTPHeader("Cookie", "session=abc"), HTTPHeader("COOKIE", "session=abc")]
        XCTAssertEqual(extract(same, [cookieToken]), .token("abc", foundAt: [FoundToken(cookieToken)]))
    }

    func testCookieNamesAreCaseSensitive() {
        XCTAssertEqual(extract([HTTPHeader("Cookie", "Session=abc; SESSION=xyz")], [cookieToken]), TokenExtraction.none)
        XCTAssertEqual(extract([HTTPHeader("Cookie", "Session=xyz; session=abc")], [cookieToken]).token, "abc")
    }

    func testEmptyCookieValueIsNoToken() {
        XCTAssertEqual(extract([HTTPHeader("Cookie", "session=")], [cookieToken]), TokenExtraction.none)
        XCTAssertEqual(extract([HTTPHeader("Cookie", "session=; other=1")], [cookieToken]), TokenExtraction.none)
    }

    func testCookieWhitespaceIsTrimmed() {
        XCTAssertEqual(extract([HTTPHeader("Cookie", "a=1;session=abc")], [cookieToken]).token, "abc")
        XCTAssertEqual(extract([HTTPHeader("Cookie", "a=1 ;\t session = abc ;")], [cookieToken]).token, "abc")
    }

    // MARK: Several locations

    func testIdenticalTokensAcrossLocationsCountOnceAndReportEveryPlace() {
        let headers = [HTTPHeader("Authorization", "Bearer abc"), HTTPHeader("Cookie", "session=abc")]
        XCTAssertEqual(extract(headers, target: "/?access_token=abc", [bearer, queryToken, cookieToken]),
                       .token("abc", foundAt: [FoundToken(bearer), FoundToken(queryToken), FoundToken(cookieToken)]))
    }

    func testTokensAreComparedByBytesNotByUnicodeEquivalence() {
        // U+212A KELVIN SIGN is canonically equivalent to `K`, but a backend sees other bytes.
        let headers = [HTTPHeader("Authorization", "Bearer aK"), HTTPHeader("Cookie", "session=a\u{212A}; \u{212A}=x")]
        XCTAssertEqual(extract(headers, [bearer, cookieToken]), .ambiguous)
        let kelvin = TokenLocation(source: .cookie, name: "K", prefix: "", passthrough: false)
        XCTAssertEqual(extract([HTTPHeader("Cookie", "\u{212A}=x")], [kelvin]), TokenExtraction.none)
    }

    func testDifferentTokensAcrossLocationsAreAmbiguous() {
        let headers = [HTTPHeader("Authorization", "Bearer abc"), HTTPHeader("Cookie", "session=xyz")]
        XCTAssertEqual(extract(headers, [bearer, cookieToken]), .ambiguous)
        XCTAssertEqual(extract(authorization("Bearer abc"), target: "/?access_token=xyz", [bearer, queryToken]), .ambiguous)
    }

    func testOnlyThePlacesThatHeldTheTokenAreReported() {
        let headers = [HTTPHeader("Cookie", "session=abc")]
        XCTAssertEqual(extract(headers, [bearer, queryToken, cookieToken]),
                       .token("abc", foundAt: [FoundToken(cookieToken)]))
    }

    func testNoLocationsOrNothingPresentIsNone() {
        XCTAssertEqual(extract(authorization("Bearer abc"), []), TokenExtraction.none)
        XCTAssertEqual(extract([], [bearer, queryToken, cookieToken]), TokenExtraction.none)
    }

    func testExtractingFromTheNormalizedRequestGivesTheSameResult() throws {
        let request = HTTPRequest(host: "example.com", target: "/a/../b?access_token=abc#x",
                                  headers: [HTTPHeader("Authorization", "Bearer abc")])
        let normalized = try RequestNormalizer.normalize(request).get()
        let locations = [bearer, queryToken]
        XCTAssertEqual(TokenExtractor.extract(from: normalized, locations: locations),
                       TokenExtractor.extract(from: request, locations: locations))
        XCTAssertEqual(TokenExtractor.extract(from: normalized, locations: locations).token, "abc")
    }
}
