import BundleFormat
import Runtime
import XCTest

/// Normalises a request with just this target (and a fixed, valid host).
func normalized(_ target: String, file: StaticString = #filePath, line: UInt = #line) -> NormalizedRequest? {
    switch RequestNormalizer.normalize(HTTPRequest(host: "example.com", target: target)) {
    case .success(let request):
        return request
    case .failure(let problem):
        XCTFail("`\(target)` was refused: \(problem)", file: file, line: line)
        return nil
    }
}

/// Asserts that `target` normalises to `path`.
func assertPath(_ target: String, _ path: String, file: StaticString = #filePath, line: UInt = #line) {
    guard let request = normalized(target, file: file, line: line) else { return }
    XCTAssertEqual(request.path, path, "target `\(target)`", file: file, line: line)
    let rejoined = "/" + request.pathSegments.joined(separator: "/")
    XCTAssertEqual(rejoined, path, "segments of `\(target)`", file: file, line: line)
}

/// Asserts that the target is refused with `code`.
func assertRefused(_ target: String, _ code: BadRequest.Code, file: StaticString = #filePath, line: UInt = #line) {
    assertRefused(HTTPRequest(host: "example.com", target: target), code, file: file, line: line)
}

func assertRefused(_ request: HTTPRequest, _ code: BadRequest.Code, file: StaticString = #filePath, line: UInt = #line) {
    switch RequestNormalizer.normalize(request) {
    case .success(let normalized):
        XCTFail("`\(request.target)` (host \(String(describing: request.host))) was accepted as `\(normalized.path)`; expected \(code)",
                file: file, line: line)
    case .failure(let problem):
        XCTAssertEqual(problem.code, code, "target `\(request.target)`: \(problem.message)", file: file, line: line)
    }
}

/// The normalised host of a request with this `host` field.
func host(_ host: String?, headers: [HTTPHeader] = [], file: StaticString = #filePath, line: UInt = #line) -> NormalizedHost? {
    switch RequestNormalizer.normalize(HTTPRequest(host: host, target: "/", headers: headers)) {
    case .success(let request):
        return request.host
    case .failure(let problem):
        XCTFail("host `\(host ?? "nil")` was refused: \(problem)", file: file, line: line)
        return nil
    }
}

func assertHostRefused(_ host: String?, headers: [HTTPHeader] = [], _ code: BadRequest.Code = .invalidHost,
                       file: StaticString = #filePath, line: UInt = #line) {
    assertRefused(HTTPRequest(host: host, target: "/", headers: headers), code, file: file, line: line)
}

func hostName(_ name: String) -> NormalizedHost {
    .name(name, labelsReversed: HostLabels(name: name))
}
