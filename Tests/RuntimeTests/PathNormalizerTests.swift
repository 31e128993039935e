import Runtime
import XCTest

final class PathNormalizerTests: XCTestCase {
    // MARK: Accepted paths

    func testPlainPathIsUnchanged() {
        assertPath("/users/list", "/users/list")
        XCTAssertEqual(normalized("/users/list")?.pathSegments, ["users", "list"])
    }

    func testRootHasNoSegments() {
        assertPath("/", "/")
        XCTAssertEqual(normalized("/")?.pathSegments, [])
        XCTAssertEqual(normalized("//")?.pathSegments, [])
        XCTAssertEqual(normalized("/./")?.pathSegments, [])
    }

    func testTrailingSlashIsDropped() {
        assertPath("/admin/", "/admin")
        assertPath("/admin//", "/admin")
        assertPath("/a/b/", "/a/b")
        XCTAssertEqual(normalized("/admin/")?.pathSegments, ["admin"])
    }

    func testRepeatedSlashesAreMerged() {
        assertPath("//admin", "/admin")
        assertPath("/a///b", "/a/b")
        assertPath("///", "/")
    }

    func testSingleDotSegmentsAreRemoved() {
        assertPath("/a/./b", "/a/b")
        assertPath("/./admin", "/admin")
        assertPath("/admin/.", "/admin")
        assertPath("/.", "/")
    }

    func testDoubleDotSegmentsRemoveTheSegmentBefore() {
        assertPath("/a/b/../c", "/a/c")
        assertPath("/a/b/..", "/a")
        assertPath("/a/b/../", "/a")
        assertPath("/a/./b/./../c", "/a/c")
        assertPath("/a/..//b", "/b")
    }

    func testDoubleDotAboveTheRootStaysAtTheRoot() {
        assertPath("/..", "/")
        assertPath("/../admin", "/admin")
        assertPath("/../../a/../../b", "/b")
    }

    /// Dots that start or sit inside a segment are ordinary; a segment that ends in a dot
    /// (`c.`, `...`) is refused, since Windows backends drop the dot (CVERegressionTests).
    func testDotsInsideSegmentsAreOrdinary() {
        assertPath("/a/.b/c", "/a/.b/c")
        assertPath("/a/..b/c", "/a/..b/c")
        assertPath("/file..txt", "/file..txt")
        assertRefused("/a/.../b", .trailingDotOrSpace)
        assertRefused("/a/.b/c.", .trailingDotOrSpace)
    }

    func testDoubleDotAfterAnEmptySegmentIsAmbiguous() {
        assertRefused("/a//../b", .ambiguousDotSegment)
        assertRefused("//../admin", .ambiguousDotSegment)
        assertRefused("/a/.//../b", .ambiguousDotSegment)
        assertRefused("/a//./../b", .ambiguousDotSegment)
        assertRefused("/a/b//..", .ambiguousDotSegment)
        assertRefused("/a//%2e%2e/b", .ambiguousDotSegment)
    }

    func testQueryAndFragmentAreDropped() {
        assertPath("/a?x=1", "/a")
        assertPath("/a/?x=1", "/a")
        assertPath("/a#frag", "/a")
        assertPath("/a?x#y", "/a")
        XCTAssertEqual(normalized("/a?x=1&y=2#z")?.rawQuery, "x=1&y=2")
        XCTAssertEqual(normalized("/a?")?.rawQuery, "")
        XCTAssertNil(normalized("/a")?.rawQuery)
        XCTAssertNil(normalized("/a#f?x=1")?.rawQuery, "a `?` in the fragment starts no query")
        assertPath("/a?b/../../c", "/a")
    }

    func testUnreservedEscapesAreDecodedOnce() {
        assertPath("/%61dmin", "/admin")
        assertPath("/%41%5a%30%39%2D%2E%5F%7E", "/AZ09-._~")
        assertPath("/%2561dmin", "/%2561dmin")
    }

    func testEncodedDotsCountAsDots() {
        assertPath("/public/%2e%2e/admin", "/admin")
        assertPath("/public/%2E%2E/admin", "/admin")
        assertPath("/public/.%2e/admin", "/admin")
        assertPath("/a/%2e/b", "/a/b")
    }

    func testOtherEscapesStayEncodedWithUppercaseHex() {
        assertPath("/caf%c3%a9", "/caf%C3%A9")
        assertPath("/a%20b", "/a%20b")
        assertPath("/a%3ab%3F%23%25", "/a%3Ab%3F%23%25")
        assertPath("/%e2%82%ac/%F0%9F%98%80", "/%E2%82%AC/%F0%9F%98%80")
    }

    func testSubDelimitersColonAndAtAreOrdinary() {
        assertPath("/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,=")
        assertPath("/users/me@example.com", "/users/me@example.com")
    }

    func testSegmentsAreSlicesOfThePath() {
        guard let request = normalized("/A/%62/./c%2a?x") else { return }
        XCTAssertEqual(request.path, "/A/b/c%2A")
        XCTAssertEqual(request.pathSegments, ["A", "b", "c%2A"])
    }

    // MARK: Refused paths

    func testTargetMustStartWithSlash() {
        for target in ["", "admin", "*", "http://example.com/admin", "?a=1", "#x", "%2Fadmin", "\\admin"] {
            assertRefused(target, .targetNotAbsolutePath)
        }
    }

    func testEncodedSlashIsRefused() {
        assertRefused("/a%2Fb", .encodedSlash)
        assertRefused("/a%2fb", .encodedSlash)
    }

    func testEncodedBackslashIsRefused() {
        assertRefused("/a%5Cb", .encodedBackslash)
        assertRefused("/a%5cb", .encodedBackslash)
    }

    func testEncodedSemicolonIsRefused() {
        assertRefused("/a%3Bb", .encodedSemicolon)
        assertRefused("/a%3bb", .encodedSemicolon)
    }

    func testEncodedControlCharactersAreRefused() {
        for escape in ["%00", "%01", "%0a", "%0D", "%1F", "%1f", "%7F", "%7f"] {
            assertRefused("/a\(escape)b", .controlCharacter)
        }
    }

    func testRawControlCharactersAreRefused() {
        for control in ["\u{0}", "\t", "\r", "\n", "\u{1F}", "\u{7F}"] {
            assertRefused("/a\(control)b", .controlCharacter)
        }
    }

    func testRawSpaceIsRefused() {
        assertRefused("/a b", .space)
        assertRefused("/admin ", .space)
    }

    func testRawNonASCIIIsRefused() {
        assertRefused("/café", .nonASCII)
        assertRefused("/\u{FF0F}admin", .nonASCII)
    }

    func testRawBackslashIsRefused() {
        assertRefused("/public\\..\\admin", .backslash)
        assertRefused("/a\\", .backslash)
    }

    func testSemicolonIsRefused() {
        assertRefused("/admin;jsessionid=1", .semicolon)
        assertRefused("/public/..;/admin", .semicolon)
        assertRefused("/a;/b", .semicolon)
    }

    func testBrokenEscapeIsRefused() {
        for target in ["/a%", "/a%2", "/a%zz", "/a%2g", "/a%g2", "/%%32%46", "/a%/b", "/a%2?x=1"] {
            assertRefused(target, .brokenEscape)
        }
    }

    func testInvalidUTF8AfterDecodingIsRefused() {
        for target in [
            "/%C3", "/%C3/a", "/%C3a", "/%C3%41", "/%FF", "/%80", "/%C0%AF", "/%C1%BF",
            "/%E0%80%AF", "/%ED%A0%80", "/%F4%90%80%80", "/%F5%80%80%80", "/%E2%82", "/%F0%9F%98",
        ] {
            assertRefused(target, .invalidUTF8)
        }
    }

    func testValidUTF8EscapesAreAccepted() {
        assertPath("/%C2%80", "/%C2%80")
        assertPath("/%ED%9F%BF", "/%ED%9F%BF")
        assertPath("/%F4%8F%BF%BF", "/%F4%8F%BF%BF")
    }

    func testRefusalChecksLookAtThePathOnly() {
        assertPath("/a?x=%2F&y=;\\&z=%zz&w=a b", "/a")
        assertPath("/a#%zz;\\", "/a")
        assertPath("/a?q=é", "/a")
    }

    func testRefusalPointsAtTheOffendingByte() {
        guard case .failure(let problem) = PathNormalizer.normalize(target: "/ab%2Fc") else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(problem.code, .encodedSlash)
        XCTAssertEqual(problem.offset, 3)
        XCTAssertEqual(problem.input, "/ab%2Fc")
    }

    func testEveryCodeHasALowercaseMessageWithoutTrailingPeriod() {
        let samples: [(HTTPRequest, BadRequest.Code)] = [
            (HTTPRequest(host: "a b", target: "/"), .invalidHost),
            (HTTPRequest(target: "/", headers: [HTTPHeader("Host", "a"), HTTPHeader("host", "b")]), .twoHostHeaders),
            (HTTPRequest(host: "a", target: "x"), .targetNotAbsolutePath),
            (HTTPRequest(host: "a", target: "/%2F"), .encodedSlash),
            (HTTPRequest(host: "a", target: "/%5C"), .encodedBackslash),
            (HTTPRequest(host: "a", target: "/%3B"), .encodedSemicolon),
            (HTTPRequest(host: "a", target: "/%00"), .controlCharacter),
            (HTTPRequest(host: "a", target: "/ "), .space),
            (HTTPRequest(host: "a", target: "/é"), .nonASCII),
            (HTTPRequest(host: "a", target: "/\\"), .backslash),
            (HTTPRequest(host: "a", target: "/;"), .semicolon),
            (HTTPRequest(host: "a", target: "/%"), .brokenEscape),
            (HTTPRequest(host: "a", target: "/%FF"), .invalidUTF8),
            (HTTPRequest(host: "a", target: "/a//.."), .ambiguousDotSegment),
            (HTTPRequest(host: "a", target: "/admin."), .trailingDotOrSpace),
            (HTTPRequest(host: "a", target: "/%EF%BC%A1"), .fullwidthForm),
            (HTTPRequest(method: "GET /", host: "a", target: "/"), .invalidMethod),
        ]
        XCTAssertEqual(Set(samples.map(\.1)), Set(BadRequest.Code.allCases), "a sample for every code")
        for (request, code) in samples {
            guard case .failure(let problem) = RequestNormalizer.normalize(request) else {
                XCTFail("\(code): accepted")
                continue
            }
            XCTAssertEqual(problem.code, code)
            let message = problem.message
            XCTAssertFalse(message.isEmpty)
            XCTAssertEqual(message.first.map { String($0).lowercased() }, message.first.map { String($0) }, message)
            XCTAssertFalse(message.hasSuffix("."), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
    }

    func testMessageShowsTheInputInBackticks() {
        guard case .failure(let problem) = RequestNormalizer.normalize(HTTPRequest(host: "a", target: "/x%2Fy")) else {
            return XCTFail("accepted")
        }
        XCTAssertEqual(problem.message, "encoded slash `%2F` in the path at byte 2 of `/x%2Fy`")
        guard case .failure(let control) = RequestNormalizer.normalize(HTTPRequest(host: "a", target: "/x\ny")) else {
            return XCTFail("accepted")
        }
        XCTAssertTrue(control.message.contains("`/x%0Ay`"), control.message)
    }

    func testBadRequestsCompareByCodeOnly() {
        let first = PathNormalizer.normalize(target: "/a%2F")
        let second = PathNormalizer.normalize(target: "/b/c%2f")
        guard case .failure(let a) = first, case .failure(let b) = second else { return XCTFail("accepted") }
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.hashValue, b.hashValue)
        XCTAssertEqual(BadRequest.Code.encodedSlash.rawValue, "encoded_slash")
    }
}
