import Diagnostics
import Foundation
import XCTest

/// The examples of docs/diagnostics.md: for every code, `docs/diagnostic-examples/<code>/failing`
/// run as a user would (`gatepass check .`, or the command in its `ARGS` file) yields exactly
/// that code (or, for a code no input can reach first, the one its `EXPECT` file names, with
/// a `NOTE` saying why), and `…/fixed` yields no diagnostic at all; the document shows both.
final class DiagnosticExampleTests: XCTestCase {
    static let examples = GoldenFile.repositoryRoot.appendingPathComponent("docs/diagnostic-examples")

    /// The codes of every diagnostic a run printed (JSON diagnostics on stdout).
    func codes(_ side: URL) throws -> (codes: [String], transcript: String) {
        let argsFile = side.appendingPathComponent("ARGS")
        var arguments = ["check", "."]
        if let text = try? String(contentsOf: argsFile, encoding: .utf8) {
            arguments = text.split(whereSeparator: \.isWhitespace).map(String.init)
        }
        let output = try GatepassProcess.run(arguments + ["--format", "json"], in: side)
        let transcript = output.transcript(command: arguments)
        let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
        var found: [String] = []
        func collect(_ node: Any) {
            if let dictionary = node as? [String: Any] {
                if let code = dictionary["code"] as? String, code.hasPrefix("GP") { found.append(code) }
                for value in dictionary.values { collect(value) }
            } else if let array = node as? [Any] {
                for item in array { collect(item) }
            }
        }
        collect(object)
        return (found, transcript)
    }

    /// What a user sees: the text diagnostics (standard error), then the summary (standard
    /// output), pinned in `<code>/output.txt` and shown by the document. Re-record with
    /// `GATEPASS_RECORD_GOLDEN=1`, then run scripts/diagnostics-doc.py.
    func testTheTextOutputOfEachFailingExampleIsPinned() throws {
        let record = ProcessInfo.processInfo.environment["GATEPASS_RECORD_GOLDEN"] == "1"
        for code in DiagnosticCode.all {
            let directory = Self.examples.appendingPathComponent(code.id)
            let side = directory.appendingPathComponent("failing")
            guard FileManager.default.fileExists(atPath: side.path) else { continue }
            var arguments = ["check", "."]
            if let text = try? String(contentsOf: side.appendingPathComponent("ARGS"), encoding: .utf8) {
                arguments = text.split(whereSeparator: \.isWhitespace).map(String.init)
            }
            let output = try GatepassProcess.run(arguments, in: side)
            let actual = output.stderr + output.stdout
            let golden = directory.appendingPathComponent("output.txt")
            if record {
                try Data(actual.utf8).write(to: golden)
                continue
            }
            let expected = (try? String(contentsOf: golden, encoding: .utf8)) ?? ""
            XCTAssertEqual(actual, expected, "\(code.id): the output differs from \(code.id)/output.txt (GATEPASS_RECORD_GOLDEN=1 re-records it)")
        }
        if record { XCTFail("recorded the example outputs; run scripts/diagnostics-doc.py and review `git diff docs/`") }
    }

    func testEveryCodeHasAnExample() throws {
        let listed = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(Set(listed), Set(DiagnosticCode.all.map(\.id)), "one example directory per code, no others")
        for code in DiagnosticCode.all {
            for side in ["failing", "fixed"] {
                var isDirectory: ObjCBool = false
                let path = Self.examples.appendingPathComponent(code.id).appendingPathComponent(side).path
                XCTAssertTrue(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue, "\(code.id)/\(side)")
            }
        }
    }

    func testEachFailingExampleYieldsExactlyItsCodeAndEachFixYieldsNothing() throws {
        for code in DiagnosticCode.all {
            let directory = Self.examples.appendingPathComponent(code.id)
            guard FileManager.default.fileExists(atPath: directory.path) else { continue }
            let failingURL = directory.appendingPathComponent("failing")
            let failing = try codes(failingURL)
            var expected = code.id
            if let text = try? String(contentsOf: failingURL.appendingPathComponent("EXPECT"), encoding: .utf8) {
                expected = text.trimmingCharacters(in: .whitespacesAndNewlines)
                XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("NOTE").path), "\(code.id): an EXPECT needs a NOTE")
                XCTAssertNotEqual(expected, code.id)
            }
            XCTAssertFalse(failing.codes.isEmpty, "\(code.id): the failing example yields nothing\n\(failing.transcript)")
            XCTAssertEqual(Set(failing.codes), [expected], "\(code.id): the failing example must yield exactly \(expected)\n\(failing.transcript)")
            let fixed = try codes(directory.appendingPathComponent("fixed"))
            XCTAssertFalse(fixed.codes.contains(code.id), "\(code.id): the fix still yields it\n\(fixed.transcript)")
            XCTAssertEqual(fixed.codes, [], "\(code.id): the fix must be clean\n\(fixed.transcript)")
        }
    }

    /// docs/diagnostics.md shows every example as generated by scripts/diagnostics-doc.py.
    func testTheDocumentShowsEveryExample() throws {
        let document = try String(contentsOf: GoldenFile.repositoryRoot.appendingPathComponent("docs/diagnostics.md"), encoding: .utf8)
        for code in DiagnosticCode.all {
            guard let start = document.range(of: "### \(code.id): \(code.title)\n") else {
                XCTFail("docs/diagnostics.md has no example section for \(code.id): run scripts/diagnostics-doc.py")
                continue
            }
            let section = document[start.upperBound...]
            let end = section.range(of: "\n### ")?.lowerBound ?? section.endIndex
            let text = String(section[..<end])
            let directory = Self.examples.appendingPathComponent(code.id)
            for side in ["failing", "fixed"] {
                let sideURL = directory.appendingPathComponent(side)
                let files = FileManager.default.enumerator(atPath: sideURL.path)?.compactMap { $0 as? String } ?? []
                for name in files where name != "ARGS" && name != "EXPECT" {
                    var isDirectory: ObjCBool = false
                    let path = sideURL.appendingPathComponent(name).path
                    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                          let contents = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                    XCTAssertTrue(text.contains(contents.trimmingCharacters(in: .newlines)), "\(code.id) \(side)/\(name) is not shown as it is: run scripts/diagnostics-doc.py")
                }
            }
        }
    }
}
