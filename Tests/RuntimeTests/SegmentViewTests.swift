import Runtime
import XCTest

/// `PathSegments` and `HostLabels`: the allocation-free views the tries walk.
final class SegmentViewTests: XCTestCase {
    func testPathSegmentsIterateInOrder() {
        let segments = PathSegments(path: "/a/bc/d%20e")
        XCTAssertEqual(Array(segments), ["a", "bc", "d%20e"])
        XCTAssertEqual(segments.count, 3)
        XCTAssertFalse(segments.isEmpty)
        XCTAssertEqual(segments, ["a", "bc", "d%20e"])
    }

    func testRootPathHasNoSegments() {
        let root = PathSegments(path: "/")
        XCTAssertEqual(Array(root), [])
        XCTAssertEqual(root.count, 0)
        XCTAssertTrue(root.isEmpty)
        XCTAssertEqual(root, [])
    }

    func testPathSegmentBytesCanBeWalkedAndStopped() {
        var seen: [String] = []
        let finished = PathSegments(path: "/users/42/profile").forEachSegmentUTF8 { bytes in
            seen.append(String(decoding: bytes, as: UTF8.self))
            return seen.count < 2
        }
        XCTAssertFalse(finished)
        XCTAssertEqual(seen, ["users", "42"])
        var none = 0
        XCTAssertTrue(PathSegments(path: "/").forEachSegmentUTF8 { _ in none += 1; return true })
        XCTAssertEqual(none, 0)
    }

    func testHostLabelsIterateFromLastToFirst() {
        let labels = HostLabels(name: "api.eu.example.com")
        XCTAssertEqual(Array(labels), ["com", "example", "eu", "api"])
        XCTAssertEqual(labels.count, 4)
        XCTAssertEqual(labels, ["com", "example", "eu", "api"])
        XCTAssertEqual(Array(HostLabels(name: "localhost")), ["localhost"])
    }

    func testHostLabelBytesCanBeWalkedAndStopped() {
        var seen: [String] = []
        XCTAssertTrue(HostLabels(name: "a.b.c").forEachLabelUTF8 { seen.append(String(decoding: $0, as: UTF8.self)); return true })
        XCTAssertEqual(seen, ["c", "b", "a"])
        seen = []
        XCTAssertFalse(HostLabels(name: "a.b.c").forEachLabelUTF8 { seen.append(String(decoding: $0, as: UTF8.self)); return false })
        XCTAssertEqual(seen, ["c"])
    }

    func testNormalizedRequestExposesBothViews() throws {
        let request = try RequestNormalizer.normalize(HTTPRequest(host: "WWW.Example.com.", target: "/a/./b/")).get()
        XCTAssertEqual(request.pathSegments, ["a", "b"])
        guard case .name(let labels) = request.host else { return XCTFail("not a name") }
        XCTAssertEqual(labels.name, "www.example.com")
        XCTAssertEqual(Array(labels), ["com", "example", "www"])
    }
}
