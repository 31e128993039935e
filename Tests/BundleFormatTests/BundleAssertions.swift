import BundleFormat
import XCTest

/// The error reading `bytes` gives, or nil when it reads.
func readError(_ bytes: [UInt8], trusting keys: [BundleTrustedKey] = []) -> BundleError? {
    do {
        _ = try BundleReader(trustedKeys: keys).read(bytes)
        return nil
    } catch {
        return error
    }
}

/// Fails unless reading `bytes` is refused as malformed (a semantic check, not the digest).
func assertMalformed(_ bytes: [UInt8], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    switch readError(bytes) {
    case .malformed?: break
    case let other?: XCTFail("\(message): expected a malformed bundle, got \(other)", file: file, line: line)
    case nil: XCTFail("\(message): the bundle was accepted", file: file, line: line)
    }
}
