import ArgumentParser
import Compiler
import Diagnostics
import Foundation
import FrontEnd

/// The policy set to read.
struct PolicyInputOptions: ParsableArguments {
    @Argument(help: "Policy files and directories (directories are searched for *.yaml and *.yml).")
    var paths: [String]

    @Option(help: "Largest policy or key file accepted, in bytes.")
    var maxFileSize: Int = PolicySetLoader.defaultMaxFileSize

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one policy file or directory") }
        if maxFileSize < 1 { throw ValidationError("--max-file-size must be positive") }
    }

    var pipeline: Pipeline {
        Pipeline(loader: PolicySetLoader(maxFileSize: maxFileSize))
    }
}

/// How diagnostics are printed.
struct DiagnosticOutputOptions: ParsableArguments {
    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json, sarif, github, junit
    }

    @Option(help: "Diagnostics format: text (for people), json, sarif (SARIF 2.1.0), github (workflow annotations) or junit (JUnit XML; with `test`, one test case per policy test case).")
    var format: Format = .text

    @Flag(help: "Treat warnings as errors for the exit code.")
    var strict = false

    @Option(help: "Stop printing after this many errors.")
    var maxErrors: Int?

    @Option(help: "Colour: auto (only on a terminal), always or never.")
    var color: ColorChoice = .auto

    var useColors: Bool {
        switch color {
        case .always: true
        case .never: false
        case .auto: isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        }
    }
}

/// Prints diagnostics in the chosen format. Text goes to standard error with the summary
/// line on standard output; machine formats own standard output (the summary line then
/// goes to standard error), except GitHub annotations, which the runner reads from
/// standard output next to the summary.
struct DiagnosticPrinter {
    let options: DiagnosticOutputOptions

    func print(_ bag: DiagnosticBag, fileCount: Int) {
        var diagnostics = bag.sorted
        if let limit = options.maxErrors {
            var errors = 0
            diagnostics = diagnostics.filter { diagnostic in
                guard diagnostic.severity == .error else { return errors < limit }
                errors += 1
                return errors <= limit
            }
        }
        let summary = TextRenderer.summary(errors: bag.errorCount, warnings: bag.warningCount, files: fileCount)
        switch options.format {
        case .text:
            FileHandle.standardError.write(Data(TextRenderer(colors: options.useColors).render(diagnostics).utf8))
            Swift.print(summary)
        case .json:
            Swift.print(MachineRenderer.json(diagnostics), terminator: "")
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        case .sarif:
            Swift.print(MachineRenderer.sarif(diagnostics, toolVersion: GatepassVersion.current), terminator: "")
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        case .github:
            Swift.print(MachineRenderer.github(diagnostics), terminator: "")
            Swift.print(summary)
        case .junit:
            Swift.print(TestReport.junit([], diagnostics: diagnostics), terminator: "")
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
    }
}
