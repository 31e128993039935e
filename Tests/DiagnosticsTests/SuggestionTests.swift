import Diagnostics
import XCTest

/// "Did you mean" by edit distance.
final class SuggestionTests: XCTestCase {
    private let entryKeys = [
        "version", "name", "enabled", "type", "issuer", "subject", "audiences", "algorithms",
        "clockSkew", "requireExpiration", "maxLifetime", "jwks", "jwksFile", "token", "claims",
        "forwardClaims", "authorization",
    ]

    func testOneEditAway() {
        XCTAssertEqual(Suggestion.closest(to: "isuer", in: entryKeys), "issuer")
        XCTAssertEqual(Suggestion.closest(to: "jwk", in: entryKeys), "jwks")
        XCTAssertEqual(Suggestion.closest(to: "audience", in: entryKeys), "audiences")
        XCTAssertEqual(Suggestion.closest(to: "authorisation", in: entryKeys), "authorization")
    }

    func testAdjacentTranspositionCountsAsOneEdit() {
        XCTAssertEqual(Suggestion.closest(to: "isseur", in: entryKeys), "issuer")
        XCTAssertEqual(Suggestion.closest(to: "tpye", in: entryKeys), "type")
    }

    func testCaseIsIgnoredButTheCandidateIsReturnedAsSpelt() {
        XCTAssertEqual(Suggestion.closest(to: "clockskew", in: entryKeys), "clockSkew")
        XCTAssertEqual(Suggestion.closest(to: "JWKSFILE", in: entryKeys), "jwksFile")
    }

    func testLongerWordsTolerateMoreEdits() {
        // `requireExpiration` (17 characters) allows 3 edits; `type` (4) allows 2; `name` allows 2.
        XCTAssertEqual(Suggestion.closest(to: "requireExpiry", in: entryKeys), nil, "5 edits away")
        XCTAssertEqual(Suggestion.closest(to: "requireExpirtn", in: entryKeys), "requireExpiration")
        XCTAssertEqual(Suggestion.closest(to: "nm", in: ["name"]), "name")
        XCTAssertNil(Suggestion.closest(to: "n", in: ["name"]))
    }

    func testNothingCloseEnough() {
        XCTAssertNil(Suggestion.closest(to: "permissions", in: entryKeys))
        XCTAssertNil(Suggestion.closest(to: "x", in: []))
    }

    func testTheClosestOfSeveralWins() {
        XCTAssertEqual(Suggestion.closest(to: "jwksFil", in: entryKeys), "jwksFile")
        XCTAssertEqual(Suggestion.closest(to: "header", in: ["header", "query", "cookie"]), "header")
    }
}
