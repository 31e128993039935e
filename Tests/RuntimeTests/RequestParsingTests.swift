import Runtime
import XCTest

/// `HeaderLookup`, `CookieParser` and `QueryParser` on their own.
final class RequestParsingTests: XCTestCase {
    func testHeaderLookupFindsEveryValueCaseInsensitively() {
        let headers = [HTTPHeader("Accept", "a"), HTTPHeader("X-Id", "1"), HTTPHeader("x-id", "2"), HTTPHeader("X-ID", "3")]
        XCTAssertEqual(Array(HeaderLookup.values(named: "x-id", in: headers)), ["1", "2", "3"])
        XCTAssertEqual(Array(HeaderLookup.values(named: "X-Id", in: headers)), ["1", "2", "3"])
        XCTAssertEqual(HeaderLookup.count(named: "X-ID", in: headers), 3)
        XCTAssertEqual(Array(HeaderLookup.values(named: "x-i", in: headers)), [])
        XCTAssertEqual(HeaderLookup.count(named: "missing", in: headers), 0)
        XCTAssertTrue(HeaderLookup.namesMatch("Content-Type", "content-type"))
        XCTAssertFalse(HeaderLookup.namesMatch("Content-Type", "content-typ"))
    }

    func testCookieParserReadsPairsFromEveryCookieHeader() {
        let headers = [HTTPHeader("Cookie", "a=1; b=\"2\""), HTTPHeader("Accept", "x"), HTTPHeader("cookie", "c=3;;d; =4; e=x=y")]
        let cookies = CookieParser.cookies(from: headers)
        XCTAssertEqual(cookies.map { "\($0.name)=\($0.value)" }, ["a=1", "b=2", "c=3", "e=x=y"])
        XCTAssertEqual(CookieParser.values(named: "b", in: headers), ["2"])
        XCTAssertEqual(CookieParser.values(named: "B", in: headers), [])
    }

    func testCookieParserKeepsALoneQuote() {
        let cookies = Array(CookieParser.cookies(in: "a=\"; b=\"x"))
        XCTAssertEqual(cookies.map { String($0.value) }, ["\"", "\"x"])
    }

    func testQueryParserSplitsOnAmpersandsOnly() {
        let parameters = Array(QueryParser.parameters(in: "a=1&&b&c=&d=x=y&e=1;f=2"[...]))
        XCTAssertEqual(parameters.map { String($0.rawName) }, ["a", "b", "c", "d", "e"])
        XCTAssertEqual(parameters.map(\.value), ["1", "", "", "x=y", "1;f=2"])
        XCTAssertNil(parameters[1].rawValue)
        XCTAssertEqual(parameters[2].rawValue, "")
    }

    func testQueryParserDecodesNamesAndValues() {
        XCTAssertEqual(QueryParser.values(named: "a b", in: "a%20b=c%2Bd+e&a+b=no"[...]), ["c+d+e"])
        XCTAssertEqual(QueryParser.values(named: "k", in: "k=1&K=2&k=3"[...]), ["1", "3"])
        XCTAssertEqual(QueryParser.percentDecode("%41%zz%4"[...]), "A%zz%4")
        XCTAssertEqual(QueryParser.percentDecode("caf%C3%A9"[...]), "café")
        XCTAssertEqual(QueryParser.percentDecode("%FF"[...]), "\u{FFFD}")
        XCTAssertEqual(QueryParser.percentDecode("plain+text"[...]), "plain+text")
    }

    func testRequestKeepsMethodHeadersAndQuery() throws {
        let headers = [HTTPHeader("Accept", "*/*")]
        let request = try RequestNormalizer.normalize(HTTPRequest(method: "POST", host: "example.com", target: "/a?b=1", headers: headers)).get()
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.headers, headers)
        XCTAssertEqual(request.rawQuery, "b=1")
    }

    /// The runtime must not import Foundation (it runs in the data path).
    /// The runtime and JOSE stay small: no Foundation, no libyaml, no front end, no
    /// compiler, no argument parser (and `BundleFormat`, which both share, no front end).
    func testRuntimeAndJOSEImportOnlyWhatTheyMay() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let forbidden = ["Foundation", "CYAML", "FrontEnd", "Compiler", "ArgumentParser", "Diagnostics"]
        for module in ["Runtime", "JOSE"] {
            let sources = root.appendingPathComponent("Sources/\(module)")
            let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
            XCTAssertFalse(files.isEmpty, module)
            for file in files {
                let text = try String(contentsOf: file, encoding: .utf8)
                for line in text.split(separator: "\n") where line.contains("import ") {
                    let words = line.split(separator: " ")
                    guard let last = words.last, words.contains("import") else { continue }
                    XCTAssertFalse(forbidden.contains(String(last)), "\(module)/\(file.lastPathComponent): \(line)")
                }
            }
        }
    }
}
