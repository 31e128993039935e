import BundleFormat
import Compiler
import Diagnostics
import Foundation
import FrontEnd
import XCTest

/// A temporary directory of policy files for one test, removed afterwards.
final class PolicyWorkspace {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gatepass-compile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    var path: String { root.path }

    /// Writes `text` at `relative` (creating folders) and returns the file's path.
    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(at: root.appendingPathComponent(relative))
    }
}

/// What a successful compile gives.
struct Compiled {
    var program: DecisionProgram
    var bundle: [UInt8]
    var policySet: PolicySet
}

/// Compiles `paths` and fails the test (with the diagnostics) unless it succeeds.
func compile(_ paths: [String], revision: String? = nil, signingKey: BundleSigningKey? = nil,
             file: StaticString = #filePath, line: UInt = #line) throws -> Compiled {
    let outcome = Pipeline().compile(paths: paths, revision: revision, signingKey: signingKey)
    guard let program = outcome.program, let bundle = outcome.bundle else {
        let errors = outcome.check.diagnostics.diagnostics.filter { $0.severity == .error }
        let listing = errors.map { "\($0.span.map { "\($0.file.path):\($0.startLocation.line)" } ?? "-"): \($0.message)" }
        XCTFail("compile failed:\n" + listing.joined(separator: "\n"), file: file, line: line)
        throw CompileFailed()
    }
    return Compiled(program: program, bundle: bundle, policySet: outcome.check.policySet)
}

struct CompileFailed: Error {}

/// The repository root, found from this file's place in `Tests/CompilerTests/`.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A folder of `Tests/Fixtures/compile/`.
func compileFixture(_ name: String) -> String {
    repositoryRoot.appendingPathComponent("Tests/Fixtures/compile/\(name)").path
}

/// An HMAC key whose secret the runtime reads from an environment variable.
func environmentJWKS(kid: String = "k1", alg: String = "HS256", variable: String = "TEST_SECRET") -> String {
    "{ keys: [ { kty: oct, kid: \(kid), alg: \(alg), kEnv: \(variable) } ] }"
}
