import Foundation
import JOSE
import XCTest

/// Shared helpers: fixture loading relative to this file, key sets from JSON, bit flips.
enum Support {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// Validates JWKS text and asserts it has no error.
    static func keys(_ json: String, file: StaticString = #filePath, line: UInt = #line) -> [JWK] {
        let result = JWKSValidation.validate(json: Array(json.utf8))
        XCTAssertFalse(result.hasErrors, "\(result.issues.map(\.message))", file: file, line: line)
        return result.keys
    }

    static func verifier(_ json: String, policy: TokenPolicy) throws -> JWTVerifier {
        JWTVerifier(keys: try KeySet(jwks: keys(json)), policy: policy)
    }

    /// Every token made by flipping one bit of one decoded segment (re-encoded canonically).
    static func singleBitFlips(of token: String) -> [(segment: Int, bit: Int, token: String)] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var out: [(Int, Int, String)] = []
        for segment in 0..<3 {
            guard case .success(let bytes) = Base64URL.decode(parts[segment]) else { continue }
            for bit in 0..<(bytes.count * 8) {
                var flipped = bytes
                flipped[bit / 8] ^= UInt8(1 << (bit % 8))
                var copy = parts
                copy[segment] = Base64URL.encode(flipped)
                out.append((segment, bit, copy.joined(separator: ".")))
            }
        }
        return out
    }

    static func b64(_ text: String) -> String { Base64URL.encode(Array(text.utf8)) }

    static func decode(_ text: String) -> [UInt8] {
        guard case .success(let bytes) = Base64URL.decode(text) else { fatalError("bad base64url in test: \(text)") }
        return bytes
    }

    static func code(_ result: VerificationResult) -> VerificationFailure.Code? { result.failure?.code }
}

extension Result {
    /// The error, when this is a failure.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
