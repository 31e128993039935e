@testable import DecisionService
import BundleFormat
import NIOHTTP1
import Runtime
import XCTest

/// The refresher's pure rules: caching headers, HTTP dates, the URL and redirect rule,
/// intervals and backoff (docs/deployment.md, "Keys from identity providers").
final class KeyRefresherRulesTests: XCTestCase {
    func testFreshnessComesFromMaxAgeThenExpires() {
        let now = 784_111_777.0
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Cache-Control", "public, max-age=300")]), now: now), 300)
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Cache-Control", "max-age=\"60\"")]), now: now), 60)
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Cache-Control", "no-cache")]), now: now), 0)
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Cache-Control", "max-age=soon")]), now: now), 0, "invalid max-age is stale")
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Cache-Control", "max-age=10"), ("Expires", "Sun, 06 Nov 1994 08:49:37 GMT")]), now: now), 10,
                       "max-age wins over Expires")
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Date", "Sun, 06 Nov 1994 08:49:37 GMT"), ("Expires", "Sun, 06 Nov 1994 09:49:37 GMT")]), now: 0), 3600,
                       "Expires counts from the server's Date")
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Expires", "Sun, 06 Nov 1994 08:59:37 GMT")]), now: 784_111_777), 600)
        XCTAssertEqual(HTTPCaching.freshness(HTTPHeaders([("Expires", "0")]), now: now), 0)
        XCTAssertNil(HTTPCaching.freshness(HTTPHeaders([("Content-Type", "application/json")]), now: now))
    }

    func testHTTPDatesAreIMFFixdateOnly() {
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
        XCTAssertEqual(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT"), 0)
        XCTAssertEqual(HTTPDate.parse("Tue, 29 Feb 2028 12:00:00 GMT"), 1_835_438_400)
        XCTAssertNil(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT"), "RFC 850 form")
        XCTAssertNil(HTTPDate.parse("Sun Nov  6 08:49:37 1994"), "asctime form")
        XCTAssertNil(HTTPDate.parse("Sun, 06 Nov 1994 25:49:37 GMT"))
        XCTAssertNil(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 CET"))
    }

    func testKeyURLsAreHTTPSOrLoopbackWithTheFlag() {
        XCTAssertNil(KeySetURL.problem("https://idp.example.com/jwks", allowInsecure: false))
        XCTAssertNil(KeySetURL.problem("http://127.0.0.1:8080/jwks", allowInsecure: true))
        XCTAssertNil(KeySetURL.problem("http://[::1]:8080/jwks", allowInsecure: true))
        XCTAssertNotNil(KeySetURL.problem("http://127.0.0.1:8080/jwks", allowInsecure: false))
        XCTAssertNotNil(KeySetURL.problem("http://idp.example.com/jwks", allowInsecure: true))
        XCTAssertNotNil(KeySetURL.problem("https://user@idp.example.com/jwks", allowInsecure: false))
        XCTAssertNotNil(KeySetURL.problem("ftp://idp.example.com/jwks", allowInsecure: true))
        XCTAssertNotNil(KeySetURL.problem("https://idp.example.com:x/jwks", allowInsecure: false))
    }

    func testRedirectsOnlyToHTTPSOnTheSameHostAndPort() {
        XCTAssertTrue(KeySetURL.mayRedirect(from: "https://idp.example.com/a", to: "https://IDP.example.com:443/b"))
        XCTAssertFalse(KeySetURL.mayRedirect(from: "https://idp.example.com/a", to: "http://idp.example.com/b"))
        XCTAssertFalse(KeySetURL.mayRedirect(from: "https://idp.example.com/a", to: "https://evil.example.com/b"))
        XCTAssertFalse(KeySetURL.mayRedirect(from: "https://idp.example.com/a", to: "https://idp.example.com:8443/b"))
        XCTAssertFalse(KeySetURL.mayRedirect(from: "http://127.0.0.1:9000/a", to: "http://127.0.0.1:9000/b"), "never to http")
        XCTAssertFalse(KeySetURL.mayRedirect(from: "https://idp.example.com/a", to: "/b"), "relative targets are not followed")
    }

    func testIntervalsAreClampedWithJitterAndBackoffDoubles() {
        let refresh = RemoteKeys.Refresh(defaultInterval: 600, minInterval: 60, maxInterval: 3600, maxStale: 86_400, cooldown: 30)
        for _ in 0..<100 {
            XCTAssert((540...660).contains(KeyRefresher.interval(nil, refresh)))
            XCTAssert((54...66).contains(KeyRefresher.interval(5, refresh)), "max-age under min is raised to min")
            XCTAssert((3240...3960).contains(KeyRefresher.interval(86_400, refresh)), "max-age over max is lowered to max")
            XCTAssert((270...330).contains(KeyRefresher.interval(300, refresh)))
        }
        XCTAssertEqual((1...8).map { KeyRefresher.backoff(failures: $0, refresh) }, [1, 2, 4, 8, 16, 32, 64, 128])
        XCTAssertEqual(KeyRefresher.backoff(failures: 40, refresh), 3600)
    }
}
