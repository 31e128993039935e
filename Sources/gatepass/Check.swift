import ArgumentParser
import Compiler
import Diagnostics
import Foundation

/// `gatepass check PATH...`: report every problem in a policy set.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check policy files and directories and print diagnostics.",
        discussion: "Exits 0 when clean, 1 on errors (and on warnings with --strict), 2 on usage or I/O problems."
    )

    @OptionGroup var input: PolicyInputOptions
    @OptionGroup var output: DiagnosticOutputOptions

    func run() throws {
        let outcome = input.pipeline.check(paths: input.paths)
        let printer = DiagnosticPrinter(options: output)
        printer.print(outcome.diagnostics, fileCount: outcome.fileCount)
        if outcome.hadIOFailure { throw ExitStatus.usageOrIO.exitCode }
        if outcome.diagnostics.hasErrors || (output.strict && outcome.diagnostics.warningCount > 0) {
            throw ExitStatus.problems.exitCode
        }
    }
}
