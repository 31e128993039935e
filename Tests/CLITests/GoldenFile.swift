import Foundation
import XCTest

/// Compares produced text with a golden file under `Golden/`.
///
/// To re-record on purpose: `GATEPASS_RECORD_GOLDEN=1 swift test --filter CLITests`.
/// A recording run writes the files and then fails, so nobody records by accident.
enum GoldenFile {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var isRecording: Bool {
        ProcessInfo.processInfo.environment["GATEPASS_RECORD_GOLDEN"] == "1"
    }

    static func assertMatches(_ actual: String, golden relativePath: String, file: StaticString = #filePath, line: UInt = #line) {
        let url = repositoryRoot.appendingPathComponent("Golden").appendingPathComponent(relativePath)
        if isRecording {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try? Data(actual.utf8).write(to: url)
            XCTFail("recorded \(relativePath); run the tests again without GATEPASS_RECORD_GOLDEN", file: file, line: line)
            return
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            XCTFail("missing golden file Golden/\(relativePath); record it with GATEPASS_RECORD_GOLDEN=1", file: file, line: line)
            return
        }
        let expected = String(decoding: data, as: UTF8.self)
        if expected != actual {
            XCTFail("output differs from Golden/\(relativePath) (- golden, + actual):\n" + LineDiff.render(expected, actual),
                    file: file, line: line)
        }
    }
}

/// A small line diff (longest common subsequence), enough to read a golden mismatch.
enum LineDiff {
    static func render(_ old: String, _ new: String) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false)
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                table[i][j] = a[i] == b[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var out: [String] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                out.append("  " + a[i]); i += 1; j += 1
            } else if j < b.count, i == a.count || table[i][j + 1] >= table[i + 1][j] {
                out.append("+ " + b[j]); j += 1
            } else {
                out.append("- " + a[i]); i += 1
            }
        }
        return out.joined(separator: "\n")
    }
}
