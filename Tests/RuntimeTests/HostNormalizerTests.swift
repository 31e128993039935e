import Runtime
import XCTest

final class HostNormalizerTests: XCTestCase {
    func testNameIsLowercasedWithLabelsReversed() {
        XCTAssertEqual(host("API.Example.COM"), .name("api.example.com", labelsReversed: ["com", "example", "api"]))
        XCTAssertEqual(host("localhost"), .name("localhost", labelsReversed: ["localhost"]))
    }

    func testLabelsAreSlicesOfTheName() {
        guard case .name(let labels)? = host("a.b.c") else { return XCTFail("not a name") }
        let text = labels.name
        XCTAssertEqual(text, "a.b.c")
        XCTAssertEqual(labels, ["c", "b", "a"])
        XCTAssertEqual(labels.map { String($0) }.reversed().joined(separator: "."), text)
    }

    /// A canonical name with a port is a view of the request's host text up to the port:
    /// equal to (and hashing like) the same name without one, and walked the same way.
    func testNameWithPortIsTheNameAlone() {
        let withPort = host("api.example.com:8443"), without = host("api.example.com")
        XCTAssertEqual(withPort, without)
        XCTAssertEqual(withPort?.text, "api.example.com")
        XCTAssertEqual(Set([withPort, without]).count, 1)
        guard case .name(let labels)? = withPort else { return XCTFail("not a name") }
        XCTAssertEqual(Array(labels), ["com", "example", "api"])
        XCTAssertEqual(labels.count, 3)
        var seen: [String] = []
        XCTAssertTrue(labels.forEachLabelUTF8 { seen.append(String(decoding: $0, as: UTF8.self)); return true })
        XCTAssertEqual(seen, ["com", "example", "api"])
        XCTAssertNotEqual(host("api.example.co:8443"), without)
    }

    func testHyphensUnderscoresAndDigitsAreAllowed() {
        XCTAssertEqual(host("my-host_1.example.com"), hostName("my-host_1.example.com"))
        XCTAssertEqual(host("1password.com"), hostName("1password.com"))
        XCTAssertEqual(host("123.example.com"), hostName("123.example.com"))
    }

    func testPortIsStripped() {
        XCTAssertEqual(host("example.com:8080"), hostName("example.com"))
        XCTAssertEqual(host("Example.com:443"), hostName("example.com"))
        XCTAssertEqual(host("a:0"), hostName("a"))
        XCTAssertEqual(host("a:65535"), hostName("a"))
        XCTAssertEqual(host("a:00080"), hostName("a"))
        // The canonical-name-and-port fast path gives what the full way gives.
        XCTAssertEqual(host("api.example.com:443"), .name("api.example.com", labelsReversed: ["com", "example", "api"]))
        XCTAssertEqual(host("my-host_1.example.com:1"), hostName("my-host_1.example.com"))
        XCTAssertEqual(host("192.0.2.1:443"), .ipv4("192.0.2.1"))
        for bad in ["a.b:80:80", "a:b:80", "a..b:80", "0x7f.1:80", "127.1:80", "a.b:65536", "a.b:123456", ":443", "a b:80"] {
            assertHostRefused(bad)
        }
    }

    func testOneTrailingDotIsStripped() {
        XCTAssertEqual(host("example.com."), hostName("example.com"))
        XCTAssertEqual(host("EXAMPLE.com.:443"), hostName("example.com"))
        XCTAssertEqual(host("localhost."), hostName("localhost"))
    }

    func testTwoTrailingDotsAreInvalid() {
        assertHostRefused("example.com..")
        assertHostRefused("example.com..:80")
    }

    func testEmptyLabelsAreInvalid() {
        for bad in [".", ".example.com", "a..b", "..", ":80", ".:80"] {
            assertHostRefused(bad)
        }
    }

    func testCharactersOutsideNamesAreInvalid() {
        for bad in ["exa mple.com", "ex%41mple.com", "café.com", "a/b", "a*b", "*.example.com", "a\tb", "a,b", "a\\b", "\"a\""] {
            assertHostRefused(bad)
        }
    }

    func testUserinfoIsInvalid() {
        assertHostRefused("user@example.com")
        assertHostRefused("user:password@example.com:80")
        assertHostRefused("@example.com")
    }

    func testBadPortsAreInvalid() {
        for bad in ["example.com:", "example.com:65536", "example.com:99999", "example.com:123456", "example.com:8o",
                    "example.com:-1", "example.com: 80", "example.com:+80", "example.com:0x50", "1.2.3.4:", "[::1]:",
                    "[::1]:65536", "[::1]:http"] {
            assertHostRefused(bad)
        }
    }

    func testIPv4AddressesAreRecognised() {
        XCTAssertEqual(host("192.0.2.1"), .ipv4("192.0.2.1"))
        XCTAssertEqual(host("192.0.2.1:8080"), .ipv4("192.0.2.1"))
        XCTAssertEqual(host("192.0.2.1."), .ipv4("192.0.2.1"))
        XCTAssertEqual(host("0.0.0.0"), .ipv4("0.0.0.0"))
        XCTAssertEqual(host("255.255.255.255"), .ipv4("255.255.255.255"))
    }

    func testNumericHostsThatAreNotDottedQuadsAreInvalid() {
        // Backends read these as addresses (127.1 is 127.0.0.1, 010 is octal): no guess.
        for bad in ["127.1", "1.2.3", "256.1.1.1", "010.0.0.1", "1.2.3.4.5", "0x7f.0.0.1", "foo.0x10", "2130706433", "example.1"] {
            assertHostRefused(bad)
        }
    }

    func testIPv6LiteralsAreCanonical() {
        XCTAssertEqual(host("[::1]"), .ipv6("[::1]"))
        XCTAssertEqual(host("[::1]:8080"), .ipv6("[::1]"))
        XCTAssertEqual(host("[2001:DB8::1]"), .ipv6("[2001:db8::1]"))
        XCTAssertEqual(host("[2001:0db8:0000:0000:0000:0000:0000:0001]"), .ipv6("[2001:db8::1]"))
        XCTAssertEqual(host("[1:0:0:2:0:0:0:3]"), .ipv6("[1:0:0:2::3]"))
        XCTAssertEqual(host("[1:0:0:2:2:0:0:3]"), .ipv6("[1::2:2:0:0:3]"))
        XCTAssertEqual(host("[1:2:3:4:5:6:7:8]"), .ipv6("[1:2:3:4:5:6:7:8]"))
        XCTAssertEqual(host("[1:2:3:4:5:6:0:8]"), .ipv6("[1:2:3:4:5:6:0:8]"))
        XCTAssertEqual(host("[0:0:0:0:0:0:0:0]"), .ipv6("[::]"))
        XCTAssertEqual(host("[::]"), .ipv6("[::]"))
        XCTAssertEqual(host("[1::]"), .ipv6("[1::]"))
        XCTAssertEqual(host("[::ffff:192.0.2.1]"), .ipv6("[::ffff:192.0.2.1]"))
        XCTAssertEqual(host("[::FFFF:C000:0201]:443"), .ipv6("[::ffff:192.0.2.1]"))
        XCTAssertEqual(host("[64:ff9b::192.0.2.1]"), .ipv6("[64:ff9b::c000:201]"))
    }

    func testInvalidIPv6LiteralsAreRefused() {
        for bad in ["[::1", "[]", "[:::1]", "[1::2::3]", "[12345::]", "[g::]", "[fe80::1%25eth0]", "[1:2:3:4:5:6:7:8:9]",
                    "[1:2:3:4:5:6:7]", "[::1]x", "[::1.2.3]", "[1:2:3:4:5:6:7::8]", "[:1::]", "[1:]", "[example.com]",
                    "[::1]]", "[[::1]]"] {
            assertHostRefused(bad)
        }
    }

    func testUnbracketedIPv6IsInvalid() {
        assertHostRefused("::1")
        assertHostRefused("2001:db8::1")
        assertHostRefused("example.com:80:80")
    }

    func testEmptyOrAbsentHostIsMissing() {
        XCTAssertEqual(host(""), .missing)
        XCTAssertEqual(host(nil), .missing)
        XCTAssertEqual(host(nil, headers: [HTTPHeader("Host", "")]), .missing)
        XCTAssertNil(NormalizedHost.missing.text)
    }

    func testHostHeaderIsUsedWhenTheFieldIsAbsentOrEmpty() {
        XCTAssertEqual(host(nil, headers: [HTTPHeader("Host", "Example.COM:80")]), hostName("example.com"))
        XCTAssertEqual(host(nil, headers: [HTTPHeader("HOST", "example.com")]), hostName("example.com"))
        XCTAssertEqual(host("", headers: [HTTPHeader("host", "example.com")]), hostName("example.com"))
        assertHostRefused(nil, headers: [HTTPHeader("Host", "bad host")])
    }

    func testHostFieldWinsOverTheHostHeader() {
        XCTAssertEqual(host("api.example.com", headers: [HTTPHeader("Host", "other.example.com")]), hostName("api.example.com"))
    }

    func testTwoHostHeadersAreRefused() {
        let two = [HTTPHeader("Host", "a.example.com"), HTTPHeader("host", "b.example.com")]
        assertHostRefused(nil, headers: two, .twoHostHeaders)
        assertHostRefused("a.example.com", headers: two, .twoHostHeaders)
        assertHostRefused(nil, headers: [HTTPHeader("Host", "a.example.com"), HTTPHeader("HOST", "a.example.com")], .twoHostHeaders)
    }

    func testHostNormalizerCanBeUsedOnItsOwn() {
        XCTAssertEqual(try HostNormalizer.normalize("A.B").get(), hostName("a.b"))
        XCTAssertEqual(try HostNormalizer.normalize("A.B").get().text, "a.b")
        XCTAssertEqual(try HostNormalizer.normalize("[::1]:1").get().text, "[::1]")
        XCTAssertEqual(try HostNormalizer.normalize("10.0.0.1").get().text, "10.0.0.1")
    }

    func testInvalidHostMessageNamesTheHostAndTheReason() {
        guard case .failure(let problem) = HostNormalizer.normalize("example.com:99999") else { return XCTFail("accepted") }
        XCTAssertEqual(problem.code, .invalidHost)
        XCTAssertEqual(problem.message, "invalid host `example.com:99999`: a port is at most 65535")
    }
}
