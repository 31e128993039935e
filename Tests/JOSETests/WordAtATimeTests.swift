import JOSE
import XCTest

/// The dot scan (`memchr`, vectorised) and the base64url decoder (four characters at a
/// time through shifted tables) read many bytes at once; every position of a dot or a bad
/// character relative to those blocks must give the byte-at-a-time answer.
final class WordAtATimeTests: XCTestCase {
    func testSegmentCountsWithDotsAtEveryOffset() {
        for length in 0..<40 {
            for dots in 0..<7 {
                var bytes = [UInt8](repeating: UInt8(ascii: "A"), count: length + dots)
                var positions: [Int] = []
                for index in 0..<dots {
                    let position = (index * 7 + length) % bytes.count
                    if !positions.contains(position) { positions.append(position) }
                }
                for position in positions { bytes[position] = UInt8(ascii: ".") }
                let result = JWSToken.parse(utf8: bytes)
                switch positions.count {
                case 2: XCTAssertNotEqual(result.failure?.malformedReason, .segmentCount(3))
                case 4: XCTAssertEqual(result.failure?.malformedReason, .jwe)
                default: XCTAssertEqual(result.failure?.malformedReason, .segmentCount(positions.count + 1))
                }
            }
        }
    }

    func testBase64URLRoundTripAndFirstBadCharacterAtEveryOffset() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<48 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Base64URL.encode(bytes)
            XCTAssertEqual(try Base64URL.decode(text).get(), bytes)
            for position in 0..<text.utf8.count {
                for bad in ["=", " ", "\n", "+"] {
                    var broken = Array(text.utf8)
                    broken[position] = UInt8(ascii: Unicode.Scalar(bad)!)
                    if position + 1 < broken.count { broken[broken.count - 1] = UInt8(ascii: "*") }
                    switch Base64URL.decode(broken) {
                    case .success: XCTFail("accepted a bad character at \(position)")
                    case .failure(let error): XCTAssertEqual(error.offset, position)
                    }
                }
            }
        }
    }
}
