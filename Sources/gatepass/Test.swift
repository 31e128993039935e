import ArgumentParser
import Compiler
import Diagnostics
import Foundation
import FrontEnd
import PolicyTesting

/// `gatepass test PATH...`: run the policy tests (`*.test.yaml`) against the policies.
struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run policy tests (*.test.yaml) against the policies under the same paths.",
        discussion: """
        Every case runs at a fixed clock: --now, else its file's `now`, else the time the run started. \
        Prints each failure with expected and actual and the decision's explanation, then `N passed, N failed`. \
        Exits 0 when all pass, 1 on a failure, a policy or test-file error, or coverage below the threshold, 2 on usage or I/O problems.
        """
    )

    @OptionGroup var input: PolicyInputOptions
    @OptionGroup var reporting: DiagnosticOutputOptions

    @Option(help: "The clock for every case, in seconds since the epoch.")
    var now: Double?

    @Flag(help: "Report the decision regions and claim requirements no case exercised.")
    var coverage = false

    @Option(help: "Fail when coverage is below this percentage (implies --coverage).")
    var coverageThreshold: Double?

    func run() throws {
        var testFiles: [SourceFile] = []
        for path in Self.testFilePaths(input.paths) {
            guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read `\(path)`") }
            testFiles.append(SourceFile(path: path, bytes: [UInt8](data)))
        }
        let runner = PolicyTestRunner(pipeline: input.pipeline, now: now, defaultNow: Date().timeIntervalSince1970.rounded(.down))
        let outcome = runner.run(paths: input.paths, testFiles: testFiles)
        if reporting.format != .text {
            try reportForMachines(outcome)
            return
        }
        if outcome.diagnostics.diagnostics.isEmpty == false {
            DiagnosticPrinter(options: reporting).print(outcome.diagnostics, fileCount: outcome.fileCount)
        }
        if outcome.hadIOFailure { throw ExitStatus.usageOrIO.exitCode }
        if outcome.diagnostics.hasErrors { throw ExitStatus.problems.exitCode }
        if testFiles.isEmpty {
            FileHandle.standardError.write(Data("gatepass: no test files (*.test.yaml) under \(input.paths.joined(separator: ", "))\n".utf8))
        }
        var text = ""
        for result in outcome.results where !result.passed {
            text += "FAIL \(result.location): \(result.name)\n"
            for mismatch in result.mismatches { text += "  \(mismatch)\n" }
            text += "  actual: \(result.actual)\n"
            for line in result.explanation { text += "    \(line)\n" }
        }
        var belowThreshold = false
        if let coverage = outcome.coverage, self.coverage || coverageThreshold != nil {
            text += Self.coverageReport(coverage)
            if let threshold = coverageThreshold, coverage.percent < threshold {
                text += "coverage \(Self.percent(coverage.percent)) is below the threshold of \(Self.percent(threshold))\n"
                belowThreshold = true
            }
        }
        text += "\(outcome.passed) passed, \(outcome.failed) failed\n"
        print(text, terminator: "")
        if outcome.failed > 0 || belowThreshold { throw ExitStatus.problems.exitCode }
    }

    /// `--format json|sarif|github|junit`: the files' diagnostics and one GP700 error per
    /// failing case at the case's line (JUnit: a test case per case); the `N passed, N failed`
    /// line goes where the format's summary goes. The exit status is the text format's.
    func reportForMachines(_ outcome: PolicyTestRunner.Outcome) throws {
        let counts = "\(outcome.passed) passed, \(outcome.failed) failed"
        var coverageText = ""
        var belowThreshold = false
        if let coverage = outcome.coverage, self.coverage || coverageThreshold != nil {
            coverageText = Self.coverageReport(coverage)
            if let threshold = coverageThreshold, coverage.percent < threshold {
                coverageText += "coverage \(Self.percent(coverage.percent)) is below the threshold of \(Self.percent(threshold))\n"
                belowThreshold = true
            }
        }
        if reporting.format == .junit {
            print(TestReport.junit(outcome.results, diagnostics: outcome.diagnostics.sorted), terminator: "")
            FileHandle.standardError.write(Data((coverageText + counts + "\n").utf8))
        } else {
            var bag = outcome.diagnostics
            for diagnostic in TestReport.diagnostics(outcome.results) { bag.append(diagnostic) }
            DiagnosticPrinter(options: reporting).print(bag, fileCount: outcome.fileCount)
            if reporting.format == .github {
                print(coverageText + counts)
            } else {
                FileHandle.standardError.write(Data((coverageText + counts + "\n").utf8))
            }
        }
        if outcome.hadIOFailure { throw ExitStatus.usageOrIO.exitCode }
        if outcome.diagnostics.hasErrors || outcome.failed > 0 || belowThreshold { throw ExitStatus.problems.exitCode }
    }

    static func coverageReport(_ coverage: Coverage) -> String {
        var text = "coverage: \(coverage.coveredRegions.intersection(coverage.regions.keys).count) of \(coverage.regions.count) decision regions, "
        text += "\(coverage.coveredClaims.intersection(coverage.claims.keys).count) of \(coverage.claims.count) claim requirements: "
        text += "\(coverage.covered) of \(coverage.total) (\(percent(coverage.percent)))\n"
        for (_, witness) in coverage.uncoveredRegions {
            let protecting = witness.protecting.isEmpty ? "public" : "protected by " + witness.protecting.joined(separator: ", ")
            let methods = witness.methods.map { ", methods \($0)" } ?? ""
            text += "  region not exercised: host \(witness.host ?? "(none)") path \(witness.path)\(methods) (\(protecting))\n"
        }
        for claim in coverage.uncoveredClaims {
            text += "  claim requirement not exercised: \(claim)\n"
        }
        return text
    }

    static func percent(_ value: Double) -> String {
        let tenths = (value * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths))%" : "\(tenths)%"
    }

    /// Test files named on the command line or found under the directories, sorted.
    static func testFilePaths(_ paths: [String]) -> [String] {
        var found: [String] = []
        for path in paths.map(PolicySetLoader.cleanPath) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue {
                if TestFileDecoder.isTestFileName(path) { found.append(path) }
                continue
            }
            guard let enumerator = FileManager.default.enumerator(atPath: path) else { continue }
            while let relative = enumerator.nextObject() as? String {
                let name = (relative as NSString).lastPathComponent
                if name.hasPrefix(".") { enumerator.skipDescendants(); continue }
                if TestFileDecoder.isTestFileName(name) { found.append(path == "." ? relative : path + "/" + relative) }
            }
        }
        return Array(Set(found)).sorted()
    }
}
