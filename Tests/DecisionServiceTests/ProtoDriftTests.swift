import BundleFormat
import Foundation
import XCTest

/// The committed generated code in Sources/ExtAuthzProto must come from the committed
/// Protos/: scripts/generate-protos records each .proto's SHA-256 in PROTO-SHA256, and
/// this test recomputes them (cheap; CI never builds the protoc plugins). For a full
/// regeneration diff, run `scripts/generate-protos --check`.
final class ProtoDriftTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testGeneratedCodeMatchesTheProtos() throws {
        let manifestURL = Self.root.appendingPathComponent("Sources/ExtAuthzProto/PROTO-SHA256")
        let manifest = try String(contentsOf: manifestURL, encoding: .utf8)
        var recorded: [String: String] = [:]
        for line in manifest.split(separator: "\n") where line.hasPrefix("sha256 ") {
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.count, 3, String(line))
            recorded[String(parts[2])] = String(parts[1])
        }
        let protos = Self.root.appendingPathComponent("Protos")
        var actual: [String: String] = [:]
        let enumerator = try XCTUnwrap(FileManager.default.enumerator(atPath: protos.path))
        for case let path as String in enumerator where path.hasSuffix(".proto") {
            let bytes = try Data(contentsOf: protos.appendingPathComponent(path))
            actual[path] = SHA256.hex([UInt8](bytes))
        }
        XCTAssertFalse(actual.isEmpty)
        XCTAssertEqual(recorded, actual, "Protos/ changed since Sources/ExtAuthzProto was generated: run scripts/generate-protos")
        let generated = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Sources/ExtAuthzProto").path)
        for path in actual.keys {
            let stem = path.replacingOccurrences(of: ".proto", with: "").replacingOccurrences(of: "/", with: "_")
            XCTAssertTrue(generated.contains("\(stem).pb.swift"), "no generated code for \(path)")
        }
    }
}
