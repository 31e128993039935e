import BundleFormat
import Compiler
import Diagnostics
import FrontEnd
import Runtime

/// Policy front end: the bytes are one policy file (`fuzz.yaml`) through the whole
/// `check` pipeline (YAML, structure, keys, claims, rules, the set), with its diagnostics
/// rendered as `gatepass check` prints them; a set without errors is lowered, written,
/// read back, loaded and asked one decision. `jwksFile` references read nothing.
enum PolicyTarget {
    static let loader = PolicySetLoader(keyFileSource: { _ in .failure(KeyFileError("no key files while fuzzing")) })

    static func run(_ bytes: [UInt8]) -> String? {
        let file = SourceFile(path: "fuzz.yaml", bytes: bytes)
        let outcome = Pipeline(loader: loader).compile(files: [file], revision: "fuzz")
        let diagnostics = outcome.check.diagnostics.sorted
        _ = TextRenderer().render(diagnostics)
        for diagnostic in diagnostics {
            if let span = diagnostic.span, span.start < 0 || span.end > span.file.bytes.count {
                return "diagnostic \(diagnostic.code) located outside its file: \(span.start)..<\(span.end)"
            }
        }
        guard let bundle = outcome.bundle else {
            if !outcome.check.diagnostics.hasErrors { return "no bundle and no error" }
            return nil
        }
        if outcome.check.diagnostics.hasErrors { return "a bundle despite errors" }
        let program: DecisionProgram
        do {
            program = try BundleReader().read(bundle)
        } catch {
            return "the compiled bundle does not read back: \(error)"
        }
        if BundleWriter().write(program) != bundle { return "the bundle does not round-trip" }
        // Secrets from the environment are given any value: loading may still refuse keys.
        guard let policy = try? PolicyLoader(environment: { _ in String(repeating: "k", count: 64) }).load(program: program) else {
            return nil
        }
        let decision = policy.decide(HTTPRequest(host: "api.example.com", target: "/admin/x"), now: FuzzFixtures.now)
        return FuzzFixtures.checkInvariants(decision)
    }
}
