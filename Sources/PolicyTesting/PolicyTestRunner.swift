import BundleFormat
public import Compiler
public import Diagnostics
import FrontEnd
import JOSE
import Runtime
import TokenSigning

/// Runs policy tests: compiles the policies, adds each test file's freshly generated
/// signing keys to the entries it names (in memory only, never in a bundle on disk),
/// decides every case at a fixed clock and compares the outcome with the expectation.
public struct PolicyTestRunner: Sendable {
    public var pipeline: Pipeline
    /// Overrides every file's own clock.
    public var now: Double?
    /// The clock of files that give none, read once when the run starts.
    public var defaultNow: Double

    public init(pipeline: Pipeline, now: Double?, defaultNow: Double) {
        self.pipeline = pipeline
        self.now = now
        self.defaultNow = defaultNow
    }

    public struct CaseResult: Sendable {
        public var file: String
        public var name: String
        public var location: String
        /// The case in its test file.
        public var span: SourceSpan
        public var passed: Bool
        /// Expected against actual, one line each, for failures.
        public var mismatches: [String]
        public var actual: String
        public var explanation: [String]
    }

    public struct Outcome: Sendable {
        public var diagnostics: DiagnosticBag
        public var fileCount: Int
        public var results: [CaseResult]
        public var coverage: Coverage?
        public var hadIOFailure: Bool

        public var passed: Int { results.count { $0.passed } }
        public var failed: Int { results.count { !$0.passed } }
    }

    public func run(paths: [String], testFiles: [SourceFile]) -> Outcome {
        let compiled = pipeline.compile(paths: paths)
        var diagnostics = compiled.check.diagnostics
        let decoded = testFiles.compactMap { TestFileDecoder().decode($0, diagnostics: &diagnostics) }
        var outcome = Outcome(diagnostics: diagnostics, fileCount: compiled.check.fileCount + testFiles.count, results: [],
                              coverage: nil, hadIOFailure: compiled.check.hadIOFailure)
        guard let program = compiled.programForReports, !diagnostics.hasErrors else { return outcome }
        var coverage = Coverage(program: program)
        for testFile in decoded {
            outcome.results += run(testFile, program: program, coverage: &coverage, diagnostics: &outcome.diagnostics)
        }
        outcome.coverage = coverage
        return outcome
    }

    func run(_ testFile: PolicyTestFile, program: DecisionProgram, coverage: inout Coverage, diagnostics: inout DiagnosticBag) -> [CaseResult] {
        // Fresh keys for this file; the entries they name get their public halves.
        var testProgram = program
        var keys: [String: TestRequestBuilder.TestKey] = [:]
        for declaration in testFile.signingKeys {
            guard let algorithm = JWSAlgorithm(rawValue: declaration.algorithm.value) else { continue }
            let kid = declaration.kid ?? "test-\(declaration.name.value)"
            let signer = TestSigner(algorithm: algorithm, keyType: Self.keyType(for: algorithm), kid: kid)
            keys[declaration.name.value] = .init(declaration: declaration, signer: signer, kid: kid)
            guard let entryName = declaration.entry else { continue }
            guard let entryIndex = testProgram.entries.firstIndex(where: { $0.name == entryName.value }) else {
                diagnostics.error(.missingKey, "no enabled entry is named `\(entryName.value)`", at: entryName.span,
                                  hint: "a test key is added to an enabled authentication entry of the policies under test")
                continue
            }
            let material: Key.Material = if case .oct = signer.jwk.kind { .secret(signer.jwk.keyMaterial) } else { .spki(signer.jwk.keyMaterial) }
            testProgram.keys.append(Key(kid: kid, algorithm: algorithm.rawValue, thumbprint: signer.jwk.thumbprint, material: material,
                                        source: testProgram.entries[entryIndex].source))
            testProgram.entries[entryIndex].keyIndices.append(UInt32(testProgram.keys.count - 1))
        }
        // Environment secrets the run does not have become random ones: tokens signed with
        // the real secret cannot exist in a test, and a missing variable must not stop it.
        let loader = PolicyLoader(environment: RandomSecrets.forMissing)
        let policy: LoadedPolicy
        do {
            policy = try loader.load(program: testProgram)
        } catch {
            diagnostics.error(.fileUnreadable, "the policies with this file's test keys do not load: \(error.description)",
                              at: SourceSpan(file: testFile.file, start: 0, end: 0))
            return []
        }
        let clock = now ?? testFile.now?.value ?? defaultNow
        let builder = TestRequestBuilder(program: testProgram, signers: keys, now: clock)
        var results: [CaseResult] = []
        for testCase in testFile.cases {
            let location = testCase.name.span?.description ?? testFile.file.path
            let request: HTTPRequest
            do {
                request = try builder.request(for: testCase)
            } catch {
                results.append(CaseResult(file: testFile.file.path, name: testCase.name.value, location: location, span: testCase.name.span ?? testCase.span, passed: false,
                                          mismatches: ["the case could not be built: \(error)"], actual: "", explanation: []))
                continue
            }
            let decision = policy.decide(request, now: clock, explain: true)
            record(decision, program: testProgram, coverage: &coverage)
            let mismatches = Self.compare(testCase.expect, decision)
            results.append(CaseResult(
                file: testFile.file.path, name: testCase.name.value, location: location, span: testCase.name.span ?? testCase.span, passed: mismatches.isEmpty,
                mismatches: mismatches, actual: Self.summary(decision), explanation: Self.explain(decision)))
        }
        return results
    }

    func record(_ decision: Decision, program: DecisionProgram, coverage: inout Coverage) {
        if let explanation = decision.explanation {
            let bypassed = Set(program.entries.indices.filter { explanation.corsPreflightBypassed.contains(program.entries[$0].name) })
            coverage.cover(region: Coverage.region(program, domainClass: explanation.domainClassIndex, pathNode: explanation.pathNode,
                                                   method: explanation.method, bypassed: bypassed))
        }
        guard let name = decision.authentication, let entry = program.entries.firstIndex(where: { $0.name == name }) else { return }
        if decision.isAllowed {
            for check in program.entries[entry].claimChecks.indices { coverage.cover(claim: .init(entry: entry, check: check)) }
        } else if let failure = decision.claimFailure {
            for check in 0...failure.checkIndex { coverage.cover(claim: .init(entry: entry, check: check)) }
        }
    }

    static func keyType(for algorithm: JWSAlgorithm) -> TestSigner.KeyType {
        switch algorithm {
        case .HS256: .hmac(bytes: 32)
        case .HS384: .hmac(bytes: 48)
        case .HS512: .hmac(bytes: 64)
        case .RS256, .RS384, .RS512, .PS256, .PS384, .PS512: .rsa(bits: 2048)
        case .ES256: .ec(.p256)
        case .ES384: .ec(.p384)
        case .ES512: .ec(.p521)
        case .EdDSA: .okp(.ed25519)
        }
    }

    static func compare(_ expect: TestExpectation, _ decision: Decision) -> [String] {
        var mismatches: [String] = []
        if let decisionValue = expect.decision, decisionValue.value != decision.verdict.rawValue {
            mismatches.append("decision: expected \(decisionValue.value), got \(decision.verdict.rawValue)")
        }
        if let status = expect.status, status.value != decision.status {
            mismatches.append("status: expected \(status.value), got \(decision.status)")
        }
        if let reason = expect.reason, reason.value != decision.reason.rawValue {
            mismatches.append("reason: expected \(reason.value), got \(decision.reason.rawValue)")
        }
        if let entry = expect.entry, entry.value != decision.authentication {
            mismatches.append("entry: expected \(entry.value ?? "none"), got \(decision.authentication ?? "none")")
        }
        if let expected = expect.headersSet {
            let actual = decision.mutations.set.map { ($0.name, $0.value) }
            for (name, value) in expected where !actual.contains(where: { $0.0 == name && $0.1 == value }) {
                let found = actual.first { $0.0 == name }.map { "`\($0.1)`" } ?? "nothing"
                mismatches.append("headers.set: expected \(name): `\(value)`, got \(found)")
            }
        }
        if let expected = expect.headersRemoved {
            for name in expected where !decision.mutations.remove.contains(name) {
                mismatches.append("headers.remove: expected \(name) to be removed; removed [\(decision.mutations.remove.joined(separator: ", "))]")
            }
        }
        for (label, expected, actual) in [("query.remove", expect.queryRemoved, decision.mutations.removeQuery),
                                          ("cookies.remove", expect.cookiesRemoved, decision.mutations.removeCookies)] {
            for name in expected ?? [] where !actual.contains(name) {
                mismatches.append("\(label): expected \(name) to be removed; removed [\(actual.joined(separator: ", "))]")
            }
        }
        if let expected = expect.wwwAuthenticate, !expected.value.matches(decision.wwwAuthenticate) {
            mismatches.append("wwwAuthenticate: expected \(expected.value), got \(decision.wwwAuthenticate.map { "`\($0)`" } ?? "none")")
        }
        if let expected = expect.message, !expected.value.matches(decision.message) {
            mismatches.append("message: expected \(expected.value), got `\(decision.message)`")
        }
        return mismatches
    }

    static func summary(_ decision: Decision) -> String {
        "\(decision.verdict.rawValue) \(decision.status) \(decision.reason.rawValue) (entry \(decision.authentication ?? "none")): \(decision.message)"
    }

    static func explain(_ decision: Decision) -> [String] {
        guard let explanation = decision.explanation else { return [] }
        var lines = ["\(explanation.method) host \(explanation.host ?? "(none)"), path \(explanation.path), domain class \(explanation.domainClass), path node p\(explanation.pathNode)"]
        if !explanation.corsPreflightBypassed.isEmpty {
            lines.append("CORS preflight passes without a token: " + explanation.corsPreflightBypassed.joined(separator: ", "))
        }
        if explanation.protecting.isEmpty { lines.append("no entry protects the request") }
        for entry in explanation.protecting {
            lines.append("protected by \(entry.name) (\(entry.mode)): " + entry.because.joined(separator: "; "))
        }
        if let token = explanation.token {
            lines.append("token from \(token.foundAt.joined(separator: ", ")): iss \(token.issuer ?? "(none)"), alg \(token.algorithm ?? "?"), kid \(token.kid ?? "(none)")")
        }
        for check in explanation.checks {
            lines.append("\(check.passed ? "passed" : "failed"): \(check.entry ?? "-") \(check.name)\(check.detail.isEmpty ? "" : ": " + check.detail)")
        }
        return lines
    }
}
