import BundleFormat
import Compiler
import XCTest

/// The rule semantics of the specification, one example at a time, on the compiled
/// program of `Tests/Fixtures/compile/semantics/`.
final class RuleSemanticsTests: XCTestCase {
    /// (entry, host, path, protected?)
    static let cases: [(String, String?, String, Bool)] = [
        ("public-tree", "a.example.com", "/public", true),
        ("public-tree", "a.example.com", "/public/a/b", true),
        ("public-tree", "a.example.com", "/public/", true),
        ("public-tree", "a.example.com", "/PUBLIC/x", true),
        ("public-tree", "a.example.com", "/publicity", false),
        ("public-tree", "a.example.com", "/", false),
        ("public-tree", "x.y.example.com", "/public", true),
        ("public-tree", "A.Example.COM", "/public", true),
        ("public-tree", "example.com", "/public", false),
        ("public-tree", "badexample.com", "/public", false),
        ("public-tree", "a.badexample.com", "/public", false),
        ("public-tree", "example.com.evil", "/public", false),
        ("public-tree", nil, "/public", false),
        ("exact-host", "api.example.com", "/users/42/profile", true),
        ("exact-host", "api.example.com", "/users/42/profile/", true),
        ("exact-host", "API.EXAMPLE.COM", "/users/42/profile", true),
        ("exact-host", "api.example.com", "/users/profile", false),
        ("exact-host", "api.example.com", "/users/1/2/profile", false),
        ("exact-host", "api.example.com", "/users/42/profile/x", false),
        ("exact-host", "www.api.example.com", "/users/42/profile", false),
        ("exact-host", "example.com", "/users/42/profile", false),
        ("root-only", "root.test", "/", true),
        ("root-only", "root.test", "/a", false),
        ("root-only", "tree.test", "/", true),
        ("root-only", "tree.test", "/a/b/c", true),
        ("root-only", "bare.test", "/", true),
        ("root-only", "bare.test", "/any/thing", true),
        ("root-only", "a.bare.test", "/", false),
        ("root-only", nil, "/", false),
        ("any-host", nil, "/health", true),
        ("any-host", nil, "/health/", true),
        ("any-host", "anything.example", "/health", true),
        ("any-host", nil, "/health/x", false),
        ("any-host", nil, "/metrics", true),
        ("any-host", "m.test", "/metrics/a/b", true),
        ("any-host", nil, "/", false),
        ("case-rules", "folded.test", "/admin", true),
        ("case-rules", "folded.test", "/ADMIN", true),
        ("case-rules", "folded.test", "/aDmIn/", true),
        ("case-rules", "strict.test", "/Admin", true),
        ("case-rules", "strict.test", "/admin", false),
        ("case-rules", "strict.test", "/ADMIN", false),
        ("white", "white.test", "/public", false),
        ("white", "white.test", "/public/a", false),
        ("white", "white.test", "/PUBLIC", true),
        ("white", "white.test", "/", false),
        ("white", "white.test", "/private", true),
        ("white", "white.test", "/docs", false),
        ("white", "white.test", "/DOCS", false),
        ("white", "www.white.test", "/public", true),
        ("white", "other.test", "/public", true),
        ("white", nil, "/", true),
    ]

    func testEachRuleShapeMatchesAsSpecified() throws {
        let program = try compile([compileFixture("semantics")]).program
        for (entry, host, path, expected) in Self.cases {
            let request = Request(host: host, path: path)
            XCTAssertEqual(protectingNames(program, request).contains(entry), expected, "\(entry) on \(request)")
        }
    }

    func testTheReferenceMatcherAgreesWithTheExamples() throws {
        let entries = try compile([compileFixture("semantics")]).policySet.entries
        for (entry, host, path, expected) in Self.cases {
            let request = Request(host: host, path: path)
            XCTAssertEqual(ReferenceMatcher.protecting(entries, request).contains(entry), expected, "\(entry) on \(request)")
        }
    }

    /// Hosts compare case-insensitively, and `TrieWalk` is the reference walk the runtime
    /// is compared with: it folds path segments itself, but looks host labels up as
    /// given, so `API.EXAMPLE.COM` misses the lowercased edges and nothing is protected.
    func testtrieWalkComparesHostLabelsCaseSensitively() throws {
        let program = try compile([compileFixture("semantics")]).program
        let upper = TrieWalk.protecting(program, reversedLabels: ["COM", "EXAMPLE", "API"], segments: ["users", "42", "profile"])
        let lower = TrieWalk.protecting(program, reversedLabels: ["com", "example", "api"], segments: ["users", "42", "profile"])
        XCTAssertEqual(upper, lower)
    }
}
