import Diagnostics
import TestSupport
import XCTest

/// Collecting diagnostics, counting them, and putting them in reading order.
final class DiagnosticBagTests: XCTestCase {
    func testCountsBySeverity() {
        var bag = DiagnosticBag()
        XCTAssertFalse(bag.hasErrors)
        bag.warning(.noPolicyFiles, "no policy files", at: nil)
        XCTAssertFalse(bag.hasErrors)
        bag.error(.yamlSyntax, "invalid YAML", at: nil)
        bag.error(.unknownKey, "unknown key", at: nil)
        bag.note(.duplicateKey, "a note", at: nil)
        XCTAssertEqual(bag.errorCount, 2)
        XCTAssertEqual(bag.warningCount, 1)
        XCTAssertTrue(bag.hasErrors)
        XCTAssertEqual(bag.diagnostics.map(\.severity), [.warning, .error, .error, .note])
    }

    func testSortedIsByPathThenOffsetThenCodeThenInsertion() {
        let a = MarkedSource("⟨x⟩: 1\n⟨y⟩: 2\n", path: "a.yaml")
        let b = MarkedSource("⟨z⟩: 1\n", path: "b.yaml")
        var bag = DiagnosticBag()
        bag.error(.unknownKey, "b first line", at: b[0])
        bag.error(.unknownKey, "a second line", at: a[1])
        bag.error(.unknownKey, "a first line, GP203, first added", at: a[0])
        bag.error(.missingKey, "a first line, GP201", at: a[0])
        bag.error(.unknownKey, "a first line, GP203, second added", at: a[0])
        bag.error(.fileUnreadable, "no location", at: nil)
        XCTAssertEqual(bag.sorted.map(\.message), [
            "no location",
            "a first line, GP201",
            "a first line, GP203, first added",
            "a first line, GP203, second added",
            "a second line",
            "b first line",
        ])
    }

    func testSortedDoesNotReorderTheBag() {
        var bag = DiagnosticBag()
        let source = MarkedSource("⟨a⟩ ⟨b⟩")
        bag.error(.unknownKey, "second", at: source[1])
        bag.error(.unknownKey, "first", at: source[0])
        _ = bag.sorted
        XCTAssertEqual(bag.diagnostics.map(\.message), ["second", "first"])
    }

    func testSeverityOrder() {
        XCTAssertLessThan(Severity.note, Severity.warning)
        XCTAssertLessThan(Severity.warning, Severity.error)
    }

    func testCodesAreUniqueAndCompareByIdOnly() {
        let ids = DiagnosticCode.all.map(\.id)
        XCTAssertEqual(Set(ids).count, ids.count, "duplicate codes in DiagnosticCode.all")
        for id in ids {
            XCTAssertTrue(id.hasPrefix("GP") && id.count == 5 && id.dropFirst(2).allSatisfy(\.isNumber), "malformed code \(id)")
        }
        XCTAssertEqual(DiagnosticCode("GP203", "other wording"), .unknownKey)
        XCTAssertEqual(DiagnosticCode.unknownKey.description, "GP203")
    }
}
