import Diagnostics
import Foundation
import XCTest

/// Documentation that must stay in step with the code.
final class DocumentationTests: XCTestCase {
    func read(_ path: String) throws -> String {
        try String(contentsOf: GoldenFile.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    func testEveryDiagnosticCodeIsDocumentedOnce() throws {
        let text = try read("docs/diagnostics.md")
        for code in DiagnosticCode.all {
            XCTAssertTrue(text.contains("| \(code.id) | \(code.title) |"), "docs/diagnostics.md lacks \(code.id): \(code.title)")
            XCTAssertEqual(text.components(separatedBy: "| \(code.id) |").count - 1, 1, "\(code.id) listed more than once")
        }
        XCTAssertEqual(Set(DiagnosticCode.all.map(\.id)).count, DiagnosticCode.all.count, "duplicate code ids")
    }

    func testReadmeQuickStartHasExactlyTwoCommands() throws {
        let readme = try read("README.md")
        guard let start = readme.range(of: "## Quick start") else { return XCTFail("README has no Quick start") }
        let section = readme[start.upperBound...]
        guard let open = section.range(of: "```sh\n"), let close = section[open.upperBound...].range(of: "```") else {
            return XCTFail("Quick start has no sh block")
        }
        let commands = section[open.upperBound..<close.lowerBound].split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(commands.count, 2, "Quick start must be exactly two commands")
    }
}
