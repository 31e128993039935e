import JOSE
import XCTest

/// ISO 8601 UTC times in messages, checked against dates computed independently.
final class TimeTextTests: XCTestCase {
    func testCalendarDates() {
        XCTAssertEqual(TimeText.iso8601(0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(TimeText.iso8601(951_782_400), "2000-02-29T00:00:00Z")
        XCTAssertEqual(TimeText.iso8601(1_796_148_556), "2026-12-01T18:09:16Z")
        XCTAssertEqual(TimeText.iso8601(-1), "1969-12-31T23:59:59Z")
        XCTAssertEqual(TimeText.iso8601(253_402_300_799), "9999-12-31T23:59:59Z")
        XCTAssertEqual(TimeText.iso8601(1_767_222_000.75), "2025-12-31T23:00:00Z")
        XCTAssertNil(TimeText.iso8601(253_402_300_800))
        XCTAssertNil(TimeText.iso8601(.nan))
    }

    func testEveryDayOfFourHundredYearsRoundTrips() {
        // Consecutive days must give consecutive, well-formed dates.
        var previous = TimeText.iso8601(-86_400)!
        for day in 0..<(146_097) {
            let text = TimeText.iso8601(Double(day) * 86_400)!
            XCTAssertLessThan(previous, text)
            XCTAssertTrue(text.hasSuffix("T00:00:00Z"))
            previous = text
        }
        XCTAssertEqual(previous, "2369-12-31T00:00:00Z")
    }

    func testDescriptionsAndNumbers() {
        XCTAssertEqual(TimeText.describe(1_767_222_000), "2025-12-31T23:00:00Z (1767222000)")
        XCTAssertEqual(TimeText.number(60), "60")
        XCTAssertEqual(TimeText.number(0.5), "0.5")
        XCTAssertEqual(TimeText.describe(1e300), "1e+300")
    }
}
