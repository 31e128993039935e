import Foundation
import FuzzTargets
import XCTest

/// Replays, in-process and without libFuzzer, every input under `Fuzz/regressions/<target>/`
/// (each input that ever crashed or broke a property of a fuzz target, kept after the
/// fix) and every seed under `Fuzz/corpus/<target>/`, through the same entry points the
/// fuzz executables call.
final class FuzzRegressionTests: XCTestCase {
    static let root = FuzzTarget.repositoryRoot + "/Fuzz"

    func files(_ folder: String, _ target: FuzzTarget) -> [String] {
        let directory = "\(Self.root)/\(folder)/\(target.rawValue)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(directory)/\($0)" }
    }

    func replay(_ folder: String, minimum: Int) throws {
        for target in FuzzTarget.allCases {
            let paths = files(folder, target)
            XCTAssertGreaterThanOrEqual(paths.count, minimum, "\(folder)/\(target.rawValue)")
            for path in paths {
                let bytes = try XCTUnwrap(FileManager.default.contents(atPath: path), path)
                if let problem = target.run(Array(bytes)) {
                    XCTFail("\(path): \(problem)")
                }
            }
        }
    }

    func testEveryFindingStaysFixed() throws {
        try replay("regressions", minimum: 0)
    }

    func testEverySeedPasses() throws {
        try replay("corpus", minimum: 3)
    }

    /// The request target's reference normaliser reads the examples of docs/semantics.md
    /// as the document does (so agreeing with it means something).
    func testReferenceNormaliserFollowsTheDocumentedExamples() {
        let examples: [(String, String)] = [
            ("/admin#/public", "/admin"), ("/a?b#c", "/a"), ("*", "refused: target_not_absolute_path"),
            ("/%61dmin", "/admin"), ("/%2561", "/%2561"), ("/%c3%a9", "/%C3%A9"), ("/a%2Fb", "refused: encoded_slash"),
            ("/a%5cb", "refused: encoded_backslash"), ("/a%3Bb", "refused: encoded_semicolon"), ("/a%00", "refused: control_character"),
            ("/a%2", "refused: broken_escape"), ("/%C0%AF", "refused: invalid_utf8"), ("/%ED%A0%80", "refused: invalid_utf8"),
            ("/%C3", "refused: invalid_utf8"), ("/a b", "refused: space"), ("/a\\b", "refused: backslash"), ("/a;b", "refused: semicolon"),
            ("/admin.", "refused: trailing_dot_or_space"), ("/admin..", "refused: trailing_dot_or_space"),
            ("/admin%2E", "refused: trailing_dot_or_space"), ("/a/.../b", "refused: trailing_dot_or_space"),
            ("/admin%20", "refused: trailing_dot_or_space"), ("/v1.2", "/v1.2"), ("/.well-known", "/.well-known"),
            ("/file..txt", "/file..txt"), ("/%EF%BC%A1dmin", "refused: fullwidth_form"), ("/%EF%BF%AF", "refused: fullwidth_form"),
            ("/%EF%BF%B0", "/%EF%BF%B0"), ("/a//../b", "refused: ambiguous_dot_segment"), ("//../admin", "refused: ambiguous_dot_segment"),
            ("/a//./../b", "refused: ambiguous_dot_segment"), ("/v1/admin//x/../../catalog", "refused: ambiguous_dot_segment"),
            ("//admin", "/admin"), ("/../admin", "/admin"), ("/public/../admin", "/admin"), ("/public/%2e%2e/admin", "/admin"),
            ("/admin/", "/admin"), ("/", "/"), ("/!$&'()*+,=:@", "/!$&'()*+,=:@"),
        ]
        for (target, expected) in examples {
            XCTAssertEqual(referenceNormalizedPath(target), expected, target)
        }
        let deep = String(repeating: "/a", count: 65) + "/.."
        XCTAssertEqual(referenceNormalizedPath(deep), "refused: ambiguous_dot_segment")
    }

    /// The checks can fail: a broken property is reported, not swallowed.
    func testABrokenPropertyIsReported() {
        XCTAssertNil(FuzzTarget.request.run(Array("api.example.com\n/admin/../v1\n".utf8)))
        let json = Array(#"{"a":[1,-0.5e1,true,null,"\u00e9"]}"#.utf8)
        XCTAssertNil(FuzzTarget.json.run(json))
        XCTAssertNil(strictJSONDisagreement(json, foundationValue: ["a": [1, -5.0, true, NSNull(), "é"]]))
        XCTAssertNotNil(strictJSONDisagreement(json, foundationValue: ["a": [1, 5.0, true, NSNull(), "é"]]))
        XCTAssertNotNil(strictJSONDisagreement(json, foundationValue: ["a": [1, -5.0, 1, NSNull(), "é"]]))
        XCTAssertNotNil(strictJSONDisagreement(json, foundationValue: ["a": [1, -5.0, true, NSNull(), "e"]]))
    }
}
