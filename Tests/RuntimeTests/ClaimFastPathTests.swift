import BundleFormat
import JOSE
@testable import Runtime
import XCTest

/// A string claim's requirement is checked on its bytes in the payload when it can be
/// (``ClaimEvaluation/holds(_:string:)``); that answer must be the built value's, for every
/// operation, or the fast path would allow what the slow path refuses.
final class ClaimFastPathTests: XCTestCase {
    static let strings = ["", "a", "api:read", "api:read api:write", "  api:read  ", "api:readx", "é", "e\u{301}",
                          "read write", "write", "1", "true", "x\u{0}y", String(repeating: "w ", count: 40) + "api:read"]
    static let literals: [ClaimLiteral] = [.string(""), .string("api:read"), .string("api:write"), .string("read write"),
                                           .string("é"), .string("e\u{301}"), .string("1"), .number(1), .boolean(true), .string("w")]

    static var operations: [ClaimCheck.Operation] {
        var operations: [ClaimCheck.Operation] = [.present, .absent, .atLeast(0), .atMost(10)]
        operations += [ClaimValueType.string, .number, .integer, .boolean, .stringArray].map { .hasType($0) }
        for literal in literals {
            operations += [.equals(literal), .contains(literal)]
        }
        for pair in zip(literals, literals.dropFirst()) {
            let list = [pair.0, pair.1]
            operations += [.oneOf(list), .containsAll(list), .containsAny(list), .oneOf([]), .containsAll([]), .containsAny([])]
        }
        return operations
    }

    func testTheBytesAnswerAsTheBuiltStringDoes() {
        var compared = 0
        for string in Self.strings {
            let built = JSONValue.string(string, span: 0..<0)
            for operation in Self.operations {
                var copy = string
                let inPlace = copy.withUTF8 { ClaimEvaluation.holds(operation, string: $0) }
                XCTAssertEqual(inPlace, ClaimEvaluation.holds(operation, built), "\(operation) on \(string.debugDescription)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 500)
    }
}
